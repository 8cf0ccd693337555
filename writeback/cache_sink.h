// CacheSink: stores imported blocks in the local block cache and pins the
// roots at Finish (plain `ipfsfs add`).
//
// Blocks are verified again by blockcache::Block before they are stored. The
// sink holds them (BlockCache::HoldNewBlocks) for its life, so an add larger
// than the quota loses none before Finish pins the roots. Not thread-safe.
#ifndef IPFSFS_WRITEBACK_CACHE_SINK_H_
#define IPFSFS_WRITEBACK_CACHE_SINK_H_

#include <memory>
#include <string>

#include "blockcache/block_cache.h"
#include "writeback/block_sink.h"

namespace ipfsfs::writeback {

class CacheSink : public BlockSink {
 public:
  // Opens the cache in `cache_dir` offline (no sources: nothing is fetched).
  // kUnavailable when another process (a running mount) holds it.
  [[nodiscard]] static Result<std::unique_ptr<CacheSink>> Open(const std::string& cache_dir);
  // Over an already open cache that outlives the sink.
  explicit CacheSink(blockcache::BlockCache& cache) : cache_(cache), hold_(cache_.HoldNewBlocks()) {}

  using BlockSink::Put;
  [[nodiscard]] Status Put(const ipld::Cid& cid, std::span<const ByteSpan> parts) override;
  [[nodiscard]] Status Finish(const std::vector<ipld::Cid>& roots) override;

 private:
  CacheSink(std::unique_ptr<blockcache::BlockCache> owned)
      : owned_(std::move(owned)), cache_(*owned_), hold_(cache_.HoldNewBlocks()) {}
  std::unique_ptr<blockcache::BlockCache> owned_;
  blockcache::BlockCache& cache_;
  // An add larger than the quota keeps its first blocks until its roots are
  // pinned (released before the cache it holds: declared after it).
  std::shared_ptr<void> hold_;
};

}  // namespace ipfsfs::writeback

#endif  // IPFSFS_WRITEBACK_CACHE_SINK_H_
