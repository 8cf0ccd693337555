// Plain structs the Filesystem and its Trees answer with: attributes and
// entries as the kernel will see them, open handles and read replies, free of
// any FUSE type so tests can drive Filesystem (and a Tree) directly. Regular
// values, except TreeNode and TreeHandle: a tree's own objects, shared and
// immutable (nodes) or used by one open file or directory (handles).
#ifndef IPFSFS_FS_TYPES_H_
#define IPFSFS_FS_TYPES_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"

namespace ipfsfs::fs {

using Ino = uint64_t;
inline constexpr Ino kRootIno = 1;

template <class T>
using Callback = std::function<void(Result<T>)>;

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
  // Trees over local files (staging/) fill these; 0: the same as mtime.
  int64_t atime_sec = 0;
  uint32_t atime_nsec = 0;
  int64_t ctime_sec = 0;
  uint32_t ctime_nsec = 0;
  uint64_t rdev = 0;
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

// A tree's own record of one node (an IPFS node's CID and facts; a staging
// path). The InodeTable keeps it while the entry is remembered and hands it
// back to the tree with every operation on that inode.
class TreeNode {
 public:
  virtual ~TreeNode() = default;
  // False when `newer`, a fresh answer for the same name, is another object
  // (a mutable tree's name now points elsewhere): the name then gets a fresh
  // inode number. Default: the same object, its attributes updated in place.
  virtual bool SameIdentity(const TreeNode& newer) const {
    (void)newer;
    return true;
  }
  // Non-empty when the object can have several names (hard links, renames:
  // staging/'s (st_dev, st_ino)): every name of one identity gets one inode
  // number while the kernel knows it, as passthrough_ll keys its inodes.
  virtual std::string IdentityKey() const { return {}; }
};
using TreeNodePtr = std::shared_ptr<const TreeNode>;

// A tree's answer for one name: the node, its attributes (ino is the
// Filesystem's to fill) and how long the kernel may cache them. A null node
// is "no such name", which the kernel may cache for entry_timeout.
struct TreeEntry {
  TreeNodePtr node;
  Attr attr;
  double entry_timeout = 0;
  double attr_timeout = 0;
  // The name will never mean anything else: later lookups of it may be
  // answered from the Filesystem's table without asking the tree.
  bool immutable = false;
  // The owner and mode are the node's own (staging/ shows a local file's):
  // the mount's --uid, --gid, --file-mode and --dir-mode do not apply.
  bool own_owner = false;
};

// A tree's open file or directory, held by the Filesystem from open to release.
class TreeHandle {
 public:
  virtual ~TreeHandle() = default;
  // Directories: set by the Filesystem when the directory is opened. A tree
  // that learns a listed name's attributes only after its listing answered
  // (a child's block fetched in the background) reports them here, from any
  // thread, so the stat that follows needs no lookup: names seen once are
  // remembered with their attributes (DESIGN.md). May be empty.
  std::function<void(const std::string& name, const TreeEntry& entry)> learned;
};
using TreeHandlePtr = std::shared_ptr<TreeHandle>;

struct TreeOpened {
  TreeHandlePtr handle;
  bool keep_cache = false;  // files: page cache survives close; directories: cache_readdir
};

// One name of an open directory: whole when the tree knows its attributes,
// else a bare name (`type`: S_IF* bits when known, for d_type).
struct TreeDirEntry {
  std::string name;
  uint32_t type = 0;
  std::optional<TreeEntry> entry;
};

// Bytes [data, data + length), kept alive by `owner`; or, when fd >= 0, up
// to `length` bytes of descriptor `fd` from `fd_offset` (spliced to the
// kernel when it can; fewer at the file's end, in a reply's last slice),
// kept open by `owner`.
struct ReadSlice {
  std::shared_ptr<const void> owner;
  const std::byte* data = nullptr;
  size_t length = 0;
  int fd = -1;
  uint64_t fd_offset = 0;
  // Memory slices only.
  ByteSpan span() const { return ByteSpan(data, length); }
};

// A read's answer: slices of memory or descriptors, in order.
struct ReadReply {
  std::vector<ReadSlice> slices;
  uint64_t size() const {
    uint64_t n = 0;
    for (const auto& s : slices) n += s.length;
    return n;
  }
};

// statfs(2) as a tree reports it.
struct FsStats {
  uint64_t block_size = 1 << 20;  // f_bsize: the preferred I/O size
  uint64_t fragment_size = 512;   // f_frsize: the unit of the counts below
  uint64_t blocks = 0;
  uint64_t blocks_free = 0;
  uint64_t blocks_available = 0;
  uint64_t files = 0;
  uint64_t files_free = 0;
  uint32_t name_max = 255;
  bool read_only = true;
};

// setattr: which fields to change (the FUSE_SET_ATTR_* set, as values).
struct SetAttrRequest {
  std::optional<uint32_t> mode;
  std::optional<uint32_t> uid;
  std::optional<uint32_t> gid;
  std::optional<uint64_t> size;
  std::optional<int64_t> mtime_sec;  // mtime to set; "now" is resolved by the caller
  std::optional<int64_t> atime_sec;
  uint32_t mtime_nsec = 0;  // with mtime_sec
  uint32_t atime_nsec = 0;  // with atime_sec
};

}  // namespace ipfsfs::fs

#endif  // IPFSFS_FS_TYPES_H_
