// Filesystem: the mount's logic without FUSE. Root shows one directory per
// Tree (ipfs/); below them each operation resolves through the Tree and
// answers a callback with plain structs (types.h), so tests drive it directly
// and fuse_adapter.cc only unpacks, calls one method and replies.
//
// Every operation is asynchronous: `done` runs exactly once, on the calling
// thread when the answer is at hand (remembered entry, cached block) or on a
// block layer thread later; no method blocks on the network. Lookup counts
// (InodeTable) are raised just before a positive entry answer is handed to
// `done`, as the kernel counts it once the reply is sent. Writes of any kind
// answer kReadOnly (EROFS). Thread-safe; the Trees outlive the Filesystem,
// and every block callback must have run before it is destroyed (destroy or
// drain the BlockGetter first: callbacks point into the Filesystem).
#ifndef IPFSFS_FS_FILESYSTEM_H_
#define IPFSFS_FS_FILESYSTEM_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_set>
#include <string>
#include <vector>

#include "base/result.h"
#include "fs/inode_table.h"
#include "fs/tree.h"
#include "fs/types.h"
#include "fs/warmer.h"
#include "resolver/directory_stream.h"
#include "resolver/file_reader.h"

namespace ipfsfs::fs {

struct FilesystemOptions {
  uint32_t uid = 0;  // owner shown for everything (--uid)
  uint32_t gid = 0;  // group shown for everything (--gid)
  // Permission bits for files and directories (--file-mode / --dir-mode);
  // unset: UnixFS mode when present, else 0444 / 0555.
  std::optional<uint32_t> file_mode;
  std::optional<uint32_t> dir_mode;
  // Forgotten entries remembered (names and attributes) beyond the kernel's.
  size_t max_remembered = 1'000'000;
  // Background fetches of listed children's root blocks.
  size_t warm_in_flight = 32;
  size_t warm_queue = 100'000;
  resolver::FileReaderOptions reader;
  resolver::DirectoryStreamOptions listing;
};

struct OpenedFile {
  uint64_t fh = 0;
  bool keep_cache = false;
};

struct OpenedDir {
  uint64_t fh = 0;
  bool cache_readdir = false;
};

struct FilesystemStats {
  uint64_t lookups = 0;
  uint64_t reads = 0;
  uint64_t read_bytes = 0;
  uint64_t errors = 0;
  uint64_t open_files = 0;
  uint64_t inodes = 0;
  uint64_t warm_in_flight = 0;
};

template <class T>
using Callback = std::function<void(Result<T>)>;

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
  // How long the kernel may keep `ino`'s attributes.
  double AttrTimeout(Ino ino) const;
  void ReadLink(Ino ino, Callback<std::string> done);

  // kReadOnly when `flags` ask for write access.
  void Open(Ino ino, int flags, Callback<OpenedFile> done);
  void Read(uint64_t fh, uint64_t offset, size_t size, Callback<std::vector<resolver::Slice>> done);
  void Release(uint64_t fh);

  void OpenDir(Ino ino, Callback<OpenedDir> done);
  // Up to `max` entries from telldir cookie `offset` ("." and ".." first).
  // Entries with entry.ino != 0 carry full attributes; the caller must call
  // CommitListed for those it actually sends, before replying.
  void ReadDir(uint64_t fh, uint64_t offset, size_t max, Callback<std::vector<DirListEntry>> done);
  void CommitListed(Ino ino);
  void ReleaseDir(uint64_t fh);

  // user.ipfs.cid, user.ipfs.codec, user.ipfs.size; kNotFound for others.
  void GetXattr(Ino ino, std::string name, Callback<std::string> done);
  void ListXattr(Ino ino, Callback<std::vector<std::string>> done);

  FilesystemStats stats() const;
  // Tree top directories are inodes 2.. in tree order.
  static constexpr Ino kFirstTreeIno = 2;

 private:
  struct OpenFileState;
  struct OpenDirState;

  Attr MakeAttr(Ino ino, const resolver::NodeInfo& info) const;
  Attr DirAttr(Ino ino) const;
  Entry MakeEntry(Ino ino, const resolver::NodeInfo& info, int tree) const;
  bool IsTreeTop(Ino ino) const { return ino >= kFirstTreeIno && ino < kFirstTreeIno + trees_.size(); }
  void ResolveIno(Ino ino, Callback<resolver::NodePtr> done);
  uint64_t TrackDir(OpenDirState* state);
  void AnswerLookup(Ino parent, const std::string& name, int tree, Result<resolver::NodePtr> node, bool top,
                    const Callback<Entry>& done);

  std::vector<std::unique_ptr<Tree>> trees_;
  const FilesystemOptions options_;
  // Handles the kernel never released (a forced unmount), freed at the end.
  std::mutex handles_mu_;
  std::unordered_set<OpenFileState*> open_files_set_;  // GUARDED_BY(handles_mu_)
  std::unordered_set<OpenDirState*> open_dirs_;        // GUARDED_BY(handles_mu_)
  InodeTable inodes_;
  Warmer warmer_;

  mutable std::atomic<uint64_t> lookups_{0};
  mutable std::atomic<uint64_t> reads_{0};
  mutable std::atomic<uint64_t> read_bytes_{0};
  mutable std::atomic<uint64_t> errors_{0};
  std::atomic<uint64_t> open_files_{0};
};

}  // namespace ipfsfs::fs

#endif  // IPFSFS_FS_FILESYSTEM_H_
