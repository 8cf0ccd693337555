// Small things every part of the block cache shares: its logger, the wall
// clock for last-use times, and the count of source callbacks still to come.
// All thread-safe.
#ifndef IPFSFS_BLOCKCACHE_INTERNAL_LOG_H_
#define IPFSFS_BLOCKCACHE_INTERNAL_LOG_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <thread>

#include <spdlog/spdlog.h>

namespace ipfsfs::blockcache::internal {

// The "blockcache" logger (tools/ may register its own first).
std::shared_ptr<spdlog::logger> Log();
// Wall clock in ms since the epoch, for last-use times.
uint64_t NowMs();

// Requests sent to sources whose callbacks have not come yet: the cache's
// destructor waits for none to be left before it frees what they touch.
class PendingRequests {
 public:
  void Begin() { n_.fetch_add(1, std::memory_order_relaxed); }
  void End() { n_.fetch_sub(1, std::memory_order_release); }
  // Cancelled requests answer promptly; a short poll keeps this
  // destructor-only wait free of a condition variable the callers notify.
  void WaitNone() const {
    while (n_.load(std::memory_order_acquire) != 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }

 private:
  std::atomic<int64_t> n_{0};
};

}  // namespace ipfsfs::blockcache::internal

#endif  // IPFSFS_BLOCKCACHE_INTERNAL_LOG_H_
