// Names: one entry point from a name to the content it currently points at.
//
// A name is an IPNS key ("k51…", "bafzaa…", "12D3KooW…", "Qm…") resolved by
// IpnsRecordResolver, or a DNSLink domain (anything with a dot that is not a
// key) resolved by DnsLinkResolver. Values "/ipns/…" are followed until
// "/ipfs/<cid>[/path]" (at most `max_depth` steps, a name seen twice is a
// loop: kCorrupt; too deep: kTooLarge), the paths joined.
//
// Each step is cached under its canonical name for its TTL (record TTL or
// DNS TTL), clamped to [ttl_min, ttl_max]. Concurrent misses of one name
// share one lookup. After the TTL the last value keeps answering while one
// refresh runs (stale-while-revalidate): a reader never waits for a name it
// already has, and a failed refresh keeps the last value (offline) and is
// tried again after ttl_min.
//
// Asynchronous: `done` runs once, on the caller's thread for a cached answer,
// else on a network thread — hand work off. Thread-safe (one mutex, never
// held across a callback). The resolvers must outlive every callback.
#ifndef IPFSFS_RESOLVER_NAMES_H_
#define IPFSFS_RESOLVER_NAMES_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "ipld/rfc3339.h"
#include "resolver/dnslink.h"
#include "resolver/ipns_record_resolver.h"

namespace ipfsfs::resolver {

struct NamesOptions {
  int max_depth = 32;
  std::chrono::milliseconds ttl_max = std::chrono::hours(1);  // --ipns-ttl-max
  std::chrono::milliseconds ttl_min = std::chrono::seconds(1);
  std::function<std::chrono::steady_clock::time_point()> clock = [] { return std::chrono::steady_clock::now(); };
};

struct NameResolution {
  std::string path;  // "/ipfs/<cid>[/p]" (one step only: maybe "/ipns/…")
  // When the answer should be asked again (the smallest TTL on the way).
  std::chrono::steady_clock::time_point expires;
  // Of the first step's IPNS record, when the name is a key.
  std::optional<uint64_t> sequence;
  std::optional<ipld::Timestamp> validity;
};

using NamesCallback = std::function<void(Result<NameResolution>)>;

// What `ipfsfs status` and `ls ipns/` show of one cached name.
struct NameEntryInfo {
  std::string name;
  std::string value;
  bool stale = false;
  uint64_t lookups = 0;  // lookups of this name that completed (first and refreshes, failed ones too)
};

class Names {
 public:
  // Either resolver may be null: names of that kind are then kUnsupported.
  Names(const IpnsRecordResolver* ipns, const DnsLinkResolver* dnslink, NamesOptions options = {});
  Names(const Names&) = delete;
  Names& operator=(const Names&) = delete;

  // "name", "/ipns/name[/p]", or "/ipfs/<cid>[/p]" (answered as is).
  void Resolve(std::string_view name_or_path, NamesCallback done, bool recursive = true);

  // The names resolved so far (canonical form), in order.
  std::vector<NameEntryInfo> Known() const;
  size_t resolved_count() const;

  // The canonical cache key: "k51…" for keys, the lower-case domain otherwise;
  // kInvalidArgument for neither.
  static Result<std::string> Canonical(std::string_view name);

 private:
  struct Step {
    std::string value;  // "/ipfs/…" or "/ipns/…"
    std::chrono::steady_clock::time_point expires;
    std::optional<uint64_t> sequence;
    std::optional<ipld::Timestamp> validity;
  };
  using StepCallback = std::function<void(Result<Step>)>;
  struct Entry {
    std::optional<Step> step;           // the last good answer
    bool fetching = false;              // a lookup (first or refresh) is in flight
    std::vector<StepCallback> waiters;  // callers without a value to serve
    uint64_t lookups = 0;
  };

  void Follow(std::string path, int depth, std::set<std::string> seen, NameResolution acc, bool recursive,
              NamesCallback done);
  void ResolveStep(const std::string& key, StepCallback done);
  void Fetch(const std::string& key);
  void Finish(const std::string& key, Result<Step> result);
  std::chrono::steady_clock::time_point Expiry(std::chrono::nanoseconds ttl) const;

  const IpnsRecordResolver* ipns_;
  const DnsLinkResolver* dnslink_;
  const NamesOptions options_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> entries_;  // GUARDED_BY(mu_)
};

}  // namespace ipfsfs::resolver

#endif  // IPFSFS_RESOLVER_NAMES_H_
