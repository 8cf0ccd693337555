// StagingTree: staging/, the writable top directory, a passthrough of one
// local directory as libfuse's passthrough_ll serves it. Each node holds an
// O_PATH descriptor of its file and is identified by (st_dev, st_ino), so an
// operation reaches the same object after a rename or an unlink; each open
// file has its own descriptor, read as descriptor ranges (spliced) and
// written with pwrite. Every answer, error included, is the local
// filesystem's own: errors carry its errno (fs/errors.h SystemError), so
// POSIX semantics and crash safety are the backing filesystem's. Entries
// show their real owner and mode (TreeEntry::own_owner); files made for a
// caller other than the daemon's user are given to the caller.
//
// A CidOverlay (path below the staging root -> CID text, set by the Syncer)
// is served as the read-only xattr user.ipfs.cid. Only user.* xattrs are
// kept; others answer EOPNOTSUPP; ipfsfs's own (user.ipfsfs.*) are hidden.
//
// Placeholders (`ipfsfs stage`, fs/stager.h: sparse files with a
// writeback::StagedMark) read from the block cache through the resolver
// given to SetPlaceholderSource, and are materialized (fs/internal/
// placeholder_copy.h) before their first write: an open for writing, a
// truncate to another size than 0 (O_TRUNC and a truncate to 0 fetch nothing). Their user.ipfs.cid is the mark's.
//
// Synchronous system calls on the calling thread (local disk, no network).
// Thread-safe: nodes and handles are immutable after creation or used by one
// open file; the overlay has its own mutex. Nodes of non-directories keep
// file handles where the filesystem exports them and the daemon may open by
// handle (root), so remembered files cost no descriptor; directories (and
// everything otherwise) keep one O_PATH descriptor each
// (the process's descriptor limit is then raised to its hard maximum).
#ifndef IPFSFS_FS_STAGING_TREE_H_
#define IPFSFS_FS_STAGING_TREE_H_

#include <sys/stat.h>

#include <map>
#include <memory>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "fs/tree.h"
#include "resolver/file_reader.h"
#include "resolver/resolver.h"

namespace ipfsfs::fs {

class PathFd;

// The CIDs a sync gave staged paths ("" is the staging root), shown as
// user.ipfs.cid. Thread-safe.
class CidOverlay {
 public:
  // Where paths not Set() are looked up (the sync index); set before the
  // tree serves, never changed after.
  void SetSource(std::function<std::optional<std::string>(const std::string&)> source) {
    source_ = std::move(source);
  }
  void Set(const std::string& path, std::string cid);
  void Clear();
  std::optional<std::string> Get(const std::string& path) const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::string> cids_;  // GUARDED_BY(mu_)
  std::function<std::optional<std::string>(const std::string&)> source_;
};

// What the staging tree tells the mount's sync: each change (the auto-sync
// idle timer) and an fsync of staging/ itself (a sync of the whole tree,
// answered when it is done). Unset hooks do nothing.
struct StagingHooks {
  std::function<void()> changed;
  std::function<Status()> sync_all;
};

struct StagingTreeOptions {
  double entry_timeout = 1.0;  // passthrough_ll's default
  double attr_timeout = 1.0;
};

class StagingTree : public Tree {
 public:
  // Opens `dir` (which must exist). kNotFound / the open's errno otherwise.
  static Result<std::unique_ptr<StagingTree>> Open(const std::string& dir, StagingTreeOptions options = {});
  ~StagingTree() override;

  std::string_view name() const override { return "staging"; }
  bool read_only() const override { return false; }
  std::optional<Attr> TopAttr() const override;
  const std::string& dir() const { return dir_; }
  CidOverlay& cids() { return cids_; }
  // Set before the tree serves (the Mount, once its sync exists).
  void SetHooks(StagingHooks hooks) { hooks_ = std::move(hooks); }
  // Where placeholders' bytes come from (the mount's resolver, which must
  // outlive the tree); set before the tree serves. Unset: a placeholder
  // answers EIO where its bytes are needed.
  void SetPlaceholderSource(resolver::Resolver* resolver, resolver::FileReaderOptions options = {}) {
    resolver_ = resolver;
    reader_options_ = std::move(options);
  }

  void Lookup(const TreeNodePtr& dir, std::string name, Callback<TreeEntry> done) override;
  void GetAttr(const TreeNodePtr& node, const TreeEntry& known, Callback<TreeEntry> done) override;
  void ReadLink(const TreeNodePtr& node, Callback<std::string> done) override;
  void Open(const TreeNodePtr& node, int flags, Callback<TreeOpened> done) override;
  void Read(const TreeHandlePtr& file, uint64_t offset, size_t size, Callback<ReadReply> done) override;
  void OpenDir(const TreeNodePtr& dir, Callback<TreeOpened> done) override;
  void ReadDir(const TreeHandlePtr& dir, uint64_t first, size_t max,
               Callback<std::vector<TreeDirEntry>> done) override;
  void GetXattr(const TreeNodePtr& node, std::string name, Callback<std::string> done) override;
  void ListXattr(const TreeNodePtr& node, Callback<std::vector<std::string>> done) override;
  void StatFs(Callback<FsStats> done) override;

  void SetAttr(const TreeNodePtr& node, const SetAttrRequest& changes, Callback<TreeEntry> done) override;
  void Mknod(const TreeNodePtr& dir, std::string name, uint32_t mode, uint64_t rdev, Callback<TreeEntry> done) override;
  void Mkdir(const TreeNodePtr& dir, std::string name, uint32_t mode, Callback<TreeEntry> done) override;
  void Symlink(const TreeNodePtr& dir, std::string name, std::string target, Callback<TreeEntry> done) override;
  void Link(const TreeNodePtr& node, const TreeNodePtr& dir, std::string name, Callback<TreeEntry> done) override;
  void Unlink(const TreeNodePtr& dir, std::string name, Callback<void> done) override;
  void Rmdir(const TreeNodePtr& dir, std::string name, Callback<void> done) override;
  void Rename(const TreeNodePtr& dir, std::string name, const TreeNodePtr& new_dir, std::string new_name,
              unsigned flags, Callback<void> done) override;
  void Create(const TreeNodePtr& dir, std::string name, uint32_t mode, int flags,
              Callback<std::pair<TreeEntry, TreeOpened>> done) override;
  void Write(const TreeHandlePtr& file, uint64_t offset, Bytes data, Callback<size_t> done) override;
  void SetXattr(const TreeNodePtr& node, std::string name, Bytes value, int flags, Callback<void> done) override;
  void RemoveXattr(const TreeNodePtr& node, std::string name, Callback<void> done) override;
  void Fsync(const TreeHandlePtr& file, bool datasync, Callback<void> done) override;
  void FsyncDir(const TreeHandlePtr& dir, bool datasync, Callback<void> done) override;
  void Fallocate(const TreeHandlePtr& file, int mode, uint64_t offset, uint64_t length, Callback<void> done) override;
  void Lseek(const TreeHandlePtr& file, uint64_t offset, int whence, Callback<uint64_t> done) override;

 private:
  StagingTree(std::string dir, int root_fd, StagingTreeOptions options);
  // A node's O_PATH descriptor for one operation (the root's when null).
  PathFd NodeFd(const TreeNodePtr& node) const;
  PathFd DirFd(const TreeNodePtr& dir) const;
  // The entry for `name` in `dir_fd`: a new node with its own O_PATH fd.
  Result<TreeEntry> Entry(int dir_fd, const std::string& name) const;
  Result<TreeEntry> EntryOf(int path_fd) const;
  TreeEntry FromStat(const struct stat& st, TreeNodePtr node) const;
  // Gives a new entry to the caller when the daemon is root and they differ.
  void ChownToCaller(int dir_fd, const std::string& name) const;
  // The path below the staging root of a node ("" for the root).
  std::string RelativePath(const TreeNodePtr& node) const;
  // The open that follows the placeholder checks (flags as given).
  void OpenLocal(const TreeNodePtr& node, int flags, Callback<TreeOpened> done);
  void SetAttrNow(const TreeNodePtr& node, const SetAttrRequest& changes, Callback<TreeEntry> done);
  // A FileReader over a placeholder's CID.
  void OpenReader(const ipld::Cid& cid, std::function<void(Result<std::shared_ptr<resolver::FileReader>>)> done);
  // Writes a placeholder's bytes into its backing file, then runs `then`
  // (at once when it is not, or no longer, a placeholder). One copy per file
  // at a time: later callers wait for it.
  void Materialize(const TreeNodePtr& node, std::function<void(Status)> then);
  // Runs `then` once no copy of the file is running (at once when none is).
  void AfterCopy(const TreeNodePtr& node, std::function<void(Status)> then);
  void Changed() const {
    if (hooks_.changed) hooks_.changed();
  }

  const std::string dir_;
  const int root_fd_;
  const StagingTreeOptions options_;
  bool use_handles_ = false;  // nodes keep file handles, not descriptors
  CidOverlay cids_;
  StagingHooks hooks_;
  resolver::Resolver* resolver_ = nullptr;
  resolver::FileReaderOptions reader_options_;
  std::mutex materializing_mu_;
  // IdentityKey -> callers waiting for its copy to end.
  std::map<std::string, std::vector<std::function<void(Status)>>> materializing_;  // GUARDED_BY(materializing_mu_)
};

}  // namespace ipfsfs::fs

#endif  // IPFSFS_FS_STAGING_TREE_H_
