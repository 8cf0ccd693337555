// FakeSource: a blockcache::Source serving blocks and whole-DAG CARs from
// memory, no socket. Per-CID delay, error or corruption; counts requests.
//
// Answers come from its own thread (as a network thread would), in time
// order; Cancel answers kCancelled at once when the answer has not been sent.
// The destructor answers what is still waiting with kCancelled and joins the
// thread. Thread-safe. Header-only, for tests.
#ifndef IPFSFS_TESTS_SUPPORT_FAKE_SOURCE_H_
#define IPFSFS_TESTS_SUPPORT_FAKE_SOURCE_H_

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "blockcache/source.h"
#include "ipld/car.h"
#include "ipld/dag_pb.h"

namespace ipfsfs::testing {

class FakeSource : public blockcache::Source {
 public:
  explicit FakeSource(std::string name = "fake") : name_(std::move(name)), thread_([this] { Loop(); }) {}
  ~FakeSource() override {
    std::multimap<Clock::time_point, std::shared_ptr<Request>> left;
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
      left.swap(queue_);
    }
    cv_.notify_all();
    thread_.join();
    for (auto& [when, r] : left) r->Answer(MakeError(ErrorCode::kCancelled, "source closed"));
  }

  void Add(const ipld::Cid& cid, Bytes data) {
    std::lock_guard<std::mutex> lock(mu_);
    blocks_[cid.hash()] = std::make_shared<Bytes>(std::move(data));
  }
  // How long answers about `cid` take (all CIDs without one: the default).
  void SetDelay(const ipld::Cid& cid, std::chrono::milliseconds delay) {
    std::lock_guard<std::mutex> lock(mu_);
    delays_[cid.hash()] = delay;
  }
  void SetDelay(std::chrono::milliseconds delay) {
    std::lock_guard<std::mutex> lock(mu_);
    default_delay_ = delay;
  }
  // Answer `cid` with this error instead of its bytes.
  void SetError(const ipld::Cid& cid, ErrorCode code) {
    std::lock_guard<std::mutex> lock(mu_);
    errors_[cid.hash()] = code;
  }
  // Send `cid`'s bytes with one byte flipped.
  void SetCorrupt(const ipld::Cid& cid) {
    std::lock_guard<std::mutex> lock(mu_);
    corrupt_.insert(cid.hash());
  }
  int Requests(const ipld::Cid& cid) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = counts_.find(cid.hash());
    return it == counts_.end() ? 0 : it->second;
  }
  int TotalRequests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return total_;
  }

  std::string name() const override { return name_; }

  std::shared_ptr<blockcache::FetchHandle> FetchBlock(const ipld::Cid& cid, blockcache::RawCallback done) override {
    auto r = std::make_shared<Request>();
    r->raw = std::move(done);
    std::lock_guard<std::mutex> lock(mu_);
    ++counts_[cid.hash()];
    ++total_;
    if (auto e = errors_.find(cid.hash()); e != errors_.end()) {
      r->result = MakeError(e->second, "fake error for " + cid.ToString());
    } else if (auto b = blocks_.find(cid.hash()); b == blocks_.end()) {
      r->result = MakeError(ErrorCode::kNotFound, "fake source lacks " + cid.ToString());
    } else {
      auto bytes = std::make_shared<Bytes>(*b->second);
      if (corrupt_.count(cid.hash()) && !bytes->empty()) (*bytes)[0] ^= std::byte{0xff};
      r->result = bytes;
    }
    Schedule(r, DelayFor(cid));
    return r;
  }

  // The whole DAG under `root` (dag-pb links followed, depth-first, each block
  // once) in one piece; byte ranges are not served.
  std::shared_ptr<blockcache::FetchHandle> FetchCar(const ipld::Cid& root, blockcache::PrefetchScope,
                                                    std::optional<blockcache::ByteRange> bytes,
                                                    blockcache::CarDataCallback on_data,
                                                    blockcache::CarDoneCallback done) override {
    auto r = std::make_shared<Request>();
    r->car_done = std::move(done);
    r->on_data = std::move(on_data);
    std::lock_guard<std::mutex> lock(mu_);
    ++counts_[root.hash()];
    ++total_;
    if (bytes) {
      r->result = MakeError(ErrorCode::kUnsupported, "fake source serves no byte ranges");
    } else {
      auto car = std::make_shared<Bytes>(ipld::EncodeCarV1Header({root}));
      std::vector<ipld::Cid> stack{root};
      std::set<ipld::Multihash> seen;
      while (!stack.empty()) {
        ipld::Cid cid = stack.back();
        stack.pop_back();
        auto b = blocks_.find(cid.hash());
        if (!seen.insert(cid.hash()).second || b == blocks_.end()) continue;
        ipld::AppendCarSection(*car, cid, ByteSpan(*b->second));
        if (cid.codec() != static_cast<uint64_t>(ipld::Codec::kDagPb)) continue;
        auto node = ipld::DecodePbNode(ByteSpan(*b->second));
        if (!node) continue;
        for (auto it = node->links.rbegin(); it != node->links.rend(); ++it) stack.push_back(it->hash);
      }
      r->result = car;
    }
    Schedule(r, DelayFor(root));
    return r;
  }

 private:
  using Clock = std::chrono::steady_clock;

  struct Request : blockcache::FetchHandle {
    std::mutex mu;
    bool answered = false;  // GUARDED_BY(mu)
    Result<std::shared_ptr<Bytes>> result = MakeError(ErrorCode::kInternal, "unset");
    blockcache::RawCallback raw;
    blockcache::CarDataCallback on_data;
    blockcache::CarDoneCallback car_done;
    void Cancel() override { Answer(MakeError(ErrorCode::kCancelled, "cancelled")); }
    // Sends `r` once (the first of the answer and a cancel wins).
    void Answer(Result<std::shared_ptr<Bytes>> r) {
      {
        std::lock_guard<std::mutex> lock(mu);
        if (answered) return;
        answered = true;
      }
      if (raw) return raw(std::move(r));
      if (r) {
        // A paused CAR (on_data false) is not resumed here: the whole CAR
        // fits below the cache's pause threshold in these tests.
        (void)on_data(ByteSpan(**r));
        return car_done(OkStatus());
      }
      car_done(tl::unexpected(r.error()));
    }
  };

  std::chrono::milliseconds DelayFor(const ipld::Cid& cid) const {  // REQUIRES(mu_)
    auto it = delays_.find(cid.hash());
    return it == delays_.end() ? default_delay_ : it->second;
  }
  void Schedule(const std::shared_ptr<Request>& r, std::chrono::milliseconds delay) {  // REQUIRES(mu_)
    queue_.emplace(Clock::now() + delay, r);
    cv_.notify_all();
  }
  void Loop() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stop_) {
      if (queue_.empty()) {
        cv_.wait(lock);
        continue;
      }
      auto when = queue_.begin()->first;
      if (Clock::now() < when) {
        cv_.wait_until(lock, when);
        continue;
      }
      auto r = queue_.begin()->second;
      queue_.erase(queue_.begin());
      lock.unlock();
      r->Answer(r->result);
      lock.lock();
    }
  }

  const std::string name_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::unordered_map<ipld::Multihash, std::shared_ptr<Bytes>, ipld::MultihashHasher> blocks_;     // GUARDED_BY(mu_)
  std::unordered_map<ipld::Multihash, std::chrono::milliseconds, ipld::MultihashHasher> delays_;  // GUARDED_BY(mu_)
  std::unordered_map<ipld::Multihash, ErrorCode, ipld::MultihashHasher> errors_;                  // GUARDED_BY(mu_)
  std::set<ipld::Multihash> corrupt_;                                                             // GUARDED_BY(mu_)
  std::unordered_map<ipld::Multihash, int, ipld::MultihashHasher> counts_;                        // GUARDED_BY(mu_)
  int total_ = 0;                                                                                 // GUARDED_BY(mu_)
  std::chrono::milliseconds default_delay_{0};                                                    // GUARDED_BY(mu_)
  std::multimap<Clock::time_point, std::shared_ptr<Request>> queue_;                              // GUARDED_BY(mu_)
  bool stop_ = false;                                                                             // GUARDED_BY(mu_)
  std::thread thread_;  // last: starts once the rest is built
};

}  // namespace ipfsfs::testing

#endif  // IPFSFS_TESTS_SUPPORT_FAKE_SOURCE_H_
