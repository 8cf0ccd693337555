// DnsLinkResolver: a DNSLink domain → the content path its TXT record names.
//
// For "/ipns/<domain>[/rest]" (or "<domain>[/rest]") it reads the TXT records
// of `_dnslink.<domain>` through a net::DnsClient and keeps the one DNSLink
// value (dnslink_entry.h): none is kNotFound, two or more are kCorrupt (boxo:
// "more than one IPFS content path"). CNAMEs are followed (a server that
// answers the alias only is asked again for its target; loops are kCorrupt).
// A value "/ipns/<another domain>[/p]" is followed in turn, the paths joined
// (specs/ipns.md §7: "/ipfs/C/path-c/path-b/path-a"); a domain seen twice is
// a loop (kCorrupt), and more than `max_depth` domains is kTooLarge. The
// result is "/ipfs/<cid>[/path]", or "/ipns/<key>[/path]" for the caller to
// resolve as an IPNS record, with the smallest TTL met on the way.
//
// Not cached here: the names layer above caches with the returned TTL.
// Asynchronous: `done` runs exactly once, on the DnsClient's thread (or the
// caller's, for a malformed name); nothing blocks. Thread-safe and stateless
// between calls (it may be destroyed with lookups in flight); the DnsClient
// must outlive every callback.
#ifndef IPFSFS_RESOLVER_DNSLINK_H_
#define IPFSFS_RESOLVER_DNSLINK_H_

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "net/dns_client.h"

namespace ipfsfs::resolver {

struct DnsLinkOptions {
  // DNSLink domains followed per Resolve, the first included (boxo and the
  // DNSLink gateway spec: 32). The caller shares this budget with the IPNS
  // steps that may follow (DnsLinkResult::domains says how many were used).
  int max_depth = 32;
  // Also read TXT records on the bare domain when `_dnslink.<domain>` has no
  // DNSLink value (`_dnslink.` always wins). On, as issue 14 asks, so sites
  // that still publish only the deprecated bare-domain record resolve as they
  // did in kubo before 0.25; the DNSLink spec requires `_dnslink.` and boxo
  // dropped the fallback in v0.16: false gives that strict reading.
  bool bare_domain_fallback = true;
};

struct DnsLinkResult {
  std::string path;                  // "/ipfs/<cid>[/p]" or "/ipns/<key>[/p]"
  std::chrono::seconds ttl{0};       // smallest TTL of the DNS answers used
  std::vector<std::string> domains;  // the domains followed, the asked one first
};

// kNotFound (no DNSLink record), kCorrupt (several values, a loop),
// kTooLarge (depth), kInvalidArgument (not a domain), or the DnsClient's
// kUnavailable/kTimeout/kCancelled; messages name the domain.
using DnsLinkCallback = std::function<void(Result<DnsLinkResult>)>;

class DnsLinkResolver {
 public:
  explicit DnsLinkResolver(net::DnsClient& dns, DnsLinkOptions options = {});

  void Resolve(std::string_view name_or_path, DnsLinkCallback done) const;

 private:
  net::DnsClient& dns_;
  DnsLinkOptions options_;
};

}  // namespace ipfsfs::resolver

#endif  // IPFSFS_RESOLVER_DNSLINK_H_
