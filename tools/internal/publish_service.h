// PublishService: the mount's side of `--publish` (issue 16). Builds the
// targets the mount was given (kubo: the node of --api with --api-auth;
// car:PATH; remote:SERVICE from `pin remote service add`, its origins the
// kubo node's addresses; ipns: answers "not built yet") into a Publisher that
// runs after each sync and retries failed targets with backoff while the
// mount runs, and builds one-off targets for `ipfsfs sync --publish`.
// Blocks come from the mount's cache. Thread-safe.
#ifndef IPFSFS_TOOLS_INTERNAL_PUBLISH_SERVICE_H_
#define IPFSFS_TOOLS_INTERNAL_PUBLISH_SERVICE_H_

#include <atomic>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/result.h"
#include "blockcache/block_cache.h"
#include "net/http_engine.h"
#include "publish/ipns_target.h"
#include "publish/publisher.h"
#include "publish/target_spec.h"

namespace ipfsfs::tools {

struct PublishServiceOptions {
  std::vector<publish::TargetSpec> targets;  // the mount's, in order
  std::string api_url;                       // the kubo node ("" if none)
  std::string api_authorization;             // its Authorization header ("" if none)
  std::string kubo_pins_file;                // which roots ipfsfs pinned on which node
  publish::NamePublishFn publish_name;       // ipns:KEY (null: no keystore here)
};

class PublishService {
 public:
  // kInvalidArgument for a target that cannot work (kubo without a node).
  [[nodiscard]] static Result<std::unique_ptr<PublishService>> Open(PublishServiceOptions options,
                                                                    blockcache::BlockCache& cache);
  ~PublishService();
  // Ends retries; later Publish calls fail at once ("the mount is stopping").
  void Stop();

  // After a sync: the mount's targets, then `once` (spellings, for this sync
  // only). [{"target", "ok", "line"}], one per target.
  nlohmann::json Publish(const ipld::Cid& root, const std::vector<std::string>& once);
  // Per mount target: {"target", "last_root", "last_published" (RFC 3339 or
  // null), "last_detail", "last_error", "pending", "failures", "next_retry",
  // "progress" (a pinning service's status since)}.
  nlohmann::json StatusJson() const;
  bool empty() const { return publisher_->empty(); }

 private:
  PublishService(PublishServiceOptions options, blockcache::BlockCache& cache, std::unique_ptr<net::HttpEngine> engine);
  [[nodiscard]] Result<std::unique_ptr<publish::Target>> MakeTarget(const publish::TargetSpec& spec);

  const PublishServiceOptions options_;
  blockcache::BlockCache& cache_;
  std::unique_ptr<net::HttpEngine> engine_;  // outlives the publisher's targets
  std::unique_ptr<publish::Publisher> publisher_;
  std::atomic<bool> stopping_{false};
};

}  // namespace ipfsfs::tools

#endif  // IPFSFS_TOOLS_INTERNAL_PUBLISH_SERVICE_H_
