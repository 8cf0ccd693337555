// BlockGetter: the one call the layers above need, get(cid) -> verified block.
//
// Implemented by BlockCache (cache + network) and by test fakes; resolver/ and
// fs/ see only this interface. Get() is asynchronous: `done` is called exactly
// once, from any thread, possibly before Get() returns (a cache hit). Callers
// never block a FUSE worker on it. All methods are thread-safe.
#ifndef IPFSFS_BLOCKCACHE_BLOCK_GETTER_H_
#define IPFSFS_BLOCKCACHE_BLOCK_GETTER_H_

#include <functional>

#include "base/result.h"
#include "blockcache/block.h"
#include "ipld/cid.h"

namespace ipfsfs::blockcache {

using BlockCallback = std::function<void(Result<Block>)>;

// How much of a DAG a prefetch hint asks for (trustless gateway dag-scope).
enum class PrefetchScope {
  kEntity,  // a whole file, or a directory's own blocks (dag-scope=entity)
  kAll,     // everything below the root (dag-scope=all)
};

class BlockGetter {
 public:
  virtual ~BlockGetter() = default;

  // Errors: kNotFound (no source has it; offline miss), kUnavailable,
  // kTimeout, kCorrupt (every source sent bad bytes), kTooLarge.
  virtual void Get(const ipld::Cid& cid, BlockCallback done) = 0;

  // A hint that the DAG under `root` will be read soon; may fetch it as one CAR
  // into the cache. Never blocks; errors are only logged. Default: nothing.
  virtual void Prefetch(const ipld::Cid& root, PrefetchScope scope) {
    (void)root;
    (void)scope;
  }

  // Blocking convenience for tools and tests. Never call it on a FUSE worker.
  [[nodiscard]] Result<Block> GetBlocking(const ipld::Cid& cid);
};

}  // namespace ipfsfs::blockcache

#endif  // IPFSFS_BLOCKCACHE_BLOCK_GETTER_H_
