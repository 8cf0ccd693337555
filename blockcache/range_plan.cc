// BlockCache: ranged CARs, and the check before one of what the cache lacks.
#include <algorithm>

#include "blockcache/internal/block_cache_impl.h"
#include "ipld/dag_pb.h"
#include "ipld/unixfs.h"

namespace ipfsfs::blockcache::internal {

void BlockCacheImpl::CancelRange(const ipld::Cid& root, ByteRange range) {
  streamer_->Cancel(
      [&](const ipld::Cid& r, const std::optional<ByteRange>& asked) { return asked == range && r == root; },
      "ranged car cancelled: its reader is gone");
}

namespace {
void Widen(std::optional<ByteRange>& missing, uint64_t from, uint64_t to) {
  if (from >= to) return;
  if (!missing) {
    missing = ByteRange{from, to};
  } else {
    missing->from = std::min(missing->from, from);
    missing->to = std::max(missing->to, to);
  }
}
}  // namespace

bool BlockCacheImpl::HasOrComing(const ipld::Cid& cid) {
  if (cid.hash().is_identity()) return true;
  // Asked for alone already (a reader's window): a CAR would bring it twice.
  // A deferred fetch waits for a CAR, so it counts as missing.
  return quota_->Contains(cid.hash()) || fetcher_->FetchingAlone(cid.hash());
}

void BlockCacheImpl::FindMissingBytes(const ipld::Cid& cid, uint64_t base, uint64_t end, ByteRange want,
                                      int& budget, std::optional<ByteRange>& missing) {
  const uint64_t from = std::max(base, want.from);
  const uint64_t to = std::min(end, want.to);
  if (from >= to) return;
  // Bounded work on the reader's thread, whatever a DAG claims (a node may
  // link the same child many times): past the budget, the CAR decides.
  if (--budget < 0) return Widen(missing, from, to);
  if (cid.codec() == static_cast<uint64_t>(ipld::Codec::kRaw)) {
    if (!HasOrComing(cid)) Widen(missing, from, to);
    return;
  }
  // A dag-pb block at least as big as the file bytes under it holds them
  // itself (a leaf): present is enough, no need to read it.
  std::optional<uint64_t> stored = quota_->StoredSize(cid.hash());
  if (cid.hash().is_identity()) stored = cid.hash().digest().size();
  if (!stored) return Widen(missing, from, to);
  if (end != UINT64_MAX && *stored >= end - base) return;
  // Anything this walk cannot follow is left to the CAR (the gateway knows).
  if (cid.codec() != static_cast<uint64_t>(ipld::Codec::kDagPb)) return Widen(missing, from, to);
  auto block = GetLocal(cid);
  if (!block || !*block) return Widen(missing, from, to);
  auto node = ipld::DecodePbNode((*block)->bytes());
  if (!node) return Widen(missing, from, to);
  if (node->links.empty()) return;  // a leaf
  if (!node->data) return Widen(missing, from, to);
  auto fs = ipld::DecodeUnixfsData(*node->data);
  if (!fs || fs->blocksizes.size() != node->links.size()) return Widen(missing, from, to);
  uint64_t at = base + (fs->data ? fs->data->size() : 0);
  for (size_t i = 0; i < node->links.size() && at < want.to; ++i) {
    const uint64_t next = at + fs->blocksizes[i];
    // Children beyond their parent's bytes: not a DAG to trust for this.
    if (next < at || next > end) return Widen(missing, std::max(at, want.from), to);
    if (next > want.from) FindMissingBytes(node->links[i].hash, at, next, want, budget, missing);
    at = next;
  }
}

void BlockCacheImpl::PrefetchRange(const ipld::Cid& root, ByteRange range, std::function<void(Status)> done) {
  if (options_.offline || sources_->empty()) {
    done(MakeError(ErrorCode::kUnsupported, "offline: no ranged prefetch"));
    return;
  }
  if (!sources_->AnySupportsByteRanges()) {
    done(MakeError(ErrorCode::kUnsupported, "no source serves byte ranges of a file as a car"));
    return;
  }
  // Every get answered from the cache lately: the file is (most likely) here
  // already, and a CAR would only bring blocks to hash and drop.
  if (SteadyMs() - last_miss_ms_.load(std::memory_order_relaxed) > 1000) {
    done(OkStatus());
    return;
  }
  // Misses lately, maybe another reader's: ask only for what this file lacks.
  std::optional<ByteRange> missing;
  int budget = 4096;  // nodes: a 64 MiB range of 256 KiB blocks visits ~260
  FindMissingBytes(root, 0, UINT64_MAX, range, budget, missing);
  if (!missing) {
    done(OkStatus());
    return;
  }
  const ByteRange asked = range;
  range = *missing;
  fetcher_->BeginRange();
  streamer_->Stream(root, PrefetchScope::kEntity, range, [this, root, done = std::move(done)](Status s, uint64_t blocks) {
    if (!s) Log()->debug("ranged car of {}: {} after {} blocks", root.ToString(), s.error().message, blocks);
    fetcher_->EndRange();
    done(std::move(s));
  }, asked);
}

}  // namespace ipfsfs::blockcache::internal
