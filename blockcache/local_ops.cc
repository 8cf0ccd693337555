// BlockCache, the local side: commit, quota with LRU eviction, the memory tier,
// local lookups, statistics.
#include <algorithm>

#include "blockcache/internal/block_cache_impl.h"

namespace ipfsfs::blockcache::internal {

std::optional<Block> BlockCacheImpl::MemoryGet(const ipld::Multihash& mh) {
  if (options_.memory_cache_bytes == 0) return std::nullopt;
  std::lock_guard<std::mutex> lock(mem_mu_);
  auto it = mem_index_.find(mh);
  if (it == mem_index_.end()) return std::nullopt;
  mem_lru_.splice(mem_lru_.begin(), mem_lru_, it->second);
  return *it->second;
}

void BlockCacheImpl::MemoryPut(const Block& block) {
  if (block.size() > options_.memory_cache_bytes) return;
  std::lock_guard<std::mutex> lock(mem_mu_);
  const auto& mh = block.cid().hash();
  if (mem_index_.count(mh)) return;
  mem_lru_.push_front(block);
  mem_index_[mh] = mem_lru_.begin();
  mem_bytes_ += block.size();
  while (mem_bytes_ > options_.memory_cache_bytes) {
    const Block& last = mem_lru_.back();
    mem_bytes_ -= last.size();
    mem_index_.erase(last.cid().hash());
    mem_lru_.pop_back();
  }
}

Status BlockCacheImpl::Commit(const Block& block, uint32_t pins) {
  const auto& mh = block.cid().hash();
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [id, blocks] : holds_) {
      blocks.push_back(mh);
      ++held_[mh];
    }
    // A new block nobody pins or holds can be evicted: worth a scan again.
    if (holds_.empty() && pins == 0) evict_blocked_ = false;
    if (index_.count(mh)) return OkStatus();
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto lost = lost_pins_.find(mh);
    if (lost != lost_pins_.end()) {
      pins = std::max(pins, lost->second);
      lost_pins_.erase(lost);
    }
  }
  BlockMeta meta{block.size(), NowMs(), pins};
  IPFSFS_RETURN_IF_ERROR(store_->PutShared(mh, block.shared_bytes(), meta));
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto [it, inserted] = index_.emplace(mh, IndexEntry{meta.size, meta.last_use, pins, false});
    if (inserted) {
      stored_bytes_ += meta.size;
      if (pins > 0) ++pinned_blocks_;
    }
  }
  MaybeEvict();
  return OkStatus();
}

Status BlockCacheImpl::Put(const Block& block) {
  if (block.cid().hash().is_identity()) return OkStatus();  // carried by the CID itself
  return Commit(block, 0);
}

std::shared_ptr<void> BlockCacheImpl::HoldNewBlocks() {
  uint64_t id;
  {
    std::lock_guard<std::mutex> lock(mu_);
    id = ++next_hold_;
    holds_[id];
  }
  return std::shared_ptr<void>(nullptr, [this, id](void*) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      // Only this hold's blocks are let go: overlapping holds keep theirs.
      for (const auto& mh : holds_[id]) {
        auto it = held_.find(mh);
        if (it != held_.end() && --it->second == 0) held_.erase(it);
      }
      holds_.erase(id);
      evict_blocked_ = false;
    }
    MaybeEvict();
  });
}

void BlockCacheImpl::MaybeEvict() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stored_bytes_ <= options_.max_bytes || evict_blocked_) return;
  }
  // Down to 90% so eviction runs in batches, not on every insert.
  auto r = EvictTo(options_.max_bytes / 10 * 9);
  if (!r) Log()->error("evicting blocks: {}", r.error().message);
}

Result<GcResult> BlockCacheImpl::EvictTo(uint64_t target) {
  std::lock_guard<std::mutex> evict_lock(evict_mu_);
  GcResult result;
  std::vector<ipld::Multihash> victims;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stored_bytes_ <= target) return result;
    std::vector<std::pair<uint64_t, const ipld::Multihash*>> candidates;
    for (const auto& [mh, e] : index_) {
      if (e.pins == 0 && !held_.count(mh)) candidates.emplace_back(e.last_use, &mh);
    }
    std::sort(candidates.begin(), candidates.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    uint64_t remaining = stored_bytes_;
    for (const auto& [last_use, mh] : candidates) {
      if (remaining <= target) break;
      victims.push_back(*mh);
      remaining -= index_.find(*mh)->second.size;
    }
    for (const auto& mh : victims) {
      auto it = index_.find(mh);
      result.evicted_bytes += it->second.size;
      stored_bytes_ -= it->second.size;
      index_.erase(it);
    }
    if (!victims.empty()) prefetched_.clear();
    if (stored_bytes_ > target && target > 0 && !evict_blocked_) {
      Log()->info("cache holds {} bytes of pinned or held blocks, over the {} byte target", stored_bytes_, target);
    }
    // Nothing left to evict: no more scans (and log lines) per stored block.
    evict_blocked_ = stored_bytes_ > target;
  }
  result.evicted_blocks = victims.size();
  evicted_blocks_ += victims.size();
  if (!victims.empty()) IPFSFS_RETURN_IF_ERROR(store_->Delete(victims));
  return result;
}

Result<GcResult> BlockCacheImpl::Gc(std::optional<uint64_t> target_bytes) {
  std::lock_guard<std::mutex> pin_lock(pin_mu_);
  IPFSFS_RETURN_IF_ERROR(Flush());
  IPFSFS_ASSIGN_OR_RETURN(auto result, EvictTo(target_bytes.value_or(options_.max_bytes)));
  // Evicted blocks may share blob files with live ones: give that space back
  // when it is worth a rewrite (a tenth of what the cache holds, 16 MiB at least).
  uint64_t stored;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stored = stored_bytes_;
  }
  // The eviction stands even when the space cannot be taken back now.
  if (auto s = store_->Reclaim(stored, std::max<uint64_t>(16u << 20, stored / 10)); !s) {
    Log()->warn("gc: {}", s.error().message);
  }
  return result;
}

Status BlockCacheImpl::Flush() {
  std::vector<std::pair<ipld::Multihash, BlockMeta>> dirty;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [mh, e] : index_) {
      if (!e.dirty) continue;
      e.dirty = false;
      dirty.emplace_back(mh, BlockMeta{e.size, e.last_use, e.pins});
    }
  }
  if (dirty.empty()) return OkStatus();
  return store_->PutMeta(dirty);
}

Result<std::optional<Block>> BlockCacheImpl::GetLocal(const ipld::Cid& cid) {
  if (cid.hash().is_identity()) {
    IPFSFS_ASSIGN_OR_RETURN(auto b, Block::FromIdentity(cid));
    return std::optional<Block>(std::move(b));
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!index_.count(cid.hash())) return std::optional<Block>();
  }
  IPFSFS_ASSIGN_OR_RETURN(auto data, store_->GetData(cid.hash()));
  if (!data) return std::optional<Block>();
  if (!options_.hash_on_read) return std::optional<Block>(Block::FromStore(cid, std::move(*data)));
  IPFSFS_ASSIGN_OR_RETURN(auto block, Block::Verify(cid, std::move(*data)));
  return std::optional<Block>(std::move(block));
}

bool BlockCacheImpl::Has(const ipld::Cid& cid) {
  if (cid.hash().is_identity()) return true;
  std::lock_guard<std::mutex> lock(mu_);
  return index_.count(cid.hash()) > 0;
}

CacheStats BlockCacheImpl::Stats() {
  CacheStats s;
  s.hits = hits_;
  s.misses = misses_;
  s.coalesced = coalesced_;
  s.fetched_blocks = fetched_blocks_;
  s.fetched_bytes = fetched_bytes_;
  s.fetch_errors = fetch_errors_;
  s.evicted_blocks = evicted_blocks_;
  s.max_bytes = options_.max_bytes;
  auto roots = store_->Roots();
  s.pinned_roots = roots ? roots->size() : 0;
  std::lock_guard<std::mutex> lock(mu_);
  s.stored_blocks = index_.size();
  s.stored_bytes = stored_bytes_;
  s.pinned_blocks = pinned_blocks_;
  for (const auto& src : sources_) s.sources.push_back(src.stats);
  return s;
}

}  // namespace ipfsfs::blockcache::internal
