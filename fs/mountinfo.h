// MountInfo: the lines of /proc/self/mountinfo (proc(5)) that say what is
// mounted where, parsed once here for every caller. Pure values and free
// functions; ReadMountInfo reads the file, the rest is parsing.
#ifndef IPFSFS_FS_MOUNTINFO_H_
#define IPFSFS_FS_MOUNTINFO_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace ipfsfs::fs {

struct MountInfo {
  int mount_id = 0;
  std::string device;       // "major:minor"
  std::string mount_point;  // \040-style escapes decoded
  std::string fs_type;      // e.g. "fuse.ipfsfs"
};

// One entry per well-formed line, in file order (later lines are mounted on
// top of earlier ones); malformed lines are skipped.
std::vector<MountInfo> ParseMountInfo(std::string_view text);
// /proc/self/mountinfo, parsed. kUnavailable when it cannot be read.
[[nodiscard]] Result<std::vector<MountInfo>> ReadMountInfo();
// The topmost mount at `mount_point` (an absolute, resolved path).
std::optional<MountInfo> FindMount(const std::vector<MountInfo>& mounts, std::string_view mount_point);

}  // namespace ipfsfs::fs

#endif  // IPFSFS_FS_MOUNTINFO_H_
