// A fixed set of threads running submitted jobs in FIFO order; used to hash
// leaves on every core. Submit is thread-safe; the destructor finishes queued
// jobs and joins.
#ifndef IPFSFS_WRITEBACK_INTERNAL_WORKER_POOL_H_
#define IPFSFS_WRITEBACK_INTERNAL_WORKER_POOL_H_

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace ipfsfs::writeback::internal {

class WorkerPool {
 public:
  explicit WorkerPool(unsigned threads);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void Submit(std::function<void()> job);
  unsigned size() const { return static_cast<unsigned>(threads_.size()); }

 private:
  void Run();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;  // guarded by mu_
  bool stopping_ = false;                   // guarded by mu_
  std::vector<std::thread> threads_;
};

}  // namespace ipfsfs::writeback::internal

#endif  // IPFSFS_WRITEBACK_INTERNAL_WORKER_POOL_H_
