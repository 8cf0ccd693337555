// SyncScheduler: a Touch leads to one run; touches during a run lead to one
// more; nothing runs without a Touch. Causal checks only (no clock asserts).
#include "writeback/sync_scheduler.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <future>

namespace ipfsfs::writeback {
namespace {

TEST_CASE("sync scheduler: a touch runs the job once it is idle", "[sync]") {
  std::promise<void> ran;
  std::atomic<int> runs{0};
  SyncScheduler s(std::chrono::milliseconds(10), [&] {
    if (++runs == 1) ran.set_value();
  });
  CHECK(s.runs() == 0);
  s.Touch();
  REQUIRE(ran.get_future().wait_for(std::chrono::seconds(60)) == std::future_status::ready);
  CHECK(s.runs() >= 1);
}

TEST_CASE("sync scheduler: a touch during a run schedules one more run", "[sync]") {
  std::promise<void> first_started, release, second_ran;
  auto release_f = release.get_future().share();
  std::atomic<int> runs{0};
  SyncScheduler s(std::chrono::milliseconds(1), [&] {
    int n = ++runs;
    if (n == 1) {
      first_started.set_value();
      release_f.wait();
    } else if (n == 2) {
      second_ran.set_value();
    }
  });
  s.Touch();
  REQUIRE(first_started.get_future().wait_for(std::chrono::seconds(60)) == std::future_status::ready);
  s.Touch();
  s.Touch();
  release.set_value();
  REQUIRE(second_ran.get_future().wait_for(std::chrono::seconds(60)) == std::future_status::ready);
}

}  // namespace
}  // namespace ipfsfs::writeback
