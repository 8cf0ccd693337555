// Fetcher: gets blocks the store lacks from the Sources.
//
// One in-flight entry per multihash: concurrent misses of one block join it
// (coalesce) and all get the one answer. An entry asks the best untried source,
// hedges to the next when the answer is slow, fails over on errors, retries
// with backoff once every source was asked, and fails within fetch_timeout
// whatever happens. Bytes are verified against the CID; a verified block goes
// to the commit callback (the store), then to every waiter. An entry started
// with patience while ranged CARs are in flight (GetExpected) asks no source
// until its patience ends or the last of those CARs does. Blocks that arrive
// another way (a CAR) are handed in with Deliver and wake their waiters.
//
// Owns its in-flight table and counters; uses (does not own) the Sources,
// pool, timers and the pending-request count, which must outlive it (the
// cache destroys it after Close and after its timers and pool). Thread-safe:
// mu_ guards the table and every entry, never held while calling a Source, a
// callback or the commit; it may call `stored` (the quota's lock) under mu_.
#ifndef IPFSFS_BLOCKCACHE_INTERNAL_FETCHER_H_
#define IPFSFS_BLOCKCACHE_INTERNAL_FETCHER_H_

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "blockcache/block.h"
#include "blockcache/block_getter.h"
#include "blockcache/executor.h"
#include "blockcache/internal/log.h"
#include "blockcache/sources.h"

namespace ipfsfs::blockcache::internal {

struct FetcherOptions {
  std::chrono::milliseconds fetch_timeout{15000};
  int max_attempts = 4;
};

struct FetcherCounts {
  uint64_t coalesced = 0;
  uint64_t fetched_blocks = 0;
  uint64_t fetched_bytes = 0;
  uint64_t fetch_errors = 0;
  uint64_t in_flight = 0;
};

class Fetcher {
 public:
  using Commit = std::function<void(const Block&)>;
  using Stored = std::function<bool(const ipld::Multihash&)>;

  Fetcher(FetcherOptions options, Sources& sources, WorkerPool& pool, TimerQueue& timers, PendingRequests& requests,
          Commit commit, Stored stored);
  Fetcher(const Fetcher&) = delete;
  Fetcher& operator=(const Fetcher&) = delete;

  // Fetches `cid` and calls `done` once. With `patience` (GetExpected), the
  // block may be stored meanwhile by a CAR: then returns false and leaves
  // `done` to the caller, who reads it from the store.
  bool Fetch(const ipld::Cid& cid, std::optional<std::chrono::milliseconds> patience, BlockCallback& done);
  // A verified block that came another way (a CAR): answers its waiters.
  void Deliver(const Block& block);
  // Counts a block that came another way as fetched.
  void CountFetched(uint64_t bytes);
  // Asked for from a source right now (not waiting for a CAR).
  bool FetchingAlone(const ipld::Multihash& mh) const;

  // Ranged CARs in flight: while any is, patient fetches wait for them; when
  // the last ends, the blocks still awaited are asked for alone.
  void BeginRange();
  void EndRange();
  // A CAR that should have brought `mh` ended: if it is still awaited, ask
  // for it alone now, not when every other CAR in flight has ended.
  void Wake(const ipld::Multihash& mh);

  // Answers every entry with kCancelled; later fetches too.
  void Close();
  FetcherCounts Counts() const;

 private:
  using Clock = std::chrono::steady_clock;
  struct Flight;
  void StartAttempt(const std::shared_ptr<Flight>& flight);
  void StartDeferred(const std::shared_ptr<Flight>& flight);
  void OnFetched(const std::shared_ptr<Flight>& flight, size_t source, Clock::time_point started,
                 Result<std::shared_ptr<Bytes>> result);
  void ScheduleHedge(const std::shared_ptr<Flight>& flight, size_t source);
  void Complete(const std::shared_ptr<Flight>& flight, Result<Block> result);

  const FetcherOptions options_;
  Sources& sources_;
  WorkerPool& pool_;
  TimerQueue& timers_;
  PendingRequests& requests_;
  const Commit commit_;
  const Stored stored_;

  mutable std::mutex mu_;
  std::unordered_map<ipld::Multihash, std::shared_ptr<Flight>, ipld::MultihashHasher> inflight_;  // GUARDED_BY(mu_)
  int ranges_ = 0;                                 // GUARDED_BY(mu_): ranged CARs in flight
  std::vector<std::shared_ptr<Flight>> deferred_;  // GUARDED_BY(mu_): waiting for them
  bool closing_ = false;                           // GUARDED_BY(mu_)
  std::atomic<uint64_t> coalesced_{0}, fetched_blocks_{0}, fetched_bytes_{0}, fetch_errors_{0};
};

}  // namespace ipfsfs::blockcache::internal

#endif  // IPFSFS_BLOCKCACHE_INTERNAL_FETCHER_H_
