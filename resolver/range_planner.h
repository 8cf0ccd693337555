// RangePlanner: before a reader asks for bytes of a UnixFS file as one ranged
// CAR, finds the part of those bytes whose blocks the cache still lacks, so
// the CAR brings only what is missing (or nothing is asked at all).
//
// It walks the file's DAG through the blocks the cache already holds
// (BlockGetter::GetLocal, StoredSize; never the network), decoding them with
// DecodeNode, only along the range's path and at most `node_budget` nodes:
// past the budget, or where the DAG cannot be followed or trusted (children
// beyond their parent's bytes, other codecs, undecodable blocks), the rest of
// the range counts as missing and the CAR decides. A block being fetched alone
// already counts as present (a CAR would bring it twice). When no get missed
// the cache for `recent_miss` (every read lately was a hit), the file is most
// likely here already: nothing is planned, without a walk.
//
// Stateless apart from its options; the BlockGetter must outlive it.
// Thread-safe (const).
#ifndef IPFSFS_RESOLVER_RANGE_PLANNER_H_
#define IPFSFS_RESOLVER_RANGE_PLANNER_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>

#include "blockcache/block_getter.h"
#include "ipld/cid.h"

namespace ipfsfs::resolver {

struct RangePlannerOptions {
  // No miss for this long: plan nothing.
  std::chrono::milliseconds recent_miss{1000};
  // Nodes visited at most (a 64 MiB range of 256 KiB blocks visits ~260).
  int node_budget = 4096;
  // The steady clock; tests drive it. Unset: std::chrono::steady_clock::now.
  std::function<std::chrono::steady_clock::time_point()> now;
};

class RangePlanner {
 public:
  explicit RangePlanner(blockcache::BlockGetter& getter, RangePlannerOptions options = {});

  // The smallest range covering the bytes of `want` in file `root` whose
  // blocks the cache lacks; nullopt when it has them all (or had no miss lately).
  std::optional<blockcache::ByteRange> MissingBytes(const ipld::Cid& root, blockcache::ByteRange want) const;

 private:
  // Widens `missing` over the bytes of `want` under node `cid`, which holds
  // bytes [base, end) of the file.
  void Walk(const ipld::Cid& cid, uint64_t base, uint64_t end, blockcache::ByteRange want, int& budget,
            std::optional<blockcache::ByteRange>& missing) const;
  bool HasOrComing(const ipld::Cid& cid) const;

  blockcache::BlockGetter& getter_;
  const RangePlannerOptions options_;
};

}  // namespace ipfsfs::resolver

#endif  // IPFSFS_RESOLVER_RANGE_PLANNER_H_
