// The DAG walks the targets share: depth-first like `ipfs dag export` (root
// first, links in node order, each block once; publish.md §5), and the set of
// CIDs under an earlier root that the cache still holds. Blocking; the blocks
// come from the cache (the synced root is pinned there, so nothing is fetched).
#ifndef IPFSFS_PUBLISH_INTERNAL_DAG_WALK_H_
#define IPFSFS_PUBLISH_INTERNAL_DAG_WALK_H_

#include <cstdint>
#include <functional>
#include <set>

#include "base/result.h"
#include "blockcache/block_cache.h"
#include "ipld/cid.h"

namespace ipfsfs::publish::internal {

struct WalkStats {
  uint64_t blocks = 0;
  uint64_t bytes = 0;
};

// Calls `emit` for each block in export order. Identity CIDs are not emitted
// (their bytes are the CID). `skip(cid)` true leaves out the block and
// everything only reachable through it.
[[nodiscard]] Result<WalkStats> WalkDepthFirst(blockcache::BlockCache& cache, const ipld::Cid& root,
                                               const std::function<bool(const ipld::Cid&)>& skip,
                                               const std::function<Status(const ipld::Cid&, const blockcache::Block&)>& emit);

// The multihashes of every block under `root` the cache holds now, without
// the network: a missing block ends its branch (its subtree is just unknown).
std::set<ipld::Multihash> LocalDagHashes(blockcache::BlockCache& cache, const ipld::Cid& root);

}  // namespace ipfsfs::publish::internal

#endif  // IPFSFS_PUBLISH_INTERNAL_DAG_WALK_H_
