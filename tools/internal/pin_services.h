// PinServices: the remote pinning services `ipfsfs pin remote service add`
// stored (name -> endpoint, key), as kubo keeps Pinning.RemoteServices. One
// JSON file, pinning-services.json beside config.json
// ($XDG_CONFIG_HOME/ipfsfs, ~/.config/ipfsfs, /etc/ipfsfs; systemd's
// CONFIGURATION_DIRECTORY), mode 0600: it holds access tokens, so a file
// readable by group or others is refused. Values only; not thread-safe.
#ifndef IPFSFS_TOOLS_INTERNAL_PIN_SERVICES_H_
#define IPFSFS_TOOLS_INTERNAL_PIN_SERVICES_H_

#include <map>
#include <optional>
#include <string>

#include "base/result.h"

namespace ipfsfs::tools {

struct PinService {
  std::string endpoint;  // without /pins
  std::string key;
};

class PinServices {
 public:
  static std::string DefaultPath();
  // Absent file: none. kInvalidArgument for a file others may read or bad JSON.
  [[nodiscard]] static Result<PinServices> Load(const std::string& path = DefaultPath());
  // Written 0600 through a temporary file (the directory made 0700 if absent).
  [[nodiscard]] Status Save() const;

  // kInvalidArgument: a name taken, an endpoint that is not http(s), an empty key.
  [[nodiscard]] Status Add(const std::string& name, std::string endpoint, const std::string& key);
  // kNotFound when absent.
  [[nodiscard]] Status Remove(const std::string& name);
  // kNotFound naming the command that adds one.
  [[nodiscard]] Result<PinService> Find(const std::string& name) const;
  const std::map<std::string, PinService>& all() const { return services_; }

 private:
  std::string path_;
  std::map<std::string, PinService> services_;
};

}  // namespace ipfsfs::tools

#endif  // IPFSFS_TOOLS_INTERNAL_PIN_SERVICES_H_
