// Plain structs the Filesystem answers with: attributes and entries as the
// kernel will see them, free of any FUSE type so tests can drive Filesystem
// directly. Regular values.
#ifndef IPFSFS_FS_TYPES_H_
#define IPFSFS_FS_TYPES_H_

#include <cstdint>
#include <string>

namespace ipfsfs::fs {

using Ino = uint64_t;
inline constexpr Ino kRootIno = 1;

struct Attr {
  Ino ino = 0;
  uint32_t mode = 0;  // type bits (S_IFDIR, S_IFREG, S_IFLNK) | permissions
  uint64_t size = 0;
  uint64_t blocks = 0;  // 512-byte units, so du is right
  uint32_t nlink = 1;
  uint32_t uid = 0;
  uint32_t gid = 0;
  int64_t mtime_sec = 0;
  uint32_t mtime_nsec = 0;
};

// A lookup answer. ino == 0 is a negative entry: "no such name", cached by the
// kernel for entry_timeout.
struct Entry {
  Ino ino = 0;
  Attr attr;
  double entry_timeout = 0;
  double attr_timeout = 0;
};

// One listed name. When `entry.ino` is 0 the attributes are not known yet: the
// entry goes out as a bare name (attr.ino and the type bits, when known, are
// still filled for d_ino and d_type) and is not counted as a lookup.
struct DirListEntry {
  std::string name;
  Entry entry;
  uint64_t next_offset = 0;  // the telldir cookie after this entry
};

}  // namespace ipfsfs::fs

#endif  // IPFSFS_FS_TYPES_H_
