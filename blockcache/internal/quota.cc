#include "blockcache/internal/quota.h"

#include <algorithm>

#include "blockcache/internal/log.h"

namespace ipfsfs::blockcache::internal {

Quota::Quota(Store& store, uint64_t max_bytes, std::function<void()> on_evict)
    : store_(store), max_bytes_(max_bytes), on_evict_(std::move(on_evict)) {}

Status Quota::Load() {
  // Before anything else runs, so mu_ is held across the store's scan (once,
  // not per block), and the index is sized once: a million-block cache opens
  // without rehashing.
  const uint64_t estimate = store_.EstimatedBlocks();
  std::lock_guard<std::mutex> lock(mu_);
  index_.reserve(estimate + estimate / 8);
  return store_.ForEachMeta([this](ipld::Multihash mh, const BlockMeta& meta) {
    index_.insert_or_assign(std::move(mh), Entry{meta.size, meta.last_use, meta.pins, false});
    stored_bytes_ += meta.size;
    if (meta.pins > 0) ++pinned_blocks_;
  });
}

std::optional<uint64_t> Quota::Touch(const ipld::Multihash& mh) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = index_.find(mh);
  if (it == index_.end()) return std::nullopt;
  it->second.last_use = NowMs();
  it->second.dirty = true;
  return it->second.size;
}

std::optional<uint64_t> Quota::StoredSize(const ipld::Multihash& mh) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = index_.find(mh);
  if (it == index_.end()) return std::nullopt;
  return it->second.size;
}

std::vector<ipld::Multihash> Quota::All() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<ipld::Multihash> all;
  all.reserve(index_.size());
  for (const auto& [mh, e] : index_) all.push_back(mh);
  return all;
}

Status Quota::Commit(const Block& block, uint32_t pins) {
  IPFSFS_RETURN_IF_ERROR(StoreBlock(block, pins));
  MaybeEvict();
  return OkStatus();
}

// Commit without the eviction that may follow it. Shared with other stores,
// exclusive of a removal's index erase and store delete: otherwise a block
// stored again between an eviction's erase and its delete would be indexed
// but gone from the store.
Status Quota::StoreBlock(const Block& block, uint32_t pins) {
  std::shared_lock<std::shared_mutex> writing(write_mu_);
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
    auto lost = lost_pins_.find(mh);
    if (lost != lost_pins_.end()) {
      pins = std::max(pins, lost->second);
      lost_pins_.erase(lost);
    }
  }
  BlockMeta meta{block.size(), NowMs(), pins};
  IPFSFS_RETURN_IF_ERROR(store_.PutShared(mh, block.shared_bytes(), meta));
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto [it, inserted] = index_.emplace(mh, Entry{meta.size, meta.last_use, pins, false});
    if (inserted) {
      stored_bytes_ += meta.size;
      if (pins > 0) ++pinned_blocks_;
    }
  }
  return OkStatus();
}

Status Quota::DropDamaged(const std::vector<ipld::Multihash>& mhs) {
  std::unique_lock<std::shared_mutex> removing(write_mu_);
  std::vector<ipld::Multihash> dropped;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& mh : mhs) {
      auto it = index_.find(mh);
      if (it == index_.end()) continue;
      stored_bytes_ -= it->second.size;
      if (it->second.pins > 0) {
        --pinned_blocks_;
        lost_pins_[it->first] = it->second.pins;  // restored when the block is stored again
      }
      index_.erase(it);
      dropped.push_back(mh);
    }
  }
  if (dropped.empty()) return OkStatus();
  return store_.Delete(dropped);
}

std::shared_ptr<void> Quota::Hold() {
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

Status Quota::AdjustPin(const ipld::Cid& cid, const Block* block, int delta) {
  const auto& mh = cid.hash();
  if (mh.is_identity()) return OkStatus();
  for (int round = 0; round < 2; ++round) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = index_.find(mh);
      if (it != index_.end()) {
        auto& e = it->second;
        if (round == 1 && e.pins > 0) return OkStatus();  // stored pinned just now
        uint32_t before = e.pins;
        e.pins = delta > 0 ? e.pins + 1 : (e.pins > 0 ? e.pins - 1 : 0);
        if (before == 0 && e.pins > 0) ++pinned_blocks_;
        if (before > 0 && e.pins == 0) --pinned_blocks_;
        e.dirty = true;
        return OkStatus();
      }
    }
    if (delta < 0) return OkStatus();
    if (!block) return MakeError(ErrorCode::kNotFound, "block " + cid.ToString() + " was evicted");
    // Evicted between the get and now (a DAG bigger than the quota): store it pinned.
    IPFSFS_RETURN_IF_ERROR(Commit(*block, 1));
  }
  return MakeError(ErrorCode::kInternal, "could not pin " + cid.ToString());
}

void Quota::PinsRemoved() {
  std::lock_guard<std::mutex> lock(mu_);
  evict_blocked_ = false;
}

void Quota::MaybeEvict() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stored_bytes_ <= max_bytes_ || evict_blocked_) return;
  }
  // Down to 90% so eviction runs in batches, not on every insert.
  auto r = EvictTo(max_bytes_ / 10 * 9);
  if (!r) Log()->error("evicting blocks: {}", r.error().message);
}

Result<GcResult> Quota::EvictTo(uint64_t target) {
  std::lock_guard<std::mutex> evict_lock(evict_mu_);
  std::unique_lock<std::shared_mutex> removing(write_mu_);  // through the store delete
  GcResult result;
  std::vector<ipld::Multihash> victims;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stored_bytes_ <= target) return result;
    std::vector<std::pair<uint64_t, const ipld::Multihash*>> candidates;
    for (const auto& [mh, e] : index_) {
      if (e.pins == 0 && !held_.count(mh)) candidates.emplace_back(e.last_use, &mh);
    }
    std::sort(candidates.begin(), candidates.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
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
    if (stored_bytes_ > target && target > 0 && !evict_blocked_) {
      Log()->info("cache holds {} bytes of pinned or held blocks, over the {} byte target", stored_bytes_, target);
    }
    // Nothing left to evict: no more scans (and log lines) per stored block.
    evict_blocked_ = stored_bytes_ > target;
  }
  result.evicted_blocks = victims.size();
  evicted_blocks_ += victims.size();
  if (victims.empty()) return result;
  Status deleted = store_.Delete(victims);
  removing.unlock();
  if (on_evict_) on_evict_();
  IPFSFS_RETURN_IF_ERROR(deleted);
  return result;
}

Result<GcResult> Quota::Gc(std::optional<uint64_t> target) {
  IPFSFS_RETURN_IF_ERROR(Flush());
  IPFSFS_ASSIGN_OR_RETURN(auto result, EvictTo(target.value_or(max_bytes_)));
  // Evicted blocks may share blob files with live ones: give that space back
  // when it is worth a rewrite (a tenth of what the cache holds, 16 MiB at least).
  uint64_t stored;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stored = stored_bytes_;
  }
  // The eviction stands even when the space cannot be taken back now.
  if (auto s = store_.Reclaim(stored, std::max<uint64_t>(16u << 20, stored / 10)); !s) {
    Log()->warn("gc: {}", s.error().message);
  }
  return result;
}

Status Quota::Flush() {
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
  return store_.PutMeta(dirty);
}

QuotaCounts Quota::Counts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return QuotaCounts{index_.size(), stored_bytes_, pinned_blocks_, evicted_blocks_.load()};
}

}  // namespace ipfsfs::blockcache::internal
