// KuboTarget (`kubo`): the node of --api gets each new root over the kubo
// RPC (publish.md §1): the blocks streamed as one CAR in a multipart body to
// `POST /api/v0/dag/import?pin-roots=true`, then the roots ipfsfs pinned there
// before unpinned (`pin/rm`). Only what the node lacks is sent when that is
// known: subtrees under the root ipfsfs last pinned on that node (still
// pinned there, so present) are left out. A block over the node's size limit
// (2 MiB for kubo >= 0.40, 1 MiB before and for other nodes) fails the target
// before the node refuses it. Which roots ipfsfs pinned on which node (by
// peer ID) is kept in a JSON file, so a root pinned by hand is never unpinned.
#ifndef IPFSFS_PUBLISH_KUBO_TARGET_H_
#define IPFSFS_PUBLISH_KUBO_TARGET_H_

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "blockcache/block_cache.h"
#include "net/http_engine.h"
#include "publish/target.h"

namespace ipfsfs::publish {

struct KuboTargetOptions {
  std::string api_url;        // "http://127.0.0.1:5001" (no /api/v0)
  std::string authorization;  // the Authorization header's value; empty: none
  std::string state_file;     // the pins ipfsfs made, per node (JSON; created)
  // Limits of the calls that carry no blocks; dag/import has only a low-speed limit.
  std::chrono::milliseconds call_timeout{std::chrono::seconds(60)};
};

// The Authorization header kubo derives from an API.Authorizations secret
// (publish.md §1.1): "basic:user:pass" -> "Basic base64(user:pass)",
// "basic:<b64>" -> "Basic <b64>", "bearer:tok" or "tok" -> "Bearer tok".
[[nodiscard]] Result<std::string> KuboAuthorization(std::string_view secret);

// A node's identity (`/api/v0/id`): for pinning services' origins.
struct KuboNode {
  std::string peer_id;
  std::vector<std::string> addresses;  // multiaddrs ending /p2p/<peer_id>
};

class KuboTarget : public Target {
 public:
  // `engine` and `cache` must outlive the target.
  KuboTarget(KuboTargetOptions options, net::HttpEngine& engine, blockcache::BlockCache& cache)
      : options_(std::move(options)), engine_(engine), cache_(cache) {}
  std::string Name() const override { return "kubo"; }
  [[nodiscard]] Result<std::string> Publish(const PublishRequest& request) override;
  [[nodiscard]] Result<KuboNode> Identify();

 private:
  // POST /api/v0/<command>?<query>; the last JSON value of the answer.
  [[nodiscard]] Result<std::string> Call(const std::string& command, const std::string& query);
  [[nodiscard]] Result<size_t> BlockLimit();
  [[nodiscard]] Result<std::string> Import(const ipld::Cid& root, const std::optional<ipld::Cid>& have,
                                           size_t block_limit, uint64_t& blocks, uint64_t& bytes);

  const KuboTargetOptions options_;
  net::HttpEngine& engine_;
  blockcache::BlockCache& cache_;
};

}  // namespace ipfsfs::publish

#endif  // IPFSFS_PUBLISH_KUBO_TARGET_H_
