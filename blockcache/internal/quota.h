// Quota: what the store holds and what may leave it (after CernVM-FS's quota
// manager). Keeps the index of stored blocks (size, last use, pin count),
// their total size, LRU eviction of blocks neither pinned nor held (down to
// 90% of the quota once it is passed), holds on newly stored blocks, the pin
// counts of pinned blocks dropped as damaged until they are stored again, and
// last-use times batched in memory until Flush.
//
// Does not own the Store (the cache does); every block write and delete goes
// through here so index and store agree. Thread-safe: mu_ guards the index and
// is never held across a Store call; evict_mu_ (taken first) lets one
// eviction run at a time; write_mu_ (then) keeps a store from landing between
// a removal's index erase and its store delete.
#ifndef IPFSFS_BLOCKCACHE_INTERNAL_QUOTA_H_
#define IPFSFS_BLOCKCACHE_INTERNAL_QUOTA_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "blockcache/block.h"
#include "blockcache/block_cache.h"
#include "blockcache/store.h"
#include "ipld/multihash.h"

namespace ipfsfs::blockcache::internal {

struct QuotaCounts {
  uint64_t stored_blocks = 0;
  uint64_t stored_bytes = 0;
  uint64_t pinned_blocks = 0;
  uint64_t evicted_blocks = 0;
};

class Quota {
 public:
  // `on_evict` runs (without a lock) after blocks were evicted.
  Quota(Store& store, uint64_t max_bytes, std::function<void()> on_evict);
  Quota(const Quota&) = delete;
  Quota& operator=(const Quota&) = delete;

  // Loads the index from the store; once, before anything else.
  [[nodiscard]] Status Load();

  // Stored: marks it used now and returns its size; nullopt when absent.
  std::optional<uint64_t> Touch(const ipld::Multihash& mh);
  std::optional<uint64_t> StoredSize(const ipld::Multihash& mh) const;
  bool Contains(const ipld::Multihash& mh) const { return StoredSize(mh).has_value(); }
  std::vector<ipld::Multihash> All() const;

  // Stores a verified block with `pins` (a no-op when stored already, but the
  // live holds still count it); may evict to stay in quota.
  [[nodiscard]] Status Commit(const Block& block, uint32_t pins);
  // Forgets and deletes blocks whose stored bytes are damaged; their pin
  // counts come back when they are stored again.
  [[nodiscard]] Status DropDamaged(const std::vector<ipld::Multihash>& mhs);

  // Blocks committed while the hold lives are not evicted (BlockCache::HoldNewBlocks).
  std::shared_ptr<void> Hold();

  // Adds (delta > 0) or removes one pin on a stored block; a block not stored
  // but given is stored pinned. kNotFound when neither. Reaches the store on Flush.
  [[nodiscard]] Status AdjustPin(const ipld::Cid& cid, const Block* block, int delta);
  // After pins were removed: blocks may be evictable again.
  void PinsRemoved();

  // Evicts LRU unpinned, unheld blocks down to `target` (default: the quota),
  // then lets the store reclaim space when worth it.
  [[nodiscard]] Result<GcResult> Gc(std::optional<uint64_t> target);
  // Writes batched last-use times and pin counts.
  [[nodiscard]] Status Flush();

  QuotaCounts Counts() const;
  uint64_t max_bytes() const { return max_bytes_; }

 private:
  // Commit's store and index insert, without the eviction that may follow.
  [[nodiscard]] Status StoreBlock(const Block& block, uint32_t pins);
  struct Entry {
    uint64_t size = 0;
    uint64_t last_use = 0;
    uint32_t pins = 0;
    bool dirty = false;
  };
  void MaybeEvict();
  Result<GcResult> EvictTo(uint64_t target);

  Store& store_;
  const uint64_t max_bytes_;
  const std::function<void()> on_evict_;

  mutable std::mutex mu_;
  std::unordered_map<ipld::Multihash, Entry, ipld::MultihashHasher> index_;  // GUARDED_BY(mu_)
  uint64_t stored_bytes_ = 0;                                                // GUARDED_BY(mu_)
  uint64_t pinned_blocks_ = 0;                                               // GUARDED_BY(mu_)
  // Pin counts of pinned blocks dropped as damaged, until they are stored again.
  std::unordered_map<ipld::Multihash, uint32_t, ipld::MultihashHasher> lost_pins_;  // GUARDED_BY(mu_)
  // Each live hold's blocks, and how many holds keep each block.
  uint64_t next_hold_ = 0;                                                     // GUARDED_BY(mu_)
  std::unordered_map<uint64_t, std::vector<ipld::Multihash>> holds_;           // GUARDED_BY(mu_)
  std::unordered_map<ipld::Multihash, uint32_t, ipld::MultihashHasher> held_;  // GUARDED_BY(mu_)
  // Over the quota with nothing evictable (all pinned or held): skip the index
  // scans until something becomes evictable again.
  bool evict_blocked_ = false;  // GUARDED_BY(mu_)
  std::mutex evict_mu_;
  // Shared by stores, exclusive for a removal (eviction, damaged blocks) from
  // its index erase to its store delete; taken after evict_mu_, before mu_.
  std::shared_mutex write_mu_;
  std::atomic<uint64_t> evicted_blocks_{0};
};

}  // namespace ipfsfs::blockcache::internal

#endif  // IPFSFS_BLOCKCACHE_INTERNAL_QUOTA_H_
