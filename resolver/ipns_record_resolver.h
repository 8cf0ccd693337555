// IpnsRecordResolver: an IPNS name → the value of its best valid record.
//
// Asks every source in parallel (Source::FetchIpnsRecord), verifies each
// record locally (ipld/ipns_validation.h: signature, key, V1/V2, expiry,
// size), and keeps the one boxo prefers (higher sequence, then longer
// validity: CompareIpnsRecords). The best record ever accepted is kept in a
// NameStore: a record with a lower sequence is refused (rollback), also after
// a restart, and when no source answers the stored record serves while it is
// valid (offline). Errors: kNotFound (no source has a valid record; the
// message names each refusal), kUnavailable/kTimeout (sources unreachable
// and nothing stored).
//
// Asynchronous: `done` runs once, on the thread of the last source to answer
// (a network thread) — hand work off. Thread-safe; the sources and the store
// must outlive every callback.
#ifndef IPFSFS_RESOLVER_IPNS_RECORD_RESOLVER_H_
#define IPFSFS_RESOLVER_IPNS_RECORD_RESOLVER_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/result.h"
#include "blockcache/source.h"
#include "ipld/multihash.h"
#include "ipld/rfc3339.h"
#include "resolver/name_store.h"

namespace ipfsfs::resolver {

struct IpnsValue {
  std::string value;  // the record's Value: "/ipfs/…" or "/ipns/…"
  uint64_t sequence = 0;
  ipld::Timestamp validity;
  std::chrono::nanoseconds ttl{0};
  std::string source;  // the source that sent it, or "store"
};

struct IpnsRecordResolverOptions {
  // Wall clock for expiry checks (tests move it).
  std::function<ipld::Timestamp()> now = [] {
    return ipld::Timestamp::FromTimePoint(std::chrono::system_clock::now());
  };
  // A record without a TTL counts as this (boxo's default cache TTL).
  std::chrono::nanoseconds default_ttl = std::chrono::minutes(1);
};

using IpnsCallback = std::function<void(Result<IpnsValue>)>;

class IpnsRecordResolver {
 public:
  IpnsRecordResolver(std::vector<blockcache::Source*> sources, NameStore& store,
                     IpnsRecordResolverOptions options = {});

  void Resolve(const ipld::Multihash& name, IpnsCallback done) const;

 private:
  std::vector<blockcache::Source*> sources_;
  NameStore& store_;
  IpnsRecordResolverOptions options_;
};

}  // namespace ipfsfs::resolver

#endif  // IPFSFS_RESOLVER_IPNS_RECORD_RESOLVER_H_
