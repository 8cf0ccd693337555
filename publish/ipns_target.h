// IpnsTarget (`ipns:KEY`): moves the name of a local key to each new root.
// The signing and putting belong to the name publisher (issue 16, keys);
// this adapter only calls it. Without one it fails with "not built yet".
#ifndef IPFSFS_PUBLISH_IPNS_TARGET_H_
#define IPFSFS_PUBLISH_IPNS_TARGET_H_

#include <functional>
#include <string>

#include "publish/target.h"

namespace ipfsfs::publish {

// Publishes /ipfs/<root> under the key's name; success: a line for the user.
using NamePublishFn = std::function<Result<std::string>(const std::string& key, const ipld::Cid& root)>;

class IpnsTarget : public Target {
 public:
  IpnsTarget(std::string key, NamePublishFn publish) : key_(std::move(key)), publish_(std::move(publish)) {}
  std::string Name() const override { return "ipns:" + key_; }
  [[nodiscard]] Result<std::string> Publish(const PublishRequest& request) override {
    if (!publish_) {
      return MakeError(ErrorCode::kInvalidArgument, "publishing to IPNS names is not built yet");
    }
    return publish_(key_, request.root);
  }

 private:
  const std::string key_;
  const NamePublishFn publish_;
};

}  // namespace ipfsfs::publish

#endif  // IPFSFS_PUBLISH_IPNS_TARGET_H_
