// RemoteTarget (`remote:SERVICE`): each new root asked of a Pinning Service
// (publish.md §2): `POST /pins` {cid, name, origins}, or, once this target has
// a pin there, `POST /pins/{requestid}` so the old root is replaced in one
// step (kubo's MFS policy). The service fetches the blocks itself over
// Bitswap: `origins` are the addresses of a node that holds them (the kubo
// target's node); without one the request is still sent, with a warning that
// the service cannot fetch the blocks. The status is then followed in the
// background (GET /pins/{requestid}, backoff) until pinned or failed, shown by
// Progress(). Thread-safe.
#ifndef IPFSFS_PUBLISH_REMOTE_TARGET_H_
#define IPFSFS_PUBLISH_REMOTE_TARGET_H_

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "publish/pinning_client.h"
#include "publish/target.h"

namespace ipfsfs::publish {

struct RemoteTargetOptions {
  std::string service;                      // its name (remote:SERVICE)
  std::string endpoint;                     // without /pins
  std::string key;                          // the access token
  std::string pin_name = "ipfsfs staging";  // Pin.name
  std::chrono::milliseconds poll_min{500};  // the status poll, doubling up to poll_max
  std::chrono::milliseconds poll_max{std::chrono::seconds(30)};
};

// The multiaddrs of a node holding the blocks (each ending /p2p/<id>); empty or an error: none.
using OriginsFn = std::function<Result<std::vector<std::string>>()>;

class RemoteTarget : public Target {
 public:
  // `engine` must outlive the target.
  RemoteTarget(RemoteTargetOptions options, net::HttpEngine& engine, OriginsFn origins);
  ~RemoteTarget() override;  // stops following
  std::string Name() const override { return "remote:" + options_.service; }
  [[nodiscard]] Result<std::string> Publish(const PublishRequest& request) override;
  std::string Progress() const override;

 private:
  void Follow(std::string requestid, uint64_t generation);
  void StopFollowing();

  const RemoteTargetOptions options_;
  PinningClient client_;
  const OriginsFn origins_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::string requestid_;   // GUARDED_BY(mu_): our pin there, "" before the first
  std::string progress_;    // GUARDED_BY(mu_)
  uint64_t generation_ = 0;  // GUARDED_BY(mu_): a newer Publish ends the older follower
  bool stopping_ = false;    // GUARDED_BY(mu_)
  std::thread follower_;
};

}  // namespace ipfsfs::publish

#endif  // IPFSFS_PUBLISH_REMOTE_TARGET_H_
