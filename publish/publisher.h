// Publisher: hands each new synced root to the mount's targets (kubo, car:,
// remote:, ipns:), one after the other, in the order given (remote: after
// kubo, so the service may fetch from that node). A target that fails does
// not stop the others; it is retried in the background with doubling backoff
// (the newest root only) until it succeeds or Stop(). Status() is what
// `ipfsfs status` shows per target.
//
// Thread-safe. Publishing runs one target at a time (run_mu_), on the caller's
// thread for Publish/PublishOnce and on the retry thread for retries. Lock
// order: run_mu_ before mu_.
#ifndef IPFSFS_PUBLISH_PUBLISHER_H_
#define IPFSFS_PUBLISH_PUBLISHER_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "publish/target.h"

namespace ipfsfs::publish {

struct PublisherOptions {
  // The first retry of a failed target comes after retry_min, then doubles up to retry_max.
  std::chrono::milliseconds retry_min{5000};
  std::chrono::milliseconds retry_max{std::chrono::minutes(5)};
};

// One target's answer to one root.
struct TargetOutcome {
  std::string target;  // Target::Name()
  bool ok = false;
  std::string line;  // what was done, or the error (one line)
};

struct TargetStatus {
  std::string target;
  std::optional<ipld::Cid> last_root;  // last published successfully
  int64_t last_published_ms = 0;       // unix ms of that, 0: never
  std::string last_detail;             // its line
  std::string last_error;              // empty when the last attempt succeeded
  std::optional<ipld::Cid> pending;    // a root still to publish (failed, retry due)
  int failures = 0;                    // consecutive
  int64_t next_retry_ms = 0;           // unix ms, 0: none due
  std::string progress;                // Target::Progress()
};

class Publisher {
 public:
  Publisher(std::vector<std::unique_ptr<Target>> targets, PublisherOptions options = {});
  ~Publisher();  // Stop()
  // Ends the retries; waits for a target running now. Idempotent.
  void Stop();

  // Runs every target for `root` (blocking); targets that already published
  // it answer "up to date". Failed ones are retried in the background.
  std::vector<TargetOutcome> Publish(const ipld::Cid& root);
  // Runs `extra` for `root` once (`ipfsfs sync --publish`): not kept, not
  // retried, `previous` from the mount's target of the same name if any.
  std::vector<TargetOutcome> PublishOnce(const ipld::Cid& root, std::vector<std::unique_ptr<Target>>& extra);

  std::vector<TargetStatus> Status() const;
  bool empty() const { return slots_.empty(); }

 private:
  struct Slot {
    std::unique_ptr<Target> target;
    TargetStatus status;  // GUARDED_BY(mu_)
  };
  TargetOutcome RunLocked(Slot& slot, const ipld::Cid& root);  // REQUIRES run_mu_
  void RetryLoop();

  const PublisherOptions options_;
  std::vector<Slot> slots_;  // fixed after construction
  std::mutex run_mu_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // GUARDED_BY(mu_)
  std::thread retry_thread_;
};

}  // namespace ipfsfs::publish

#endif  // IPFSFS_PUBLISH_PUBLISHER_H_
