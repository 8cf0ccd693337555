#include "tools/internal/publish_service.h"

#include <ctime>

#include "publish/car_target.h"
#include "publish/ipns_target.h"
#include "publish/kubo_target.h"
#include "publish/remote_target.h"
#include "tools/internal/pin_services.h"

namespace ipfsfs::tools {
namespace {

nlohmann::json Rfc3339(int64_t unix_ms) {
  if (unix_ms == 0) return nullptr;
  std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return std::string(text);
}

}  // namespace

Result<std::unique_ptr<PublishService>> PublishService::Open(PublishServiceOptions options,
                                                             blockcache::BlockCache& cache) {
  net::HttpEngineOptions eo;
  eo.user_agent = "ipfsfs/0.1";  // never kubo's own agent (publish.md §1.1)
  IPFSFS_ASSIGN_OR_RETURN(auto engine, net::HttpEngine::Create(eo));
  std::unique_ptr<PublishService> service(new PublishService(std::move(options), cache, std::move(engine)));
  std::vector<std::unique_ptr<publish::Target>> targets;
  for (const auto& spec : service->options_.targets) {
    IPFSFS_ASSIGN_OR_RETURN(auto target, service->MakeTarget(spec));
    targets.push_back(std::move(target));
  }
  service->publisher_ = std::make_unique<publish::Publisher>(std::move(targets));
  return service;
}

PublishService::PublishService(PublishServiceOptions options, blockcache::BlockCache& cache,
                               std::unique_ptr<net::HttpEngine> engine)
    : options_(std::move(options)), cache_(cache), engine_(std::move(engine)) {}

PublishService::~PublishService() { Stop(); }

void PublishService::Stop() {
  stopping_ = true;
  if (publisher_) publisher_->Stop();
}

Result<std::unique_ptr<publish::Target>> PublishService::MakeTarget(const publish::TargetSpec& spec) {
  using Kind = publish::TargetSpec::Kind;
  switch (spec.kind) {
    case Kind::kCar:
      return std::unique_ptr<publish::Target>(std::make_unique<publish::CarTarget>(cache_, spec.arg));
    case Kind::kKubo: {
      if (options_.api_url.empty()) {
        return MakeError(ErrorCode::kInvalidArgument,
                         "publish target kubo: no kubo node (give --api, or run a daemon: $IPFS_PATH/api)");
      }
      publish::KuboTargetOptions ko{options_.api_url, options_.api_authorization, options_.kubo_pins_file};
      return std::unique_ptr<publish::Target>(std::make_unique<publish::KuboTarget>(ko, *engine_, cache_));
    }
    case Kind::kRemote: {
      IPFSFS_ASSIGN_OR_RETURN(auto services, PinServices::Load());
      auto service = services.Find(spec.arg);
      if (!service) return tl::unexpected(service.error().Wrap("publish target " + spec.ToString()));
      publish::RemoteTargetOptions ro;
      ro.service = spec.arg;
      ro.endpoint = service->endpoint;
      ro.key = service->key;
      // The origins: the addresses of the kubo node that gets the blocks (its `id`).
      publish::OriginsFn origins;
      if (!options_.api_url.empty()) {
        auto node = std::make_shared<publish::KuboTarget>(
            publish::KuboTargetOptions{options_.api_url, options_.api_authorization, options_.kubo_pins_file},
            *engine_, cache_);
        origins = [node]() -> Result<std::vector<std::string>> {
          IPFSFS_ASSIGN_OR_RETURN(auto id, node->Identify());
          return id.addresses;
        };
      }
      return std::unique_ptr<publish::Target>(std::make_unique<publish::RemoteTarget>(ro, *engine_, origins));
    }
    case Kind::kIpns:
      return std::unique_ptr<publish::Target>(std::make_unique<publish::IpnsTarget>(spec.arg, options_.publish_name));
  }
  return MakeError(ErrorCode::kInternal, "unknown publish target kind");
}

nlohmann::json PublishService::Publish(const ipld::Cid& root, const std::vector<std::string>& once) {
  nlohmann::json out = nlohmann::json::array();
  auto add = [&](const std::string& target, bool ok, const std::string& line) {
    out.push_back({{"target", target}, {"ok", ok}, {"line", line}});
  };
  if (stopping_) {
    for (const auto& s : options_.targets) add(s.ToString(), false, "the mount is stopping");
    for (const auto& s : once) add(s, false, "the mount is stopping");
    return out;
  }
  for (const auto& o : publisher_->Publish(root)) add(o.target, o.ok, o.line);
  std::vector<std::unique_ptr<publish::Target>> extra;
  for (const auto& text : once) {
    auto spec = publish::TargetSpec::Parse(text);
    auto target = spec ? MakeTarget(*spec) : tl::unexpected(spec.error());
    if (!target) {
      add(text, false, target.error().message);
      continue;
    }
    extra.push_back(std::move(*target));
  }
  for (const auto& o : publisher_->PublishOnce(root, extra)) add(o.target, o.ok, o.line);
  return out;
}

nlohmann::json PublishService::StatusJson() const {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& s : publisher_->Status()) {
    out.push_back({{"target", s.target},
                   {"last_root", s.last_root ? nlohmann::json(s.last_root->ToString()) : nlohmann::json()},
                   {"last_published", Rfc3339(s.last_published_ms)},
                   {"last_detail", s.last_detail},
                   {"last_error", s.last_error},
                   {"pending", s.pending ? nlohmann::json(s.pending->ToString()) : nlohmann::json()},
                   {"failures", s.failures},
                   {"next_retry", Rfc3339(s.next_retry_ms)},
                   {"progress", s.progress}});
  }
  return out;
}

}  // namespace ipfsfs::tools
