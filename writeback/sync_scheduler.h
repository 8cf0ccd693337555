// SyncScheduler: `--auto-sync DURATION`. Runs the sync once the tree has been
// idle for `idle` after a write: every Touch() (a write in the staging tree)
// restarts the wait. A sync that fails is retried after the next Touch. The
// job runs on the scheduler's own thread, never two at once; a Touch during a
// run schedules one more. The destructor waits for a running job. Touch is
// thread-safe and never blocks on the job.
#ifndef IPFSFS_WRITEBACK_SYNC_SCHEDULER_H_
#define IPFSFS_WRITEBACK_SYNC_SCHEDULER_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

namespace ipfsfs::writeback {

class SyncScheduler {
 public:
  SyncScheduler(std::chrono::milliseconds idle, std::function<void()> job);
  ~SyncScheduler();
  SyncScheduler(const SyncScheduler&) = delete;
  SyncScheduler& operator=(const SyncScheduler&) = delete;

  void Touch();
  uint64_t runs() const;  // jobs started so far

 private:
  void Loop();

  const std::chrono::milliseconds idle_;
  const std::function<void()> job_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool pending_ = false;                              // GUARDED_BY(mu_)
  std::chrono::steady_clock::time_point last_touch_;  // GUARDED_BY(mu_)
  bool stop_ = false;                                 // GUARDED_BY(mu_)
  uint64_t runs_ = 0;                                 // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace ipfsfs::writeback

#endif  // IPFSFS_WRITEBACK_SYNC_SCHEDULER_H_
