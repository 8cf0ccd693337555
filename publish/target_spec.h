// TargetSpec: the text of a `--publish TARGET` flag, parsed. One place knows
// the spellings users type (kubo, car:PATH, remote:SERVICE, ipns:KEY).
// Regular value; pure functions.
#ifndef IPFSFS_PUBLISH_TARGET_SPEC_H_
#define IPFSFS_PUBLISH_TARGET_SPEC_H_

#include <string>
#include <string_view>

#include "base/result.h"

namespace ipfsfs::publish {

struct TargetSpec {
  enum class Kind { kKubo, kCar, kRemote, kIpns };
  Kind kind = Kind::kKubo;
  std::string arg;  // car: the path; remote: the service name; ipns: the key name; kubo: empty

  // kInvalidArgument naming the accepted forms for anything else.
  [[nodiscard]] static Result<TargetSpec> Parse(std::string_view text);
  // The text Parse accepts back: "kubo", "car:/x.car", … (status and logs).
  std::string ToString() const;
  friend bool operator==(const TargetSpec&, const TargetSpec&) = default;
};

}  // namespace ipfsfs::publish

#endif  // IPFSFS_PUBLISH_TARGET_SPEC_H_
