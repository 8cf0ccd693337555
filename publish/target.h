// Target: one place a synced root goes (a kubo node, a CAR file, a pinning
// service, an IPNS name). The Publisher (publisher.h) calls Publish after a
// sync with a new root; each target keeps what it needs to know about its
// own past (what it pinned where) and answers one line for the user.
//
// Publish blocks (network, disk) and is called from one thread at a time per
// target; implementations need no locking of their own for that.
#ifndef IPFSFS_PUBLISH_TARGET_H_
#define IPFSFS_PUBLISH_TARGET_H_

#include <optional>
#include <string>

#include "base/result.h"
#include "ipld/cid.h"

namespace ipfsfs::publish {

struct PublishRequest {
  ipld::Cid root;
  // The root this target last published successfully (nullopt: never), so a
  // target may send only what changed and release the old root.
  std::optional<ipld::Cid> previous;
};

class Target {
 public:
  virtual ~Target() = default;
  // The spelling the user gave ("kubo", "car:/x.car"): status and messages.
  virtual std::string Name() const = 0;
  // Success: one line saying what was done ("12 blocks, pinned on http://…").
  // An error's message is one line too; kUnavailable and kTimeout are worth a
  // retry, the others need the user.
  [[nodiscard]] virtual Result<std::string> Publish(const PublishRequest& request) = 0;
  // What happened since Publish returned, for `ipfsfs status` (a pinning
  // service's status, followed in the background); "" when nothing follows.
  // Any thread.
  virtual std::string Progress() const { return {}; }
};

}  // namespace ipfsfs::publish

#endif  // IPFSFS_PUBLISH_TARGET_H_
