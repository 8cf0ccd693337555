// Republisher: keeps the names this user published alive while a mount runs.
// kubo republishes only the keys it holds (publish.md §1.5), so a record put
// to routing for a key kubo does not hold expires unless its publisher puts
// it again: this does, for every publication (PublishedStore) whose key is in
// the keystore (KeyLookup) and still gives that name.
//
// A publication is due at published_at + min(interval, lifetime / 2): kubo's
// 4 h period, sooner when the lifetime is short, so a record never expires.
// It is re-signed with the same value, lifetime and TTL, sequence + 1, and
// put to every target (NamePublisher). When a target fails, the name is tried
// again after a backoff (1 min doubling, at most the interval).
//
// RunOnce is one pass (tests drive it with their clock); Start runs passes on
// a thread of its own, waking when the next publication is due or every
// `rescan` (names published by `ipfsfs name publish` while the mount runs).
// Stop (and the destructor) wakes and joins it. Thread-safe.
#ifndef IPFSFS_PUBLISH_REPUBLISHER_H_
#define IPFSFS_PUBLISH_REPUBLISHER_H_

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/result.h"
#include "ipld/libp2p_private_key.h"
#include "ipld/rfc3339.h"
#include "publish/name_publisher.h"
#include "publish/published_store.h"

namespace ipfsfs::publish {

// The keystore's key of that name (kNotFound when it is gone).
using KeyLookup = std::function<Result<ipld::PrivateKey>(const std::string& key_name)>;

struct Republished {
  std::string name;
  uint64_t sequence = 0;
  bool ok = false;    // every target took it
  std::string error;  // the first failure, for the log
};

struct RepublisherOptions {
  std::chrono::nanoseconds interval = std::chrono::hours(4);  // kubo's Ipns.RepublishPeriod
  std::chrono::nanoseconds rescan = std::chrono::minutes(1);  // look for new publications
  std::chrono::nanoseconds first_retry = std::chrono::minutes(1);
  std::function<ipld::Timestamp()> now = [] {
    return ipld::Timestamp::FromTimePoint(std::chrono::system_clock::now());
  };
  // Told of each republish the thread makes (for the log); may be empty.
  std::function<void(const Republished&)> on_result;
};

class Republisher {
 public:
  // `publisher` and `published` must outlive the republisher.
  Republisher(NamePublisher& publisher, PublishedStore& published, KeyLookup keys, RepublisherOptions options = {});
  ~Republisher();

  void Start();
  void Stop();  // idempotent

  // Republishes what is due now; the names it tried, in name order.
  std::vector<Republished> RunOnce();
  // When `p` is next due (ignoring retries).
  static ipld::Timestamp DueAt(const Publication& p, std::chrono::nanoseconds interval);

 private:
  void Loop();
  // From now until the next due publication or retry: at least 1 s, at most `rescan`.
  std::chrono::nanoseconds NextWait();

  NamePublisher& publisher_;
  PublishedStore& published_;
  KeyLookup keys_;
  const RepublisherOptions options_;

  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;                            // GUARDED_BY(mu_)
  std::map<std::string, ipld::Timestamp> retry_at_;  // GUARDED_BY(mu_)
  std::map<std::string, int> failures_;              // GUARDED_BY(mu_)
  std::mutex run_mu_;                                // one pass at a time (before mu_)
  std::thread thread_;
};

}  // namespace ipfsfs::publish

#endif  // IPFSFS_PUBLISH_REPUBLISHER_H_
