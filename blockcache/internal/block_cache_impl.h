// BlockCacheImpl: the BlockCache behind blockcache/block_cache.h.
//
// Split over block_cache.cc (get, in-flight fetches, sources), local_ops.cc
// (commit, quota, memory tier, stats), car_stream.cc (CAR responses verified block by block) and dag_ops.cc (the
// blocking DAG walks: fetch, pin, export, import, verify).
//
// Locking: mu_ guards the index, the in-flight table and source health; it is
// never held while calling a callback, a Source or the Store's writes.
// Source callbacks arrive on net/ threads and only post to pool_.
#ifndef IPFSFS_BLOCKCACHE_INTERNAL_BLOCK_CACHE_IMPL_H_
#define IPFSFS_BLOCKCACHE_INTERNAL_BLOCK_CACHE_IMPL_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <spdlog/spdlog.h>

#include "blockcache/block_cache.h"
#include "blockcache/executor.h"
#include "net/http_engine.h"

namespace ipfsfs::blockcache::internal {

using Clock = std::chrono::steady_clock;

std::shared_ptr<spdlog::logger> Log();
uint64_t NowMs();  // wall clock, for last-use times
// Steady clock in ms, for intervals kept in atomics (the last miss).
inline int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch()).count();
}

struct SourceState {
  std::unique_ptr<Source> source;
  SourceStats stats;
  double ewma_ms = 0;            // usual latency of a good block response
  Clock::time_point demoted_until{};
};

// One block being fetched; every Get of its multihash waits here.
struct InFlight {
  ipld::Cid cid;
  std::vector<BlockCallback> waiters;
  std::vector<std::shared_ptr<FetchHandle>> handles;
  std::vector<size_t> tried;        // source indexes, in order of attempts
  std::vector<bool> said_missing;   // per source: answered "not found"
  int attempts = 0;
  int outstanding = 0;
  bool done = false;
  bool deferred = false;            // waiting for a ranged CAR to bring it (GetExpected)
  bool any_not_found_only = true;   // every failure so far was kNotFound
  std::optional<Error> last_error;
  Clock::time_point deadline;
};

class BlockCacheImpl : public BlockCache {
 public:
  BlockCacheImpl(BlockCacheOptions options, std::unique_ptr<Store> store, std::vector<std::unique_ptr<Source>> sources,
                 std::unique_ptr<net::HttpEngine> engine);
  ~BlockCacheImpl() override;
  Status Init();

  void Get(const ipld::Cid& cid, BlockCallback done) override;
  void Prefetch(const ipld::Cid& root, PrefetchScope scope) override;
  void PrefetchRange(const ipld::Cid& root, ByteRange range, std::function<void(Status)> done) override;
  void CancelRange(const ipld::Cid& root, ByteRange range) override;
  void GetExpected(const ipld::Cid& cid, std::chrono::milliseconds patience, BlockCallback done) override;
  Result<std::optional<Block>> GetLocal(const ipld::Cid& cid) override;
  bool Has(const ipld::Cid& cid) override;
  Status Put(const Block& block) override;
  std::shared_ptr<void> HoldNewBlocks() override;
  Result<FetchProgress> Fetch(const ipld::Cid& root, bool use_car,
                              std::function<void(const FetchProgress&)> progress) override;
  Status Pin(const ipld::Cid& root) override;
  Status Unpin(const ipld::Cid& root) override;
  Result<std::vector<ipld::Cid>> Pins() override;
  Result<GcResult> Gc(std::optional<uint64_t> target_bytes) override;
  CacheStats Stats() override;
  Result<std::vector<ipld::Cid>> ImportCar(const std::string& path) override;
  Status ExportCar(const ipld::Cid& root, const std::string& path) override;
  Result<VerifyResult> Verify() override;
  Status Flush() override;

  // Streams a CAR of `root` from the best source; `done(status, blocks)` when
  // it ends (car_stream.cc). `asked`: the range a reader asked for (before
  // trimming to `bytes`), which CancelRange finds it by.
  void StreamCar(const ipld::Cid& root, PrefetchScope scope, std::optional<ByteRange> bytes,
                 std::function<void(Status, uint64_t)> done, std::optional<ByteRange> asked = std::nullopt);
  // In the cache, or fetched alone right now.
  bool HasOrComing(const ipld::Cid& cid);
  // Widens `missing` over the bytes of [want.from, want.to) that the cached
  // blocks of the UnixFS file node `cid` (its bytes at [base, end) of the file)
  // cannot serve. Reads only cached inner nodes on the range's path, at most
  // `budget` nodes (car_stream.cc).
  void FindMissingBytes(const ipld::Cid& cid, uint64_t base, uint64_t end, ByteRange want, int& budget,
                        std::optional<ByteRange>& missing);
  // Verifies and stores a block that arrived unasked (CAR); wakes its waiters.
  Result<Block> Accept(const ipld::Cid& cid, std::shared_ptr<const Bytes> data, size_t source);
  void NoteCorrupt(size_t source);
  // Logs the first failure to store a fetched block and the recovery.
  void NoteStored(const ipld::Cid& cid, const Status& stored);
  void NoteSourceResult(size_t source, bool ok, double ms, uint64_t bytes);
  // Ranked source indexes, best first.
  std::vector<size_t> Ranked();

  // Bookkeeping of callbacks still to come from sources (the destructor waits).
  void BeginRequest();
  void EndRequest();

  WorkerPool& pool() { return *pool_; }
  size_t source_count() const { return sources_.size(); }
  Source& source(size_t i) { return *sources_[i].source; }
  const BlockCacheOptions& options() const { return options_; }

 private:
  struct IndexEntry {
    uint64_t size = 0;
    uint64_t last_use = 0;
    uint32_t pins = 0;
    bool dirty = false;
  };

  // Get, and GetExpected when `patience` is set.
  void GetImpl(const ipld::Cid& cid, std::optional<std::chrono::milliseconds> patience, BlockCallback done);
  void StartAttempt(const std::shared_ptr<InFlight>& flight);
  // A deferred flight asks the sources now (patience ran out, or the ranged
  // CARs ended without its block).
  void StartDeferred(const std::shared_ptr<InFlight>& flight);
  void OnFetched(const std::shared_ptr<InFlight>& flight, size_t source, Clock::time_point started,
                 Result<std::shared_ptr<Bytes>> result);
  void Complete(const std::shared_ptr<InFlight>& flight, Result<Block> result);
  void ScheduleHedge(const std::shared_ptr<InFlight>& flight, size_t source);
  Status Commit(const Block& block, uint32_t pins);
  void ScheduleFlush();
  void MaybeEvict();
  Result<GcResult> EvictTo(uint64_t target);
  // Visits every block of the DAG under root once (Get: cache, then network),
  // up to `window` gets at a time; visit runs on whichever thread got the block.
  // Raw leaves already stored are visited from the index alone (block null, no
  // read, no hash); visit may answer kNotFound then (evicted meanwhile) and
  // the leaf is fetched as usual.
  using Visit = std::function<Status(const ipld::Cid& cid, const Block* block, uint64_t size)>;
  Status WalkDag(const ipld::Cid& root, size_t window, const Visit& visit, const std::function<void()>& tick = nullptr);
  // Adds `delta` to a stored block's pin count (storing `block`, if given, when
  // it is not stored); kNotFound if it is neither stored nor given.
  Status PinBlock(const ipld::Cid& cid, const Block* block, int delta,
                  std::vector<std::pair<ipld::Multihash, BlockMeta>>& metas);
  std::chrono::milliseconds HedgeDelay(size_t source);

  BlockCacheOptions options_;
  std::unique_ptr<Store> store_;
  std::vector<SourceState> sources_;  // health fields GUARDED_BY(mu_)
  std::unique_ptr<net::HttpEngine> engine_;  // owned when Open() built the sources
  std::unique_ptr<WorkerPool> pool_;
  std::unique_ptr<TimerQueue> timers_;

  std::mutex mu_;
  std::unordered_map<ipld::Multihash, IndexEntry, ipld::MultihashHasher> index_;  // GUARDED_BY(mu_)
  std::unordered_map<ipld::Multihash, std::shared_ptr<InFlight>, ipld::MultihashHasher> inflight_;  // GUARDED_BY(mu_)
  std::unordered_set<ipld::Multihash, ipld::MultihashHasher> prefetching_;  // GUARDED_BY(mu_)
  std::unordered_set<ipld::Multihash, ipld::MultihashHasher> prefetched_;   // GUARDED_BY(mu_): whole CARs done
  // Pin counts of pinned blocks dropped as damaged, until they are stored again.
  std::unordered_map<ipld::Multihash, uint32_t, ipld::MultihashHasher> lost_pins_;  // GUARDED_BY(mu_)
  uint64_t stored_bytes_ = 0;   // GUARDED_BY(mu_)
  uint64_t pinned_blocks_ = 0;  // GUARDED_BY(mu_)
  std::mutex evict_mu_;         // one eviction at a time; taken before mu_
  std::mutex pin_mu_;           // pin/unpin/gc serialised; taken before mu_
  bool closing_ = false;        // GUARDED_BY(mu_)
  // CAR streams in flight (CarStream, car_stream.cc): ends those `which`
  // picks (by root and the range a reader asked for) with kCancelled `why`.
  using CarStreamFilter = std::function<bool(const ipld::Cid& root, const std::optional<ByteRange>& asked)>;
  void CancelCarStreams(const CarStreamFilter& which, const std::string& why);
  std::mutex car_streams_mu_;
  std::vector<std::weak_ptr<void>> car_streams_;  // GUARDED_BY(car_streams_mu_)
  int car_ranges_ = 0;          // GUARDED_BY(mu_): PrefetchRange streams in flight
  std::vector<std::shared_ptr<InFlight>> deferred_;  // GUARDED_BY(mu_): waiting for them
  // HoldNewBlocks: each live hold's blocks, and how many holds keep each block.
  uint64_t next_hold_ = 0;  // GUARDED_BY(mu_)
  std::unordered_map<uint64_t, std::vector<ipld::Multihash>> holds_;  // GUARDED_BY(mu_)
  std::unordered_map<ipld::Multihash, uint32_t, ipld::MultihashHasher> held_;  // GUARDED_BY(mu_): not evicted
  // Over the quota with nothing evictable (all pinned or held): skip the index
  // scans until something becomes evictable again.
  bool evict_blocked_ = false;  // GUARDED_BY(mu_)

  // Memory tier: verified blocks, most recent first.
  std::optional<Block> MemoryGet(const ipld::Multihash& mh);
  void MemoryPut(const Block& block);
  std::mutex mem_mu_;
  std::list<Block> mem_lru_;  // GUARDED_BY(mem_mu_)
  std::unordered_map<ipld::Multihash, std::list<Block>::iterator, ipld::MultihashHasher> mem_index_;  // GUARDED_BY(mem_mu_)
  uint64_t mem_bytes_ = 0;  // GUARDED_BY(mem_mu_)

  std::atomic<int64_t> requests_{0};  // source callbacks still to come
  std::atomic<uint64_t> store_failures_{0};  // fetched blocks not stored since the last success
  std::atomic<int64_t> last_miss_ms_{INT64_MIN / 2};  // steady clock of the last get the cache could not answer

  std::atomic<uint64_t> hits_{0}, misses_{0}, coalesced_{0}, fetched_blocks_{0}, fetched_bytes_{0},
      fetch_errors_{0}, evicted_blocks_{0};
};

}  // namespace ipfsfs::blockcache::internal

#endif  // IPFSFS_BLOCKCACHE_INTERNAL_BLOCK_CACHE_IMPL_H_
