#include "writeback/sync_scheduler.h"

namespace ipfsfs::writeback {

SyncScheduler::SyncScheduler(std::chrono::milliseconds idle, std::function<void()> job)
    : idle_(idle), job_(std::move(job)), thread_([this] { Loop(); }) {}

SyncScheduler::~SyncScheduler() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void SyncScheduler::Touch() {
  {
    std::lock_guard lock(mu_);
    pending_ = true;
    last_touch_ = std::chrono::steady_clock::now();
  }
  cv_.notify_all();
}

uint64_t SyncScheduler::runs() const {
  std::lock_guard lock(mu_);
  return runs_;
}

void SyncScheduler::Loop() {
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return stop_ || pending_; });
    if (stop_) return;
    // Wait until `idle_` has passed since the latest Touch.
    auto due = last_touch_ + idle_;
    if (std::chrono::steady_clock::now() < due) {
      cv_.wait_until(lock, due, [this] { return stop_; });
      continue;  // re-read last_touch_: a Touch meanwhile moved the deadline
    }
    pending_ = false;
    ++runs_;
    lock.unlock();
    job_();
    lock.lock();
  }
}

}  // namespace ipfsfs::writeback
