// WorkerPool and TimerQueue: the one thread-pool type of the project.
//
// WorkerPool: a few threads taking tasks in FIFO order (blockcache's hashing
// and commits, the importer's leaf hashing, the mount's prefetches: never the
// network thread). Shutdown() runs everything queued and joins; a task posted
// after it runs inline on the poster's thread, so late callbacks (a fetch
// completing during an unmount) still run and never vanish. TimerQueue: one
// thread running short tasks at a deadline (hedges, fetch deadlines); a task
// must only hand work off; its destructor drops what is queued. Both are
// thread-safe and join their threads in the destructor.
#ifndef IPFSFS_BLOCKCACHE_EXECUTOR_H_
#define IPFSFS_BLOCKCACHE_EXECUTOR_H_

#include <chrono>
#include <condition_variable>
#include <deque>
#include <algorithm>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace ipfsfs::blockcache {

class WorkerPool {
 public:
  explicit WorkerPool(int threads) {
    for (int i = 0; i < std::max(1, threads); ++i) threads_.emplace_back([this] { Run(); });
  }
  ~WorkerPool() { Shutdown(); }
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Notifies under the lock: once a task has run, its poster no longer touches
  // the pool, which its owner may then destroy. After Shutdown: runs inline.
  void Post(std::function<void()> task) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!stop_) {
        tasks_.push_back(std::move(task));
        cv_.notify_one();
        return;
      }
    }
    task();
  }
  // Runs what is queued, joins the threads. Idempotent; call from a thread
  // that is not one of the pool's.
  void Shutdown() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }
  size_t size() const { return threads_.size(); }

 private:
  void Run() {
    while (true) {
      std::function<void()> task;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [this] { return stop_ || !tasks_.empty(); });
        if (tasks_.empty()) return;  // stop_ and drained
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      task();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;  // GUARDED_BY(mu_)
  bool stop_ = false;                        // GUARDED_BY(mu_)
  std::vector<std::thread> threads_;
};

class TimerQueue {
 public:
  using Clock = std::chrono::steady_clock;
  TimerQueue() : thread_([this] { Run(); }) {}
  ~TimerQueue() { Shutdown(); }
  TimerQueue(const TimerQueue&) = delete;
  TimerQueue& operator=(const TimerQueue&) = delete;
  // Drops what is queued and joins the thread: once it returns no task runs,
  // so an owner can stop the queue before the state its tasks touch goes
  // (a unique_ptr's reset nulls the pointer before the destructor joins).
  // Idempotent; not from a task.
  void Shutdown() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  // Dropped after Shutdown.
  void At(Clock::time_point when, std::function<void()> task) {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return;
    tasks_.emplace(when, std::move(task));
    cv_.notify_all();
  }
  void After(std::chrono::milliseconds delay, std::function<void()> task) { At(Clock::now() + delay, std::move(task)); }

 private:
  void Run() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stop_) {
      if (tasks_.empty()) {
        cv_.wait(lock);
        continue;
      }
      auto first = tasks_.begin();
      if (first->first > Clock::now()) {
        cv_.wait_until(lock, first->first);
        continue;
      }
      auto task = std::move(first->second);
      tasks_.erase(first);
      lock.unlock();
      task();
      lock.lock();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::multimap<Clock::time_point, std::function<void()>> tasks_;  // GUARDED_BY(mu_)
  bool stop_ = false;                                              // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace ipfsfs::blockcache

#endif  // IPFSFS_BLOCKCACHE_EXECUTOR_H_
