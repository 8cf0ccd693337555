// FakeClock: a steady clock that tests move by hand, for rules that depend on
// elapsed time (BlockCacheOptions::now): Advance instead of sleeping past
// them. Starts at the real steady clock's now. Thread-safe; header-only.
#ifndef IPFSFS_TESTS_SUPPORT_FAKE_CLOCK_H_
#define IPFSFS_TESTS_SUPPORT_FAKE_CLOCK_H_

#include <atomic>
#include <chrono>
#include <functional>

namespace ipfsfs::testing {

class FakeClock {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  FakeClock() : ns_(std::chrono::steady_clock::now().time_since_epoch().count()) {}

  TimePoint Now() const { return TimePoint(std::chrono::steady_clock::duration(ns_.load())); }
  void Advance(std::chrono::milliseconds by) {
    ns_ += std::chrono::duration_cast<std::chrono::steady_clock::duration>(by).count();
  }
  // For options that take a clock; the FakeClock must outlive its users.
  std::function<TimePoint()> AsFunction() const {
    return [this] { return Now(); };
  }

 private:
  std::atomic<std::chrono::steady_clock::rep> ns_;
};

}  // namespace ipfsfs::testing

#endif  // IPFSFS_TESTS_SUPPORT_FAKE_CLOCK_H_
