// Filesystem: the mount's logic without FUSE, and without knowing what any
// tree holds. Root shows one directory per Tree (ipfs/ ...); every inode
// below belongs to one tree, and each operation is dispatched to it with the
// tree's own node or handle. The Filesystem owns what is generic: the root,
// the InodeTable (numbers, lookup counts, the trees' last answers), the
// handle numbers of open files and directories, and the owner and mode the
// mount shows. Answers are plain structs (types.h), so tests drive it
// directly and the FUSE handlers (fuse_ops.cc) only unpack, call one method
// and reply.
//
// Every operation is asynchronous: `done` runs exactly once, on the calling
// thread when the answer is at hand or on a block layer thread later; no
// method blocks on the network. Lookup counts are raised just before a
// positive entry answer is handed to `done` (lookup, mknod, mkdir, symlink,
// link, create), as the kernel counts it once the reply is sent. Thread-safe;
// every tree callback must have run before it is destroyed (destroy or drain
// the block layer first: callbacks point into the Filesystem).
#ifndef IPFSFS_FS_FILESYSTEM_H_
#define IPFSFS_FS_FILESYSTEM_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "base/result.h"
#include "fs/inode_table.h"
#include "fs/tree.h"
#include "fs/types.h"

namespace ipfsfs::fs {

struct FilesystemOptions {
  uint32_t uid = 0;  // owner shown for everything (--uid)
  uint32_t gid = 0;  // group shown for everything (--gid)
  // Permission bits for files and directories (--file-mode / --dir-mode);
  // unset: what the tree says (for ipfs/, the UnixFS mode, else 0444 / 0555).
  std::optional<uint32_t> file_mode;
  std::optional<uint32_t> dir_mode;
  // Forgotten entries remembered (names and attributes) beyond the kernel's.
  size_t max_remembered = 1'000'000;
};

struct OpenedFile {
  uint64_t fh = 0;
  bool keep_cache = false;
};

struct OpenedDir {
  uint64_t fh = 0;
  bool cache_readdir = false;
};

struct CreatedFile {
  Entry entry;
  OpenedFile file;
};

struct FilesystemStats {
  uint64_t lookups = 0;
  uint64_t reads = 0;
  uint64_t read_bytes = 0;
  uint64_t errors = 0;
  uint64_t open_files = 0;
  uint64_t inodes = 0;
};

class Filesystem {
 public:
  Filesystem(std::vector<std::unique_ptr<Tree>> trees, FilesystemOptions options = {});
  ~Filesystem();
  Filesystem(const Filesystem&) = delete;
  Filesystem& operator=(const Filesystem&) = delete;

  // A negative Entry (ino 0) for names a directory does not hold; errors
  // otherwise.
  void Lookup(Ino parent, std::string name, Callback<Entry> done);
  void Forget(Ino ino, uint64_t nlookup);
  void GetAttr(Ino ino, Callback<Attr> done);
  // How long the kernel may keep `ino`'s attributes (the tree's last answer).
  double AttrTimeout(Ino ino) const;
  void ReadLink(Ino ino, Callback<std::string> done);

  void Open(Ino ino, int flags, Callback<OpenedFile> done);
  void Read(uint64_t fh, uint64_t offset, size_t size, Callback<ReadReply> done);
  void Release(uint64_t fh);

  void OpenDir(Ino ino, Callback<OpenedDir> done);
  // Up to `max` entries from telldir cookie `offset` ("." and ".." first).
  // Entries with entry.ino != 0 carry full attributes; the caller must call
  // CommitListed for those it actually sends, before replying.
  void ReadDir(uint64_t fh, uint64_t offset, size_t max, Callback<std::vector<DirListEntry>> done);
  void CommitListed(Ino ino);
  void ReleaseDir(uint64_t fh);

  // kNotFound for an absent attribute, kUnsupported for a namespace not kept.
  void GetXattr(Ino ino, std::string name, Callback<std::string> done);
  void ListXattr(Ino ino, Callback<std::vector<std::string>> done);
  // For the root: read-only only when every tree is.
  void StatFs(Ino ino, Callback<FsStats> done);

  // Writes, forwarded to the tree owning the inode (the root itself takes
  // none: kReadOnly). A rename across trees is kUnsupported (EXDEV).
  void SetAttr(Ino ino, SetAttrRequest changes, Callback<Attr> done);
  void Mknod(Ino parent, std::string name, uint32_t mode, uint64_t rdev, Callback<Entry> done);
  void Mkdir(Ino parent, std::string name, uint32_t mode, Callback<Entry> done);
  void Symlink(std::string target, Ino parent, std::string name, Callback<Entry> done);
  void Link(Ino ino, Ino new_parent, std::string new_name, Callback<Entry> done);
  void Unlink(Ino parent, std::string name, Callback<void> done);
  void Rmdir(Ino parent, std::string name, Callback<void> done);
  void Rename(Ino parent, std::string name, Ino new_parent, std::string new_name, unsigned flags,
              Callback<void> done);
  void Create(Ino parent, std::string name, uint32_t mode, int flags, Callback<CreatedFile> done);
  void Write(uint64_t fh, uint64_t offset, Bytes data, Callback<size_t> done);
  void SetXattr(Ino ino, std::string name, Bytes value, int flags, Callback<void> done);
  void RemoveXattr(Ino ino, std::string name, Callback<void> done);
  void Fsync(uint64_t fh, bool datasync, Callback<void> done);
  void FsyncDir(uint64_t fh, bool datasync, Callback<void> done);
  void Fallocate(uint64_t fh, int mode, uint64_t offset, uint64_t length, Callback<void> done);
  void Lseek(uint64_t fh, uint64_t offset, int whence, Callback<uint64_t> done);

  FilesystemStats stats() const;
  // True when some tree takes writes (the FUSE front then asks for the
  // kernel's writeback cache).
  bool writable() const;
  // Tree top directories are inodes 2.. in tree order.
  static constexpr Ino kFirstTreeIno = 2;

 private:
  struct OpenFileState {
    int tree = 0;
    TreeHandlePtr handle;
  };
  struct OpenDirState {
    Ino ino = 0;
    Ino parent = 0;
    int tree = -1;         // -1: the root, which lists the trees
    TreeHandlePtr handle;  // the tree's listing
  };
  // The tree and node an inode stands for (node null: the tree's top).
  struct Target {
    int tree = -1;  // -1: the root
    TreeNodePtr node;
  };

  Attr DirAttr(Ino ino) const;
  // The answer the kernel sees: the mount's owner and forced modes applied.
  Entry Present(Ino ino, const TreeEntry& entry) const;
  bool IsTreeTop(Ino ino) const { return ino >= kFirstTreeIno && ino < kFirstTreeIno + trees_.size(); }
  Result<Target> Resolve(Ino ino) const;
  // A tree's entry answer for (parent, name): remembered, counted, presented.
  void AnswerEntry(Ino parent, const std::string& name, int tree, Result<TreeEntry> entry,
                   const Callback<Entry>& done);
  // The entry-making writes: `call` asks the tree owning `parent`.
  void EntryWrite(Ino parent, std::string name, Callback<Entry> done,
                  const std::function<void(Tree&, const TreeNodePtr&, Callback<TreeEntry>)>& call);
  uint64_t TrackFile(OpenFileState* state);
  uint64_t TrackDir(OpenDirState* state);
  template <class T>
  Callback<T> Counted(Callback<T> done);

  std::vector<std::unique_ptr<Tree>> trees_;
  const FilesystemOptions options_;
  // Handles the kernel never released (a forced unmount), freed at the end.
  std::mutex handles_mu_;
  std::unordered_set<OpenFileState*> open_files_set_;  // GUARDED_BY(handles_mu_)
  std::unordered_set<OpenDirState*> open_dirs_;        // GUARDED_BY(handles_mu_)
  InodeTable inodes_;

  mutable std::atomic<uint64_t> lookups_{0};
  mutable std::atomic<uint64_t> reads_{0};
  mutable std::atomic<uint64_t> read_bytes_{0};
  mutable std::atomic<uint64_t> errors_{0};
  std::atomic<uint64_t> open_files_{0};
};

// Counts the errors a tree answers with.
template <class T>
Callback<T> Filesystem::Counted(Callback<T> done) {
  return [this, done = std::move(done)](Result<T> r) {
    if (!r) ++errors_;
    done(std::move(r));
  };
}

}  // namespace ipfsfs::fs

#endif  // IPFSFS_FS_FILESYSTEM_H_
