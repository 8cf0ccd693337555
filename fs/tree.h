// Tree: one top-level directory of the mount (ipfs/ now; ipns/ and staging/
// later) and every operation on the names below it.
//
// The Filesystem owns inode numbers, lookup counts and handle numbers; a Tree
// owns what its names mean: lookup, attributes, open/read, listings, xattrs,
// statfs and the write operations, which answer kReadOnly (EROFS) unless a
// tree overrides them. Nodes and handles are the tree's own types (types.h);
// a null `dir` means the tree's top directory. Implementations are
// thread-safe and asynchronous: `done` runs exactly once, possibly before the
// call returns, possibly on another thread; nothing blocks on the network.
#ifndef IPFSFS_FS_TREE_H_
#define IPFSFS_FS_TREE_H_

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fs/types.h"

namespace ipfsfs::fs {

class Tree {
 public:
  virtual ~Tree() = default;

  virtual std::string_view name() const = 0;
  // True when no write operation can ever succeed here.
  virtual bool read_only() const { return true; }
  // The top directory's own attributes (owner, mode, times); nullopt: the
  // mount's (owner and --dir-mode, else 0555).
  virtual std::optional<Attr> TopAttr() const { return std::nullopt; }

  // `name` in directory `dir`: a negative entry (null node) when the
  // directory holds no such name; an error when it could not be read.
  virtual void Lookup(const TreeNodePtr& dir, std::string name, Callback<TreeEntry> done) = 0;
  // Fresh attributes of a node looked up before; `known` is the last answer.
  // Default: `known` (immutable content).
  virtual void GetAttr(const TreeNodePtr& node, const TreeEntry& known, Callback<TreeEntry> done);
  virtual void ReadLink(const TreeNodePtr& node, Callback<std::string> done) = 0;

  virtual void Open(const TreeNodePtr& node, int flags, Callback<TreeOpened> done) = 0;
  virtual void Read(const TreeHandlePtr& file, uint64_t offset, size_t size, Callback<ReadReply> done) = 0;
  // The handle is dropped after this returns. Default: nothing more to do.
  virtual void Release(const TreeHandlePtr& file) { (void)file; }

  virtual void OpenDir(const TreeNodePtr& dir, Callback<TreeOpened> done) = 0;
  // Up to `max` names from index `first` ("." and ".." are the Filesystem's);
  // fewer, none at the end. A listing that fails part way answers what it has.
  virtual void ReadDir(const TreeHandlePtr& dir, uint64_t first, size_t max,
                       Callback<std::vector<TreeDirEntry>> done) = 0;
  virtual void ReleaseDir(const TreeHandlePtr& dir) { (void)dir; }

  // kNotFound for an absent attribute, kUnsupported for a namespace the tree
  // does not keep. Defaults: no attributes.
  virtual void GetXattr(const TreeNodePtr& node, std::string name, Callback<std::string> done);
  virtual void ListXattr(const TreeNodePtr& node, Callback<std::vector<std::string>> done);
  // Default: an empty read-only filesystem.
  virtual void StatFs(Callback<FsStats> done);

  // Writes: kReadOnly unless overridden. Entry answers are counted lookups.
  virtual void SetAttr(const TreeNodePtr& node, const SetAttrRequest& changes, Callback<TreeEntry> done);
  virtual void Mknod(const TreeNodePtr& dir, std::string name, uint32_t mode, uint64_t rdev, Callback<TreeEntry> done);
  virtual void Mkdir(const TreeNodePtr& dir, std::string name, uint32_t mode, Callback<TreeEntry> done);
  virtual void Symlink(const TreeNodePtr& dir, std::string name, std::string target, Callback<TreeEntry> done);
  virtual void Link(const TreeNodePtr& node, const TreeNodePtr& dir, std::string name, Callback<TreeEntry> done);
  virtual void Unlink(const TreeNodePtr& dir, std::string name, Callback<void> done);
  virtual void Rmdir(const TreeNodePtr& dir, std::string name, Callback<void> done);
  // Within this tree (the Filesystem refuses renames across trees).
  virtual void Rename(const TreeNodePtr& dir, std::string name, const TreeNodePtr& new_dir, std::string new_name,
                      unsigned flags, Callback<void> done);
  // A new file, opened: the entry and the handle.
  virtual void Create(const TreeNodePtr& dir, std::string name, uint32_t mode, int flags,
                      Callback<std::pair<TreeEntry, TreeOpened>> done);
  // Answers the number of bytes written.
  virtual void Write(const TreeHandlePtr& file, uint64_t offset, Bytes data, Callback<size_t> done);
  virtual void SetXattr(const TreeNodePtr& node, std::string name, Bytes value, int flags, Callback<void> done);
  virtual void RemoveXattr(const TreeNodePtr& node, std::string name, Callback<void> done);
  // Default: nothing to sync (success, as a read-only file's fsync).
  virtual void Fsync(const TreeHandlePtr& file, bool datasync, Callback<void> done);
  // fsync(2) on an open directory. Default: nothing to sync.
  virtual void FsyncDir(const TreeHandlePtr& dir, bool datasync, Callback<void> done);
  // fallocate(2) modes and ranges. Default: kReadOnly.
  virtual void Fallocate(const TreeHandlePtr& file, int mode, uint64_t offset, uint64_t length, Callback<void> done);
  // lseek(2) SEEK_DATA / SEEK_HOLE: the offset found. Default: kUnsupported
  // (the kernel then answers as for a file without holes).
  virtual void Lseek(const TreeHandlePtr& file, uint64_t offset, int whence, Callback<uint64_t> done);
};

// Who made the FUSE request being handled on this thread (trees that create
// local files give them to the caller). Set by the FUSE front around each
// handler; unset (nullptr) when a test calls a Tree directly.
struct Caller {
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint32_t umask = 0;
};
const Caller* CurrentCaller();
class ScopedCaller {
 public:
  explicit ScopedCaller(const Caller& caller);
  ~ScopedCaller();
  ScopedCaller(const ScopedCaller&) = delete;
  ScopedCaller& operator=(const ScopedCaller&) = delete;

 private:
  const Caller* previous_;
  Caller caller_;
};

}  // namespace ipfsfs::fs

#endif  // IPFSFS_FS_TREE_H_
