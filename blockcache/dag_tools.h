// DAG tools: the blocking operations the `ipfsfs` command, the importer and
// tests run on whole DAGs, written over the public BlockCache API only:
// fetch, recursive pin and unpin, CAR export and import.
//
// Every function blocks until done (never call one on a FUSE worker) and is
// safe to call from several threads at once; pins and unpins take
// BlockCache::LockPins, so they run one at a time. Links are followed in
// dag-pb blocks; raw blocks have none; other codecs are not walked.
#ifndef IPFSFS_BLOCKCACHE_DAG_TOOLS_H_
#define IPFSFS_BLOCKCACHE_DAG_TOOLS_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/result.h"
#include "blockcache/block_cache.h"
#include "ipld/cid.h"

namespace ipfsfs::blockcache {

struct FetchProgress {
  uint64_t blocks = 0;
  uint64_t bytes = 0;
};

// Fetches every block of the DAG under `root`, as one CAR first (`use_car`)
// then block by block for what is missing. `progress` is called now and then.
[[nodiscard]] Result<FetchProgress> FetchDag(BlockCache& cache, const ipld::Cid& root, bool use_car,
                                             std::function<void(const FetchProgress&)> progress = nullptr);

// Recursive pin: fetches what is missing, then marks every block under `root`
// pinned (never evicted). Pinning a root twice is a no-op; a failure leaves
// nothing pinned.
[[nodiscard]] Status Pin(BlockCache& cache, const ipld::Cid& root);
// kNotFound if `root` is not pinned.
[[nodiscard]] Status Unpin(BlockCache& cache, const ipld::Cid& root);

// Writes the DAG under `root` as a CARv1 (depth-first, no duplicates),
// fetching missing blocks.
// `progress`, when set, gets the bytes of each section written (or each piece of the file read).
[[nodiscard]] Status ExportCar(BlockCache& cache, const ipld::Cid& root, const std::string& path,
                               const std::function<void(uint64_t)>& progress = nullptr);
// Reads a CAR (v1 or v2) file, verifies and stores every block; returns its roots.
[[nodiscard]] Result<std::vector<ipld::Cid>> ImportCar(BlockCache& cache, const std::string& path,
                                                       const std::function<void(uint64_t)>& progress = nullptr);

}  // namespace ipfsfs::blockcache

#endif  // IPFSFS_BLOCKCACHE_DAG_TOOLS_H_
