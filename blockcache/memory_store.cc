// Store in memory: a hash map under one mutex (tests, benches, --cache-dir "").
#include <map>
#include <mutex>
#include <unordered_map>

#include "blockcache/store.h"

namespace ipfsfs::blockcache {
namespace {

class MemoryStore : public Store {
 public:
  Result<std::optional<std::shared_ptr<const Bytes>>> GetData(const ipld::Multihash& mh) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries_.find(mh);
    if (it == entries_.end()) return std::optional<std::shared_ptr<const Bytes>>();
    return std::optional<std::shared_ptr<const Bytes>>(it->second.data);
  }
  Status Put(const ipld::Multihash& mh, ByteSpan data, const BlockMeta& meta) override {
    auto bytes = std::make_shared<const Bytes>(data.begin(), data.end());
    std::lock_guard<std::mutex> lock(mu_);
    entries_[mh] = Entry{std::move(bytes), meta};
    return OkStatus();
  }
  Status PutShared(const ipld::Multihash& mh, const std::shared_ptr<const Bytes>& data, const BlockMeta& meta) override {
    std::lock_guard<std::mutex> lock(mu_);
    entries_[mh] = Entry{data, meta};
    return OkStatus();
  }
  Status PutMeta(const std::vector<std::pair<ipld::Multihash, BlockMeta>>& metas) override {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [mh, meta] : metas) {
      auto it = entries_.find(mh);
      if (it != entries_.end()) it->second.meta = meta;
    }
    return OkStatus();
  }
  Status Delete(const std::vector<ipld::Multihash>& mhs) override {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& mh : mhs) entries_.erase(mh);
    return OkStatus();
  }
  Status ForEachMeta(const std::function<void(ipld::Multihash, const BlockMeta&)>& fn) override {
    std::vector<std::pair<ipld::Multihash, BlockMeta>> copy;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (const auto& [mh, e] : entries_) copy.emplace_back(mh, e.meta);
    }
    for (const auto& [mh, meta] : copy) fn(mh, meta);
    return OkStatus();
  }
  Status AddRoot(const ipld::Cid& root) override {
    std::lock_guard<std::mutex> lock(mu_);
    roots_[root.ToBytes()] = root;
    return OkStatus();
  }
  Status RemoveRoot(const ipld::Cid& root) override {
    std::lock_guard<std::mutex> lock(mu_);
    roots_.erase(root.ToBytes());
    return OkStatus();
  }
  Result<std::vector<ipld::Cid>> Roots() override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<ipld::Cid> out;
    for (const auto& [key, cid] : roots_) out.push_back(cid);
    return out;
  }

 private:
  struct Entry {
    std::shared_ptr<const Bytes> data;
    BlockMeta meta;
  };
  std::mutex mu_;
  std::unordered_map<ipld::Multihash, Entry, ipld::MultihashHasher> entries_;  // GUARDED_BY(mu_)
  std::map<Bytes, ipld::Cid> roots_;                                          // GUARDED_BY(mu_)
};

}  // namespace

std::unique_ptr<Store> NewMemoryStore() { return std::make_unique<MemoryStore>(); }

}  // namespace ipfsfs::blockcache
