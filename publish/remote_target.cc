#include "publish/remote_target.h"

#include <spdlog/spdlog.h>

namespace ipfsfs::publish {

RemoteTarget::RemoteTarget(RemoteTargetOptions options, net::HttpEngine& engine, OriginsFn origins)
    : options_(std::move(options)), client_(options_.endpoint, options_.key, engine), origins_(std::move(origins)) {}

RemoteTarget::~RemoteTarget() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  StopFollowing();
}

void RemoteTarget::StopFollowing() {
  {
    std::lock_guard lock(mu_);
    ++generation_;
  }
  cv_.notify_all();
  if (follower_.joinable()) follower_.join();
}

std::string RemoteTarget::Progress() const {
  std::lock_guard lock(mu_);
  return progress_;
}

Result<std::string> RemoteTarget::Publish(const PublishRequest& request) {
  StopFollowing();
  std::vector<std::string> origins;
  std::string warning;
  if (origins_) {
    auto o = origins_();
    if (o) origins = std::move(*o);
    else warning = " (" + o.error().message + ")";
  }
  if (origins.empty()) {
    warning = "; warning: no node that holds the blocks is known (publish to kubo too, with a node the service can "
              "reach): the service cannot fetch them" + warning;
  }
  if (origins.size() > 20) origins.resize(20);  // the spec's limit
  std::string previous;
  {
    std::lock_guard lock(mu_);
    previous = requestid_;
  }
  const std::string cid = request.root.ToString();
  Result<RemotePin> pin = previous.empty() ? client_.Add(cid, options_.pin_name, origins)
                                           : client_.Replace(previous, cid, options_.pin_name, origins);
  if (!pin && !previous.empty() && pin.error().code == ErrorCode::kNotFound) {
    pin = client_.Add(cid, options_.pin_name, origins);  // our old pin was removed meanwhile
  }
  if (!pin) return tl::unexpected(pin.error());
  uint64_t generation = 0;
  {
    std::lock_guard lock(mu_);
    requestid_ = pin->requestid;
    progress_ = pin->status + " " + cid + " (request " + pin->requestid + ")";
    generation = generation_;
  }
  if (pin->status != "pinned" && pin->status != "failed") {
    follower_ = std::thread([this, id = pin->requestid, generation] { Follow(id, generation); });
  }
  return std::string(previous.empty() ? "requested " : "replaced the pin with ") + cid + ": " + pin->status +
         " (request " + pin->requestid + ")" + warning;
}

void RemoteTarget::Follow(std::string requestid, uint64_t generation) {
  auto delay = options_.poll_min;
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait_for(lock, delay, [&] { return stopping_ || generation_ != generation; });
    if (stopping_ || generation_ != generation) return;
    lock.unlock();
    auto pin = client_.Get(requestid);
    lock.lock();
    if (stopping_ || generation_ != generation) return;
    if (!pin) {
      progress_ = "status unknown (request " + requestid + "): " + pin.error().message;
    } else {
      progress_ = pin->status + " " + pin->cid + " (request " + requestid + ")";
      if (pin->status == "pinned" || pin->status == "failed") {
        spdlog::info("publish {}: {}", Name(), progress_);
        return;
      }
    }
    delay = std::min<std::chrono::milliseconds>(delay * 2, options_.poll_max);
  }
}

}  // namespace ipfsfs::publish
