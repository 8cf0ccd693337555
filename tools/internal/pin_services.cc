#include "tools/internal/pin_services.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace ipfsfs::tools {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

}  // namespace

std::string PinServices::DefaultPath() {
  if (!Env("CONFIGURATION_DIRECTORY").empty()) return Env("CONFIGURATION_DIRECTORY") + "/pinning-services.json";
  if (!Env("XDG_CONFIG_HOME").empty()) return Env("XDG_CONFIG_HOME") + "/ipfsfs/pinning-services.json";
  if (!Env("HOME").empty()) return Env("HOME") + "/.config/ipfsfs/pinning-services.json";
  return "/etc/ipfsfs/pinning-services.json";
}

Result<PinServices> PinServices::Load(const std::string& path) {
  PinServices s;
  s.path_ = path;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return s;
    return MakeError(ErrorCode::kUnavailable, path + ": " + std::strerror(errno));
  }
  if (st.st_mode & 077) {
    return MakeError(ErrorCode::kInvalidArgument,
                     path + ": readable by others, refused (it holds access tokens): chmod 600 " + path);
  }
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  auto doc = nlohmann::json::parse(text.str(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return MakeError(ErrorCode::kInvalidArgument, path + ": not a JSON object");
  const nlohmann::json services = doc.value("services", nlohmann::json::object());
  for (const auto& [name, v] : services.items()) {
    if (!v.is_object()) continue;
    s.services_[name] = PinService{v.value("endpoint", ""), v.value("key", "")};
  }
  return s;
}

Status PinServices::Save() const {
  nlohmann::json doc = {{"services", nlohmann::json::object()}};
  for (const auto& [name, s] : services_) doc["services"][name] = {{"endpoint", s.endpoint}, {"key", s.key}};
  const std::string dir = path_.substr(0, path_.rfind('/'));
  if (!dir.empty()) {
    std::string partial;
    std::stringstream parts(dir);
    for (std::string p; std::getline(parts, p, '/');) {
      partial += "/" + p;
      if (partial != "/") ::mkdir(partial.c_str(), 0700);
    }
  }
  const std::string temp = path_ + ".tmp";
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return MakeError(ErrorCode::kUnavailable, temp + ": " + std::strerror(errno));
  ::fchmod(fd, 0600);  // whatever the umask
  const std::string text = doc.dump(2) + "\n";
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || std::rename(temp.c_str(), path_.c_str()) != 0) {
    ::unlink(temp.c_str());
    return MakeError(ErrorCode::kUnavailable, "cannot write " + path_ + ": " + std::strerror(errno));
  }
  return OkStatus();
}

Status PinServices::Add(const std::string& name, std::string endpoint, const std::string& key) {
  if (name.empty()) return MakeError(ErrorCode::kInvalidArgument, "empty service name");
  if (services_.count(name)) return MakeError(ErrorCode::kInvalidArgument, "service " + name + " already exists");
  if (endpoint.rfind("http://", 0) != 0 && endpoint.rfind("https://", 0) != 0) {
    return MakeError(ErrorCode::kInvalidArgument, "'" + endpoint + "' is not an http:// or https:// URL");
  }
  while (endpoint.size() > 8 && endpoint.back() == '/') endpoint.pop_back();
  // kubo stores the endpoint without /pins (publish.md §2).
  if (endpoint.size() > 5 && endpoint.compare(endpoint.size() - 5, 5, "/pins") == 0) endpoint.resize(endpoint.size() - 5);
  if (key.empty()) return MakeError(ErrorCode::kInvalidArgument, "empty access token");
  services_[name] = PinService{endpoint, key};
  return OkStatus();
}

Status PinServices::Remove(const std::string& name) {
  if (!services_.erase(name)) return MakeError(ErrorCode::kNotFound, "no pinning service named " + name);
  return OkStatus();
}

Result<PinService> PinServices::Find(const std::string& name) const {
  auto it = services_.find(name);
  if (it == services_.end()) {
    return MakeError(ErrorCode::kNotFound, "no pinning service named " + name +
                                               " (add it with: ipfsfs pin remote service add " + name +
                                               " ENDPOINT KEY)");
  }
  return it->second;
}

}  // namespace ipfsfs::tools
