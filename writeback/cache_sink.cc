#include "writeback/cache_sink.h"

#include "blockcache/dag_tools.h"
namespace ipfsfs::writeback {

Result<std::unique_ptr<CacheSink>> CacheSink::Open(const std::string& cache_dir) {
  if (cache_dir.empty()) return MakeError(ErrorCode::kInvalidArgument, "no cache directory given");
  blockcache::BlockCacheOptions options;
  options.cache_dir = cache_dir;
  options.offline = true;
  auto cache = blockcache::BlockCache::Open(std::move(options));
  if (!cache) return tl::unexpected<Error>(cache.error().Wrap("block cache " + cache_dir));
  return std::unique_ptr<CacheSink>(new CacheSink(std::move(*cache)));
}

Status CacheSink::Put(const ipld::Cid& cid, std::span<const ByteSpan> parts) {
  Bytes block;
  size_t total = 0;
  for (ByteSpan p : parts) total += p.size();
  block.reserve(total);
  for (ByteSpan p : parts) Append(block, p);
  IPFSFS_ASSIGN_OR_RETURN(blockcache::Block verified, blockcache::Block::Verify(cid, std::move(block)));
  return cache_.Put(verified);
}

Status CacheSink::Finish(const std::vector<ipld::Cid>& roots) {
  for (const ipld::Cid& root : roots) IPFSFS_RETURN_IF_ERROR(blockcache::Pin(cache_, root));
  return cache_.Flush();
}

}  // namespace ipfsfs::writeback
