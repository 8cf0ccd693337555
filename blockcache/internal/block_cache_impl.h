// BlockCacheImpl: the BlockCache behind blockcache/block_cache.h, a thin
// composition of parts that each do one job:
//   Sources     ranking and health of the places blocks come from
//   Store       the memory tier (NewMemoryTier) over RocksDB or memory
//   Quota       the index over the store: quota/LRU, pins, holds
//   Fetcher     in-flight misses: coalescing, failover, hedging, deadlines
//   CarStreamer CAR responses handed block by block to Accept
// Get = store hit (through Quota) or Fetcher; Put and every fetched block =
// Quota::Commit. block_cache.cc holds the getter side, maintenance.cc pins,
// gc and verify.
//
// Locking: each part has its own; this class keeps only prefetch_mu_ (which
// roots are being or were prefetched whole) and atomics. Source callbacks
// arrive on net/ threads and only post to pool_.
#ifndef IPFSFS_BLOCKCACHE_INTERNAL_BLOCK_CACHE_IMPL_H_
#define IPFSFS_BLOCKCACHE_INTERNAL_BLOCK_CACHE_IMPL_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_set>

#include "blockcache/block_cache.h"
#include "blockcache/executor.h"
#include "blockcache/internal/car_stream.h"
#include "blockcache/internal/fetcher.h"
#include "blockcache/internal/log.h"
#include "blockcache/internal/quota.h"
#include "blockcache/sources.h"
#include "net/http_engine.h"

namespace ipfsfs::blockcache::internal {

class BlockCacheImpl : public BlockCache {
 public:
  BlockCacheImpl(BlockCacheOptions options, std::unique_ptr<Store> store, std::vector<std::unique_ptr<Source>> sources,
                 std::unique_ptr<net::HttpEngine> engine);
  ~BlockCacheImpl() override;
  Status Init();

  void Get(const ipld::Cid& cid, BlockCallback done) override;
  void Prefetch(const ipld::Cid& root, PrefetchScope scope) override;
  void PrefetchRange(const ipld::Cid& root, ByteRange range, std::function<void(Status)> done) override;
  void PrefetchDag(const ipld::Cid& root, PrefetchScope scope, uint64_t max_bytes,
                   std::function<void(Status)> done) override;
  void PrefetchHead(const ipld::Cid& root, uint64_t bytes, uint64_t max_bytes,
                    std::function<void(Status)> done) override;
  void CancelRange(const ipld::Cid& root, ByteRange range) override;
  size_t RangeSources() const override;
  void GetExpected(const ipld::Cid& cid, std::chrono::milliseconds patience, BlockCallback done) override;
  Result<std::optional<Block>> GetLocal(const ipld::Cid& cid) override;
  Result<std::optional<BlockExtent>> GetExtent(const ipld::Cid& cid) override;
  bool Has(const ipld::Cid& cid) override;
  Status Put(const Block& block) override;
  std::shared_ptr<void> HoldNewBlocks() override;
  std::optional<uint64_t> StoredSize(const ipld::Cid& cid) override;
  bool FetchingAlone(const ipld::Cid& cid) override;
  std::optional<std::chrono::steady_clock::time_point> LastMiss() override;
  void StreamCar(const ipld::Cid& root, PrefetchScope scope, std::function<void(Status, uint64_t)> done) override;
  std::unique_lock<std::mutex> LockPins() override;
  Status AdjustPin(const ipld::Cid& cid, const Block* block, int delta) override;
  Status AddPinnedRoot(const ipld::Cid& root) override;
  Status RemovePinnedRoot(const ipld::Cid& root) override;
  Result<std::vector<ipld::Cid>> Pins() override;
  Result<GcResult> Gc(std::optional<uint64_t> target_bytes) override;
  CacheStats Stats() override;
  Result<VerifyResult> Verify() override;
  Status Flush() override;

 private:
  // Get, and GetExpected when `patience` is set.
  void GetImpl(const ipld::Cid& cid, std::optional<std::chrono::milliseconds> patience, BlockCallback done);
  // A stored block (re-hashed with hash_on_read); a damaged one is dropped.
  std::optional<Block> ReadStored(const ipld::Cid& cid);
  // Why a ranged or head CAR cannot be asked for now (kUnsupported), if so.
  Status CanStreamRanges(const char* what) const;
  // Verifies and stores a block that came in a CAR; wakes its waiters.
  Status Accept(const ipld::Cid& root, const ipld::Cid& cid, std::shared_ptr<const Bytes> data, size_t source);
  // Logs the first failure to store a fetched block and the recovery.
  void NoteStored(const ipld::Cid& cid, const Status& stored);
  void ScheduleFlush();
  // options_.now (or the steady clock), in its ticks for the last miss kept in an atomic.
  std::chrono::steady_clock::time_point Now() const;

  const BlockCacheOptions options_;
  Store* disk_ = nullptr;         // owned by store_: `cache verify` reads the disk itself
  std::unique_ptr<Store> store_;  // the memory tier over disk_
  std::unique_ptr<Sources> sources_;
  std::unique_ptr<net::HttpEngine> engine_;  // owned when Open() built the sources
  PendingRequests requests_;
  std::unique_ptr<Quota> quota_;
  std::unique_ptr<WorkerPool> pool_;
  std::unique_ptr<TimerQueue> timers_;
  std::unique_ptr<Fetcher> fetcher_;
  std::unique_ptr<CarStreamer> streamer_;

  std::mutex pin_mu_;  // LockPins: pin changes and gc serialised
  std::mutex prefetch_mu_;
  std::unordered_set<ipld::Multihash, ipld::MultihashHasher> prefetching_;  // GUARDED_BY(prefetch_mu_)
  std::unordered_set<ipld::Multihash, ipld::MultihashHasher> prefetched_;   // GUARDED_BY(prefetch_mu_): whole CARs done
  std::unordered_set<ipld::Multihash, ipld::MultihashHasher> dag_streams_;  // GUARDED_BY(prefetch_mu_): PrefetchDag
  std::atomic<bool> closing_{false};
  std::atomic<uint64_t> store_failures_{0};  // fetched blocks not stored since the last success
  // Now() of the last get the cache could not answer, in steady_clock ticks; 0: none yet.
  std::atomic<std::chrono::steady_clock::rep> last_miss_{0};
  std::atomic<uint64_t> hits_{0}, misses_{0};
};

}  // namespace ipfsfs::blockcache::internal

#endif  // IPFSFS_BLOCKCACHE_INTERNAL_BLOCK_CACHE_IMPL_H_
