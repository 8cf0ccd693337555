// MemoryBlockGetter: an in-memory BlockGetter for tests, with per-CID delay and
// failure injection; DagBuilder (tests/support/test_dag.h) fills it. Blocks are
// verified on the way out as the real cache does.
//
// Owns its blocks and one timer thread. Answers inline (a cache hit) unless a
// delay is set, then from the timer thread. Thread-safe. Header-only: shared by
// tests/resolver, tests/fs and bench/.
#ifndef IPFSFS_TESTS_SUPPORT_MEMORY_BLOCK_GETTER_H_
#define IPFSFS_TESTS_SUPPORT_MEMORY_BLOCK_GETTER_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <queue>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "blockcache/block_getter.h"
#include "ipld/cid.h"
#include "tests/support/test_dag.h"

namespace ipfsfs::testing {

class MemoryBlockGetter : public blockcache::BlockGetter {
 public:
  MemoryBlockGetter() : timer_([this] { TimerLoop(); }) {}
  ~MemoryBlockGetter() override {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    timer_.join();
  }

  ipld::Cid Put(Bytes data, ipld::Codec codec = ipld::Codec::kDagPb, int version = 1) {
    auto hash = ipld::Multihash::Sha256(data);
    ipld::Cid cid = version == 0 ? ipld::Cid::V0(hash) : ipld::Cid::V1(codec, hash);
    std::lock_guard lock(mu_);
    blocks_[hash] = std::make_shared<const Bytes>(std::move(data));
    verified_.clear();
    return cid;
  }
  // Stores bytes under a CID they do not hash to (a lying source).
  void PutWrong(const ipld::Cid& cid, Bytes data) {
    std::lock_guard lock(mu_);
    blocks_[cid.hash()] = std::make_shared<const Bytes>(std::move(data));
    verified_.clear();
  }
  void Remove(const ipld::Cid& cid) {
    std::lock_guard lock(mu_);
    blocks_.erase(cid.hash());
    verified_.clear();
  }
  size_t BlockSize(const ipld::Cid& cid) {
    std::lock_guard lock(mu_);
    return blocks_.at(cid.hash())->size();
  }

  // Waits until every delayed answer has been delivered (call before
  // destroying what the callbacks point to).
  void WaitIdle() {
    std::unique_lock lock(mu_);
    idle_cv_.wait(lock, [this] { return timers_.empty() && firing_ == 0; });
  }

  // Every Get answers after `delay` (0: inline).
  void SetDelay(std::chrono::milliseconds delay) {
    std::lock_guard lock(mu_);
    delay_ = delay;
  }
  void SetDelay(const ipld::Cid& cid, std::chrono::milliseconds delay) {
    std::lock_guard lock(mu_);
    cid_delay_[cid.hash()] = delay;
  }
  void SetFailure(const ipld::Cid& cid, ErrorCode code) {
    std::lock_guard lock(mu_);
    failures_[cid.hash()] = code;
  }
  void ClearFailures() {
    std::lock_guard lock(mu_);
    failures_.clear();
  }

  uint64_t GetCount(const ipld::Cid& cid) {
    std::lock_guard lock(mu_);
    auto it = counts_.find(cid.hash());
    return it == counts_.end() ? 0 : it->second;
  }
  uint64_t TotalGets() { return total_.load(); }
  void ResetCounts() {
    std::lock_guard lock(mu_);
    counts_.clear();
    total_ = 0;
  }
  size_t prefetches() { return prefetches_.load(); }

  void Get(const ipld::Cid& cid, blockcache::BlockCallback done) override {
    ++total_;
    std::optional<Result<blockcache::Block>> found;
    std::chrono::milliseconds delay{0};
    {
      std::lock_guard lock(mu_);
      ++counts_[cid.hash()];
      delay = delay_;
      if (auto d = cid_delay_.find(cid.hash()); d != cid_delay_.end()) delay = d->second;
      if (auto f = failures_.find(cid.hash()); f != failures_.end()) {
        found = MakeError(f->second, "injected failure for " + cid.ToString());
      } else if (auto v = verified_.find(cid); v != verified_.end()) {
        found = v->second;  // verified once, like the cache's memory tier
      } else if (auto b = blocks_.find(cid.hash()); b != blocks_.end()) {
        found = blockcache::Block::Verify(cid, b->second);
        if (*found) verified_.emplace(cid, **found);
      }
    }
    Result<blockcache::Block> result =
        found ? std::move(*found) : MakeError(ErrorCode::kNotFound, "no source has " + cid.ToString());
    if (delay.count() == 0) return done(std::move(result));
    std::lock_guard lock(mu_);
    timers_.push(Timer{std::chrono::steady_clock::now() + delay, seq_++,
                       [done = std::move(done), result = std::move(result)]() mutable { done(std::move(result)); }});
    cv_.notify_all();
  }

  void Prefetch(const ipld::Cid&, blockcache::PrefetchScope) override { ++prefetches_; }

  // Ranged CARs: recorded and left in flight until CompleteRanges (with
  // supports_ranges false: kUnsupported at once, as a kubo RPC answers).
  void PrefetchRange(const ipld::Cid&, blockcache::ByteRange range, std::function<void(Status)> done) override {
    std::unique_lock lock(mu_);
    ranges_.push_back(range);
    if (!supports_ranges_) {
      lock.unlock();
      return done(MakeError(ErrorCode::kUnsupported, "no ranges here"));
    }
    if (ranges_at_once_) {  // as a cache that finds nothing missing answers
      lock.unlock();
      return done(OkStatus());
    }
    range_done_.emplace_back(range, std::move(done));
  }
  void CompleteRanges(Status status = OkStatus()) {
    std::vector<std::pair<blockcache::ByteRange, std::function<void(Status)>>> done;
    {
      std::lock_guard lock(mu_);
      done.swap(range_done_);
    }
    for (auto& d : done) d.second(status);
  }
  // As the cache does: the matching range in flight ends with kCancelled.
  void CancelRange(const ipld::Cid&, blockcache::ByteRange range) override {
    std::vector<std::function<void(Status)>> done;
    {
      std::lock_guard lock(mu_);
      cancelled_.push_back(range);
      for (auto it = range_done_.begin(); it != range_done_.end();) {
        if (it->first == range) {
          done.push_back(std::move(it->second));
          it = range_done_.erase(it);
        } else {
          ++it;
        }
      }
    }
    for (auto& d : done) d(MakeError(ErrorCode::kCancelled, "cancelled"));
  }
  std::vector<blockcache::ByteRange> cancelled() {
    std::lock_guard lock(mu_);
    return cancelled_;
  }
  std::vector<blockcache::ByteRange> ranges() {
    std::lock_guard lock(mu_);
    return ranges_;
  }
  size_t ranges_in_flight() {
    std::lock_guard lock(mu_);
    return range_done_.size();
  }
  void SetSupportsRanges(bool yes) {
    std::lock_guard lock(mu_);
    supports_ranges_ = yes;
  }
  // As many sources serving ranges as the reader is told (striping).
  void SetRangeSources(size_t n) { range_sources_ = n; }
  size_t RangeSources() const override { return range_sources_; }
  void SetRangesAnswerAtOnce(bool yes) {
    std::lock_guard lock(mu_);
    ranges_at_once_ = yes;
  }
  void GetExpected(const ipld::Cid& cid, std::chrono::milliseconds, blockcache::BlockCallback done) override {
    ++expected_gets_;
    Get(cid, std::move(done));
  }
  size_t expected_gets() { return expected_gets_.load(); }

 private:
  struct Timer {
    std::chrono::steady_clock::time_point when;
    uint64_t seq;
    std::function<void()> fire;
    bool operator>(const Timer& o) const { return when != o.when ? when > o.when : seq > o.seq; }
  };

  void TimerLoop() {
    std::unique_lock lock(mu_);
    while (true) {
      if (stop_ && timers_.empty()) return;
      if (timers_.empty()) {
        cv_.wait(lock);
        continue;
      }
      auto when = timers_.top().when;
      if (!stop_ && std::chrono::steady_clock::now() < when) {
        cv_.wait_until(lock, when);
        continue;
      }
      auto fire = std::move(const_cast<Timer&>(timers_.top()).fire);
      timers_.pop();
      ++firing_;
      lock.unlock();
      fire();
      lock.lock();
      --firing_;
      if (timers_.empty() && firing_ == 0) idle_cv_.notify_all();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable idle_cv_;
  int firing_ = 0;
  std::unordered_map<ipld::Multihash, std::shared_ptr<const Bytes>, ipld::MultihashHasher> blocks_;
  std::unordered_map<ipld::Cid, blockcache::Block, ipld::CidHasher> verified_;
  std::unordered_map<ipld::Multihash, std::chrono::milliseconds, ipld::MultihashHasher> cid_delay_;
  std::unordered_map<ipld::Multihash, ErrorCode, ipld::MultihashHasher> failures_;
  std::unordered_map<ipld::Multihash, uint64_t, ipld::MultihashHasher> counts_;
  std::chrono::milliseconds delay_{0};
  std::priority_queue<Timer, std::vector<Timer>, std::greater<Timer>> timers_;
  uint64_t seq_ = 0;
  bool stop_ = false;
  std::atomic<uint64_t> total_{0};
  std::atomic<size_t> prefetches_{0};
  std::atomic<size_t> expected_gets_{0};
  std::vector<blockcache::ByteRange> ranges_;               // GUARDED_BY(mu_)
  std::vector<blockcache::ByteRange> cancelled_;            // GUARDED_BY(mu_)
  std::vector<std::pair<blockcache::ByteRange, std::function<void(Status)>>> range_done_;  // GUARDED_BY(mu_)
  bool supports_ranges_ = true;                             // GUARDED_BY(mu_)
  std::atomic<size_t> range_sources_{1};
  bool ranges_at_once_ = false;                             // GUARDED_BY(mu_)
  std::thread timer_;  // last: starts after everything above exists
};

}  // namespace ipfsfs::testing

#endif  // IPFSFS_TESTS_SUPPORT_MEMORY_BLOCK_GETTER_H_
