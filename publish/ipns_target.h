// IpnsTarget (`ipns:KEY`): moves the name of a local key to each new root.
// The signing and putting belong to the name publisher (tools' NamePublishing
// over publish/name_publisher.h); this adapter only calls it. Without one (no
// keystore on this machine) it fails saying how to make a key.
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
      return MakeError(ErrorCode::kInvalidArgument,
                       "no keystore here: make the key first (ipfsfs key gen " + key_ + ")");
    }
    return publish_(key_, request.root);
  }

 private:
  const std::string key_;
  const NamePublishFn publish_;
};

}  // namespace ipfsfs::publish

#endif  // IPFSFS_PUBLISH_IPNS_TARGET_H_
