// DnsClient: asynchronous TXT lookups, the one DNS query DNSLink needs.
//
// LookupTxt never blocks the caller: `done` runs exactly once, later, on the
// client's own thread (so it must only hand work off; it may start another
// lookup). Implementations are thread-safe. Destroying a client answers what
// is still in flight with kCancelled before the destructor returns.
//
// CreateDnsClient() makes the c-ares one: a thread of its own drives one c-ares
// channel (c-ares 1.18 channels are not thread-safe, so no other thread touches
// it). Servers come from the system's resolv.conf, or one `ADDR[:PORT]` server
// (IPv6 as `[ADDR]:PORT`). Truncated UDP answers are retried over TCP by c-ares.
#ifndef IPFSFS_NET_DNS_CLIENT_H_
#define IPFSFS_NET_DNS_CLIENT_H_

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"

namespace ipfsfs::net {

// The TXT records of a name after following CNAMEs.
struct TxtAnswer {
  // CNAME targets followed from the asked name, in order (lower case, no
  // trailing dot). When `records` is empty and this is not, the server
  // answered the alias only (no recursion): ask again for cnames.back().
  std::vector<std::string> cnames;
  // One entry per TXT record of the last name, its character-strings joined
  // (a record may hold several strings of at most 255 bytes each).
  std::vector<std::string> records;
  // The smallest TTL among the CNAME and TXT records used: how long the whole
  // answer may be cached. 0 when the server gives 0.
  std::chrono::seconds ttl{0};
};

// The answer, or kNotFound (NXDOMAIN, no TXT record), kUnavailable (SERVFAIL,
// REFUSED, server unreachable, malformed reply), kTimeout (no answer in time),
// kInvalidArgument (malformed name), kCancelled (client destroyed).
using TxtCallback = std::function<void(Result<TxtAnswer>)>;

class DnsClient {
 public:
  virtual ~DnsClient() = default;
  // Looks up the TXT records of the fully qualified `name` (no search
  // domains; a trailing dot is optional).
  virtual void LookupTxt(std::string name, TxtCallback done) = 0;
};

struct DnsClientOptions {
  // Empty: the system's servers (resolv.conf). Otherwise one server,
  // "ADDR[:PORT]" or "[IPV6]:PORT"; port 53 by default.
  std::string server;
  // Per attempt, and attempts per server before kTimeout.
  std::chrono::milliseconds timeout{2000};
  int tries = 2;
};

// The c-ares client. kInvalidArgument for a malformed `server`, kInternal when
// c-ares cannot start (resolv.conf unreadable, no memory).
[[nodiscard]] Result<std::unique_ptr<DnsClient>> CreateDnsClient(DnsClientOptions options = {});

}  // namespace ipfsfs::net

#endif  // IPFSFS_NET_DNS_CLIENT_H_
