#include "publish/target_spec.h"

namespace ipfsfs::publish {

Result<TargetSpec> TargetSpec::Parse(std::string_view text) {
  auto with_arg = [&](std::string_view prefix, Kind kind) -> Result<TargetSpec> {
    std::string_view arg = text.substr(prefix.size());
    if (arg.empty()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "publish target \"" + std::string(text) + "\": " + std::string(prefix) + " needs a value");
    }
    return TargetSpec{kind, std::string(arg)};
  };
  if (text == "kubo") return TargetSpec{Kind::kKubo, ""};
  if (text.starts_with("car:")) return with_arg("car:", Kind::kCar);
  if (text.starts_with("remote:")) return with_arg("remote:", Kind::kRemote);
  if (text.starts_with("ipns:")) return with_arg("ipns:", Kind::kIpns);
  return MakeError(ErrorCode::kInvalidArgument, "publish target \"" + std::string(text) +
                                                    "\": expected kubo, car:PATH, remote:SERVICE or ipns:KEY");
}

std::string TargetSpec::ToString() const {
  switch (kind) {
    case Kind::kKubo: return "kubo";
    case Kind::kCar: return "car:" + arg;
    case Kind::kRemote: return "remote:" + arg;
    case Kind::kIpns: return "ipns:" + arg;
  }
  return "kubo";
}

}  // namespace ipfsfs::publish
