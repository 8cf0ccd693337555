#include "blockcache/memory_tier.h"

#include <list>
#include <mutex>
#include <unordered_map>
#include <utility>

namespace ipfsfs::blockcache {
namespace {

class MemoryTier : public Store {
 public:
  MemoryTier(std::unique_ptr<Store> inner, uint64_t bytes) : inner_(std::move(inner)), max_bytes_(bytes) {}

  Result<std::optional<std::shared_ptr<const Bytes>>> GetData(const ipld::Multihash& mh) override {
    if (auto hit = Lookup(mh)) return std::optional<std::shared_ptr<const Bytes>>(std::move(hit));
    IPFSFS_ASSIGN_OR_RETURN(auto data, inner_->GetData(mh));
    if (data) Keep(mh, *data);
    return data;
  }
  Result<std::optional<BlockExtent>> Locate(const ipld::Multihash& mh) override {
    if (Lookup(mh)) return std::optional<BlockExtent>();  // in memory: GetData answers without I/O
    return inner_->Locate(mh);
  }
  Status Put(const ipld::Multihash& mh, ByteSpan data, const BlockMeta& meta) override {
    return inner_->Put(mh, data, meta);  // bytes nobody shares: not worth a copy
  }
  Status PutShared(const ipld::Multihash& mh, const std::shared_ptr<const Bytes>& data,
                   const BlockMeta& meta) override {
    IPFSFS_RETURN_IF_ERROR(inner_->PutShared(mh, data, meta));
    Keep(mh, data);
    return OkStatus();
  }
  Status PutMeta(const std::vector<std::pair<ipld::Multihash, BlockMeta>>& metas) override {
    return inner_->PutMeta(metas);
  }
  Status Delete(const std::vector<ipld::Multihash>& mhs) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (const auto& mh : mhs) {
        auto it = index_.find(mh);
        if (it == index_.end()) continue;
        bytes_ -= it->second->second->size();
        lru_.erase(it->second);
        index_.erase(it);
      }
    }
    return inner_->Delete(mhs);
  }
  uint64_t EstimatedBlocks() override { return inner_->EstimatedBlocks(); }
  Status ForEachMeta(const std::function<void(ipld::Multihash, const BlockMeta&)>& fn) override {
    return inner_->ForEachMeta(fn);
  }
  Status Reclaim(uint64_t live_bytes, uint64_t min_garbage) override {
    return inner_->Reclaim(live_bytes, min_garbage);
  }
  Status AddRoot(const ipld::Cid& root) override { return inner_->AddRoot(root); }
  Status RemoveRoot(const ipld::Cid& root) override { return inner_->RemoveRoot(root); }
  Result<std::vector<ipld::Cid>> Roots() override { return inner_->Roots(); }

 private:
  using Entry = std::pair<ipld::Multihash, std::shared_ptr<const Bytes>>;

  std::shared_ptr<const Bytes> Lookup(const ipld::Multihash& mh) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = index_.find(mh);
    if (it == index_.end()) return nullptr;
    lru_.splice(lru_.begin(), lru_, it->second);
    return it->second->second;
  }

  void Keep(const ipld::Multihash& mh, const std::shared_ptr<const Bytes>& data) {
    if (data->size() > max_bytes_) return;
    std::lock_guard<std::mutex> lock(mu_);
    if (index_.count(mh)) return;
    lru_.emplace_front(mh, data);
    index_[mh] = lru_.begin();
    bytes_ += data->size();
    while (bytes_ > max_bytes_) {
      bytes_ -= lru_.back().second->size();
      index_.erase(lru_.back().first);
      lru_.pop_back();
    }
  }

  std::unique_ptr<Store> inner_;
  const uint64_t max_bytes_;
  std::mutex mu_;
  std::list<Entry> lru_;  // GUARDED_BY(mu_): most recent first
  std::unordered_map<ipld::Multihash, std::list<Entry>::iterator, ipld::MultihashHasher> index_;  // GUARDED_BY(mu_)
  uint64_t bytes_ = 0;                                                                            // GUARDED_BY(mu_)
};

}  // namespace

std::unique_ptr<Store> NewMemoryTier(std::unique_ptr<Store> inner, uint64_t bytes) {
  if (bytes == 0) return inner;
  return std::make_unique<MemoryTier>(std::move(inner), bytes);
}

}  // namespace ipfsfs::blockcache
