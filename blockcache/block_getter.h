// BlockGetter: the one call the layers above need, get(cid) -> verified block.
//
// Implemented by BlockCache (cache + network) and by test fakes; resolver/ and
// fs/ see only this interface. Get() is asynchronous: `done` is called exactly
// once, from any thread, possibly before Get() returns (a cache hit). Callers
// never block a FUSE worker on it. All methods are thread-safe.
#ifndef IPFSFS_BLOCKCACHE_BLOCK_GETTER_H_
#define IPFSFS_BLOCKCACHE_BLOCK_GETTER_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>

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

// Bytes [from, to) of a UnixFS file.
struct ByteRange {
  uint64_t from = 0;
  uint64_t to = 0;
  friend bool operator==(const ByteRange&, const ByteRange&) = default;
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

  // Asks for the DAG under `root` (kEntity: a directory's own blocks, the
  // shards of a HAMT; kAll: everything below it) as one CAR, each block
  // verified and stored as it arrives. The stream stops (kTooLarge) once more
  // than `max_bytes` of blocks came (0: no cap): a listing must not pay for a
  // large file's contents. While it flows, GetExpected waits for it; once it
  // ends, blocks still awaited are asked for alone (a gateway without CARs, a
  // truncated or bad CAR: the same blocks, one request each). OK at once when
  // a stream of `root` is already in flight. `done` once it ends, from any
  // thread. kUnsupported at once when offline or without a source. Never
  // blocks. Default: kUnsupported at once.
  virtual void PrefetchDag(const ipld::Cid& root, PrefetchScope scope, uint64_t max_bytes,
                           std::function<void(Status)> done) {
    (void)root;
    (void)scope;
    (void)max_bytes;
    done(MakeError(ErrorCode::kUnsupported, "no CAR prefetch"));
  }

  // Asks for the blocks that hold bytes `range` of the UnixFS file `root` as
  // one CAR (trustless gateway entity-bytes), stored as they arrive; `done`
  // once the stream ends, from any thread. The range is asked as given:
  // resolver's RangePlanner decides which bytes are worth asking for.
  // kUnsupported when no source can (read block by block then). Never
  // blocks. Default: kUnsupported at once.
  virtual void PrefetchRange(const ipld::Cid& root, ByteRange range, std::function<void(Status)> done) {
    (void)root;
    (void)range;
    done(MakeError(ErrorCode::kUnsupported, "no ranged prefetch"));
  }
  // The first round trip of a cold path step: `root` and what comes first below
  // it as one CAR (dag-scope=entity&entity-bytes=0:bytes-1): a file's nodes
  // down to its bytes [0, bytes) and those leaves, a directory's own blocks
  // (a HAMT's shards). Stored as they arrive; stopped (kTooLarge) past
  // `max_bytes` of blocks. GetExpected waits for it like for a range.
  // kUnsupported at once when no source serves byte ranges (then Get it
  // alone). Never blocks. Default: kUnsupported at once.
  virtual void PrefetchHead(const ipld::Cid& root, uint64_t bytes, uint64_t max_bytes,
                            std::function<void(Status)> done) {
    (void)root;
    (void)bytes;
    (void)max_bytes;
    done(MakeError(ErrorCode::kUnsupported, "no head prefetch"));
  }
  // The reader that asked PrefetchRange for bytes `range` of `root` is gone: stop that CAR
  // (its `done` then gets kCancelled; blocks awaiting it are asked for alone).
  // Best effort; a range already over is left as it is. Default: nothing.
  virtual void CancelRange(const ipld::Cid& root, ByteRange range) {
    (void)root;
    (void)range;
  }
  // How many sources serve ranged CARs: a sequential reader keeps about that
  // many ranges in flight, so their bandwidth adds up (striping). Default 1.
  virtual size_t RangeSources() const { return 1; }
  // Get for a block that a PrefetchRange in flight should bring: a miss waits
  // up to `patience` for it before asking a source for it alone (one request
  // instead of two). Default: Get.
  virtual void GetExpected(const ipld::Cid& cid, std::chrono::milliseconds patience, BlockCallback done) {
    (void)patience;
    Get(cid, std::move(done));
  }

  // Queries for planning ranged CARs (resolver's RangePlanner); none blocks
  // on the network. The defaults know nothing: every block counts as missing.
  //
  // The block's size if the cache holds it, known without reading it; nullopt
  // when absent.
  virtual std::optional<uint64_t> StoredSize(const ipld::Cid& cid) {
    (void)cid;
    return std::nullopt;
  }
  // The block if it is in the store (never the network); nullopt if absent.
  [[nodiscard]] virtual Result<std::optional<Block>> GetLocal(const ipld::Cid& cid) {
    (void)cid;
    return std::optional<Block>();
  }
  // Where a cached block's bytes lie in a local file, when the cache can
  // vouch for them unread (stored on disk after Verify, not re-hashed on
  // read): a read may then splice them instead of copying them. Counts as a
  // use. nullopt: use Get (absent, in memory, or hash_on_read). Never blocks
  // on the network.
  [[nodiscard]] virtual Result<std::optional<BlockExtent>> GetExtent(const ipld::Cid& cid) {
    (void)cid;
    return std::optional<BlockExtent>();
  }
  // Asked for from a source alone right now (a ranged CAR would bring it twice).
  virtual bool FetchingAlone(const ipld::Cid& cid) {
    (void)cid;
    return false;
  }
  // When a get last missed the cache (on the cache's steady clock); nullopt:
  // unknown, counts as just now.
  virtual std::optional<std::chrono::steady_clock::time_point> LastMiss() { return std::nullopt; }

  // Blocking convenience for tools and tests. Never call it on a FUSE worker.
  [[nodiscard]] Result<Block> GetBlocking(const ipld::Cid& cid);
};

}  // namespace ipfsfs::blockcache

#endif  // IPFSFS_BLOCKCACHE_BLOCK_GETTER_H_
