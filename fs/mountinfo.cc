#include "fs/mountinfo.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace ipfsfs::fs {
namespace {

// The kernel writes space, tab, newline and backslash as \ooo (octal).
std::string Unescape(std::string_view field) {
  std::string out;
  out.reserve(field.size());
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size()) {
      int v = 0;
      bool octal = true;
      for (size_t k = 1; k <= 3; ++k) {
        char c = field[i + k];
        if (c < '0' || c > '7') octal = false;
        v = v * 8 + (c - '0');
      }
      if (octal && v < 256) {
        out.push_back(static_cast<char>(v));
        i += 3;
        continue;
      }
    }
    out.push_back(field[i]);
  }
  return out;
}

}  // namespace

// id parent major:minor root mount-point options [optional...] - fstype source super-options
std::vector<MountInfo> ParseMountInfo(std::string_view text) {
  std::vector<MountInfo> out;
  std::istringstream lines{std::string(text)};
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    std::string id, parent, dev, root, point, options;
    if (!(fields >> id >> parent >> dev >> root >> point >> options)) continue;
    std::string word, type;
    while (fields >> word && word != "-") {
    }
    if (word != "-" || !(fields >> type)) continue;
    MountInfo m;
    char* end = nullptr;
    m.mount_id = static_cast<int>(std::strtol(id.c_str(), &end, 10));
    if (end == id.c_str() || *end != '\0') continue;
    m.device = dev;
    m.mount_point = Unescape(point);
    m.fs_type = Unescape(type);
    out.push_back(std::move(m));
  }
  return out;
}

Result<std::vector<MountInfo>> ReadMountInfo() {
  std::ifstream in("/proc/self/mountinfo");
  if (!in) return MakeError(ErrorCode::kUnavailable, std::string("/proc/self/mountinfo: ") + std::strerror(errno));
  std::stringstream text;
  text << in.rdbuf();
  return ParseMountInfo(text.str());
}

std::optional<MountInfo> FindMount(const std::vector<MountInfo>& mounts, std::string_view mount_point) {
  for (auto it = mounts.rbegin(); it != mounts.rend(); ++it) {
    if (it->mount_point == mount_point) return *it;
  }
  return std::nullopt;
}

}  // namespace ipfsfs::fs
