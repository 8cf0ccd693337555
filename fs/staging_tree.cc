#include "fs/staging_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string_view>
#include <utility>

#include "fs/errors.h"
#include "fs/internal/file_slices.h"
#include "fs/internal/placeholder_copy.h"
#include "writeback/staged_mark.h"

namespace ipfsfs::fs {

// An O_PATH descriptor of a node for the length of one operation.
class PathFd {
 public:
  PathFd(int fd, bool owned) : fd_(fd), owned_(owned) {}
  PathFd(PathFd&& o) noexcept : fd_(std::exchange(o.fd_, -1)), owned_(o.owned_) {}
  PathFd(const PathFd&) = delete;
  PathFd& operator=(const PathFd&) = delete;
  ~PathFd() {
    if (owned_ && fd_ >= 0) ::close(fd_);
  }
  operator int() const { return fd_; }

 private:
  int fd_;
  bool owned_;
};

namespace {

constexpr std::string_view kCidXattr = "user.ipfs.cid";

tl::unexpected<Error> Sys(const std::string& what, int errnum = errno) {
  return tl::unexpected<Error>(SystemError(errnum, what));
}

std::string ProcPath(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

// A staged object, identified by (st_dev, st_ino): a file handle
// (open_by_handle_at, so remembered nodes hold no descriptor) where the
// filesystem and privileges allow, else an O_PATH descriptor.
struct Node : TreeNode {
  Node(int f, const struct stat& st) : fd(f), dev(st.st_dev), ino(st.st_ino), type(st.st_mode & S_IFMT) {}
  ~Node() override {
    if (fd >= 0) ::close(fd);
  }
  bool SameIdentity(const TreeNode& newer) const override {
    const auto& n = static_cast<const Node&>(newer);
    return n.dev == dev && n.ino == ino;
  }
  std::string IdentityKey() const override { return std::to_string(dev) + ':' + std::to_string(ino); }
  int fd;              // -1 when `handle` is set
  std::string handle;  // a struct file_handle, as name_to_handle_at made it
  dev_t dev;
  ino_t ino;
  mode_t type;
};


struct FileHandle : TreeHandle {
  explicit FileHandle(int f) : fd(f) {}
  ~FileHandle() override { ::close(fd); }
  int fd;
};

// A placeholder open for reading: its bytes from the block cache while it
// stays one (a writer elsewhere may materialize it meanwhile: then `fd`).
struct PlaceholderFile : FileHandle {
  PlaceholderFile(int f, std::shared_ptr<resolver::FileReader> r) : FileHandle(f), reader(std::move(r)) {}
  const std::shared_ptr<resolver::FileReader> reader;
};

struct DirHandle : TreeHandle {
  DirHandle(int f, bool r) : fd(f), root(r) {}
  ~DirHandle() override { ::close(fd); }
  int fd;
  bool root;  // staging/ itself: its fsync is a sync
  std::mutex mu;
  std::vector<std::string> names;  // GUARDED_BY(mu): the listing read at offset 0
};

const Node& AsNode(const TreeNodePtr& node) { return static_cast<const Node&>(*node); }
int HandleFd(const TreeHandlePtr& h) { return static_cast<FileHandle&>(*h).fd; }

Attr ToAttr(const struct stat& st) {
  Attr a;
  a.mode = st.st_mode;
  a.size = static_cast<uint64_t>(st.st_size);
  a.blocks = static_cast<uint64_t>(st.st_blocks);
  a.nlink = static_cast<uint32_t>(st.st_nlink);
  a.uid = st.st_uid;
  a.gid = st.st_gid;
  a.mtime_sec = st.st_mtim.tv_sec;
  a.mtime_nsec = static_cast<uint32_t>(st.st_mtim.tv_nsec);
  a.atime_sec = st.st_atim.tv_sec;
  a.atime_nsec = static_cast<uint32_t>(st.st_atim.tv_nsec);
  a.ctime_sec = st.st_ctim.tv_sec;
  a.ctime_nsec = static_cast<uint32_t>(st.st_ctim.tv_nsec);
  a.rdev = st.st_rdev;
  return a;
}

void RaiseFdLimit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
}

bool UserXattr(const std::string& name) { return name.rfind("user.", 0) == 0; }
bool PrivateXattr(const std::string& name) { return name.rfind(writeback::kPrivateXattrPrefix, 0) == 0; }

// The staged mark of the object behind an O_PATH descriptor (or any path that
// follows to it), whatever its type.
std::optional<writeback::StagedMark> MarkAt(const std::string& path) {
  char buf[512];
  ssize_t n = ::getxattr(path.c_str(), std::string(writeback::kStagedXattr).c_str(), buf, sizeof(buf));
  if (n <= 0) return std::nullopt;
  auto mark = writeback::DecodeStagedMark(std::string_view(buf, static_cast<size_t>(n)));
  if (!mark) return std::nullopt;
  return std::move(*mark);
}

// A placeholder's mark: a regular file of the size its mark names.
std::optional<writeback::StagedMark> PlaceholderMark(int path_fd) {
  struct stat st {};
  if (::fstatat(path_fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) {
    return std::nullopt;
  }
  auto mark = MarkAt(ProcPath(path_fd));
  if (!mark || mark->directory || mark->size != static_cast<uint64_t>(st.st_size)) return std::nullopt;
  return mark;
}

// The same for an open (readable) descriptor: one fgetxattr per read.
bool StillPlaceholder(int fd) {
  struct stat st {};
  auto mark = ::fstat(fd, &st) == 0 ? writeback::ReadStagedMarkFd(fd) : std::nullopt;
  return mark && !mark->directory && mark->size == static_cast<uint64_t>(st.st_size);
}

}  // namespace

void CidOverlay::Set(const std::string& path, std::string cid) {
  std::lock_guard lock(mu_);
  cids_[path] = std::move(cid);
}

void CidOverlay::Clear() {
  std::lock_guard lock(mu_);
  cids_.clear();
}

std::optional<std::string> CidOverlay::Get(const std::string& path) const {
  std::lock_guard lock(mu_);
  auto it = cids_.find(path);
  if (it != cids_.end()) return it->second;
  if (source_) return source_(path);
  return std::nullopt;
}

Result<std::unique_ptr<StagingTree>> StagingTree::Open(const std::string& dir, StagingTreeOptions options) {
  char real[PATH_MAX];
  if (!::realpath(dir.c_str(), real)) return Sys(dir);
  int fd = ::open(real, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Sys(dir);
  RaiseFdLimit();
  auto tree = std::unique_ptr<StagingTree>(new StagingTree(real, fd, options));
  // File handles need CAP_DAC_READ_SEARCH and a filesystem that exports them.
  std::string buf(sizeof(file_handle) + MAX_HANDLE_SZ, '\0');
  auto* fh = reinterpret_cast<file_handle*>(buf.data());
  fh->handle_bytes = MAX_HANDLE_SZ;
  int mount_id = 0;
  if (::name_to_handle_at(fd, "", fh, &mount_id, AT_EMPTY_PATH) == 0) {
    int probe = ::open_by_handle_at(fd, fh, O_PATH | O_CLOEXEC);
    if (probe >= 0) {
      ::close(probe);
      tree->use_handles_ = true;
    }
  }
  return tree;
}

StagingTree::StagingTree(std::string dir, int root_fd, StagingTreeOptions options)
    : dir_(std::move(dir)), root_fd_(root_fd), options_(options) {}

StagingTree::~StagingTree() { ::close(root_fd_); }

PathFd StagingTree::NodeFd(const TreeNodePtr& node) const {
  if (!node) return PathFd(root_fd_, false);
  const Node& n = AsNode(node);
  if (n.fd >= 0) return PathFd(n.fd, false);
  auto* fh = reinterpret_cast<file_handle*>(const_cast<char*>(n.handle.data()));
  // ESTALE when the object is gone for good: EBADF follows on use.
  return PathFd(::open_by_handle_at(root_fd_, fh, O_PATH | O_CLOEXEC), true);
}

PathFd StagingTree::DirFd(const TreeNodePtr& dir) const { return NodeFd(dir); }

std::optional<Attr> StagingTree::TopAttr() const {
  struct stat st {};
  if (::fstat(root_fd_, &st) != 0) return std::nullopt;
  return ToAttr(st);
}

TreeEntry StagingTree::FromStat(const struct stat& st, TreeNodePtr node) const {
  TreeEntry e;
  e.node = std::move(node);
  e.attr = ToAttr(st);
  e.entry_timeout = options_.entry_timeout;
  e.attr_timeout = options_.attr_timeout;
  e.own_owner = true;
  return e;
}

Result<TreeEntry> StagingTree::EntryOf(int path_fd) const {
  struct stat st {};
  if (::fstatat(path_fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) != 0) {
    int err = errno;
    ::close(path_fd);
    return Sys("stat", err);
  }
  auto node = std::make_shared<Node>(path_fd, st);
  // Directories keep their descriptor: every lookup and create in them uses
  // it, and they are few beside the files.
  if (use_handles_ && !S_ISDIR(st.st_mode)) {
    std::string buf(sizeof(file_handle) + MAX_HANDLE_SZ, '\0');
    auto* fh = reinterpret_cast<file_handle*>(buf.data());
    fh->handle_bytes = MAX_HANDLE_SZ;
    int mount_id = 0;
    if (::name_to_handle_at(path_fd, "", fh, &mount_id, AT_EMPTY_PATH) == 0) {
      buf.resize(sizeof(file_handle) + fh->handle_bytes);
      node->handle = std::move(buf);
      ::close(path_fd);
      node->fd = -1;
    }
  }
  return FromStat(st, std::move(node));
}

Result<TreeEntry> StagingTree::Entry(int dir_fd, const std::string& name) const {
  int fd = ::openat(dir_fd, name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return Sys(name);
  return EntryOf(fd);
}

void StagingTree::ChownToCaller(int dir_fd, const std::string& name) const {
  const Caller* caller = CurrentCaller();
  if (!caller || ::geteuid() != 0 || (caller->uid == 0 && caller->gid == 0)) return;
  struct stat parent {};
  bool inherit_gid = ::fstat(dir_fd, &parent) == 0 && (parent.st_mode & S_ISGID);
  ::fchownat(dir_fd, name.c_str(), caller->uid, inherit_gid ? static_cast<gid_t>(-1) : caller->gid,
             AT_SYMLINK_NOFOLLOW);
}

std::string StagingTree::RelativePath(const TreeNodePtr& node) const {
  if (!node) return "";
  char buf[PATH_MAX];
  PathFd fd = NodeFd(node);
  ssize_t n = ::readlink(ProcPath(fd).c_str(), buf, sizeof(buf));
  if (n <= 0) return "";
  std::string path(buf, static_cast<size_t>(n));
  if (path.rfind(dir_ + "/", 0) != 0) return path;
  return path.substr(dir_.size() + 1);
}

void StagingTree::Lookup(const TreeNodePtr& dir, std::string name, Callback<TreeEntry> done) {
  auto entry = Entry(DirFd(dir), name);
  if (!entry && entry.error().sys_errno == ENOENT) return done(TreeEntry{});  // negative, not cached
  done(std::move(entry));
}

void StagingTree::GetAttr(const TreeNodePtr& node, const TreeEntry&, Callback<TreeEntry> done) {
  struct stat st {};
  PathFd fd = NodeFd(node);
  if (::fstatat(fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) != 0) return done(Sys("stat"));
  done(FromStat(st, node));
}

void StagingTree::ReadLink(const TreeNodePtr& node, Callback<std::string> done) {
  char buf[PATH_MAX + 1];
  PathFd fd = NodeFd(node);
  ssize_t n = ::readlinkat(fd, "", buf, sizeof(buf));
  if (n < 0) return done(Sys("readlink"));
  done(std::string(buf, static_cast<size_t>(n)));
}

namespace {
// The kernel computes every write's offset (appends included: writes come
// only through this mount) and, with the writeback cache, reads pages of
// write-only files: descriptors are opened read-write and without O_APPEND,
// as passthrough_ll does.
int OpenFlags(int flags) {
  flags &= ~(O_CREAT | O_EXCL | O_NOCTTY | O_NOFOLLOW | O_APPEND);
  if ((flags & O_ACCMODE) == O_WRONLY) flags = (flags & ~O_ACCMODE) | O_RDWR;
  return flags | O_CLOEXEC;
}
}  // namespace

void StagingTree::Open(const TreeNodePtr& node, int flags, Callback<TreeOpened> done) {
  if (AsNode(node).type == S_IFREG) {
    PathFd node_fd = NodeFd(node);
    if (auto mark = PlaceholderMark(node_fd)) {
      if ((flags & O_ACCMODE) != O_RDONLY && (flags & O_TRUNC)) {
        // Nothing of the old bytes stays: no fetch. The open's truncate
        // comes before the mark goes (a crash in between leaves an empty
        // file, its mark's size no longer its own).
        return AfterCopy(node, [this, node, flags, done = std::move(done)](Status) mutable {
          OpenLocal(node, flags, [done = std::move(done)](Result<TreeOpened> opened) {
            if (opened) ::fremovexattr(HandleFd(opened->handle), std::string(writeback::kStagedXattr).c_str());
            done(std::move(opened));
          });
        });
      }
      if ((flags & O_ACCMODE) != O_RDONLY) {
        // Copy-on-write: the bytes are local before any write can land.
        return Materialize(node, [this, node, flags, done = std::move(done)](Status s) mutable {
          if (!s) return done(tl::unexpected(s.error()));
          OpenLocal(node, flags, std::move(done));
        });
      }
      int fd = ::open(ProcPath(node_fd).c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) return done(Sys("open"));
      return OpenReader(mark->cid, [fd, done = std::move(done)](Result<std::shared_ptr<resolver::FileReader>> r) {
        if (!r) {
          ::close(fd);
          return done(tl::unexpected(r.error()));
        }
        done(TreeOpened{std::make_shared<PlaceholderFile>(fd, std::move(*r)), true});
      });
    }
  }
  OpenLocal(node, flags, std::move(done));
}

void StagingTree::OpenReader(const ipld::Cid& cid,
                             std::function<void(Result<std::shared_ptr<resolver::FileReader>>)> done) {
  if (!resolver_) return done(MakeError(ErrorCode::kUnavailable, "staged " + cid.ToString() + ": no block source"));
  resolver::Resolver* resolver = resolver_;
  resolver_->GetNode(
      cid, [resolver, options = reader_options_, cid, done = std::move(done)](Result<resolver::NodePtr> node) {
        if (!node) return done(tl::unexpected(node.error().Wrap("staged " + cid.ToString())));
        done(resolver::FileReader::Open(*resolver, std::move(*node), options));
      });
}

void StagingTree::AfterCopy(const TreeNodePtr& node, std::function<void(Status)> then) {
  {
    std::lock_guard lock(materializing_mu_);
    auto it = materializing_.find(node->IdentityKey());
    if (it != materializing_.end()) {
      it->second.push_back(std::move(then));
      return;
    }
  }
  then(OkStatus());
}

void StagingTree::Materialize(const TreeNodePtr& node, std::function<void(Status)> then) {
  const std::string key = node->IdentityKey();
  {
    std::lock_guard lock(materializing_mu_);
    auto [it, first] = materializing_.try_emplace(key);
    it->second.push_back(std::move(then));
    if (!first) return;  // a copy is running: wait for it
  }
  auto finish = [this, key](Status s) {
    std::vector<std::function<void(Status)>> waiters;
    {
      std::lock_guard lock(materializing_mu_);
      auto it = materializing_.find(key);
      waiters = std::move(it->second);
      materializing_.erase(it);
    }
    for (auto& w : waiters) w(s);
  };
  PathFd node_fd = NodeFd(node);
  auto mark = PlaceholderMark(node_fd);
  if (!mark) return finish(OkStatus());  // materialized meanwhile
  int fd = ::open(ProcPath(node_fd).c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return finish(Sys("materialize"));
  OpenReader(mark->cid, [fd, finish](Result<std::shared_ptr<resolver::FileReader>> r) {
    if (!r) {
      ::close(fd);
      return finish(tl::unexpected(r.error()));
    }
    internal::CopyPlaceholder(std::move(*r), fd, finish);
  });
}

void StagingTree::OpenLocal(const TreeNodePtr& node, int flags, Callback<TreeOpened> done) {
  PathFd node_fd = NodeFd(node);
  std::string path = ProcPath(node_fd);
  int fd = ::open(path.c_str(), OpenFlags(flags));
  if (fd < 0 && errno == EACCES) fd = ::open(path.c_str(), (OpenFlags(flags) & ~O_ACCMODE) | (flags & O_ACCMODE));
  if (fd < 0) return done(Sys("open"));
  // Files change only through this mount, whose page cache then holds them:
  // what the kernel kept is still the file (the backing dir is not to be
  // written behind the mount's back).
  done(TreeOpened{std::make_shared<FileHandle>(fd), true});
}

void StagingTree::Read(const TreeHandlePtr& file, uint64_t offset, size_t size, Callback<ReadReply> done) {
  if (auto* placeholder = dynamic_cast<PlaceholderFile*>(file.get());
      placeholder && StillPlaceholder(placeholder->fd)) {
    std::shared_ptr<resolver::FileReader> reader = placeholder->reader;
    return reader->Read(offset, size, [reader, offset, done = std::move(done)](Result<std::vector<resolver::Slice>> r) {
      if (!r) {
        return done(tl::unexpected(
            r.error().Wrap("read staged " + reader->root()->info.cid.ToString() + " at " + std::to_string(offset))));
      }
      done(ToReadReply(*r));
    });
  }
  ReadReply reply;
  reply.slices.push_back(ReadSlice{file, nullptr, size, HandleFd(file), offset});
  done(std::move(reply));
}

void StagingTree::OpenDir(const TreeNodePtr& dir, Callback<TreeOpened> done) {
  PathFd dir_fd = NodeFd(dir);
  int fd = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return done(Sys("opendir"));
  done(TreeOpened{std::make_shared<DirHandle>(fd, !dir), false});
}

void StagingTree::ReadDir(const TreeHandlePtr& handle, uint64_t first, size_t max,
                          Callback<std::vector<TreeDirEntry>> done) {
  auto& dir = static_cast<DirHandle&>(*handle);
  std::vector<std::string> names;
  {
    std::lock_guard lock(dir.mu);
    if (first == 0) {
      // Read anew at offset 0, so a rewinddir sees what changed meanwhile.
      dir.names.clear();
      int fd = ::dup(dir.fd);
      DIR* d = fd >= 0 ? ::fdopendir(fd) : nullptr;
      if (!d) {
        if (fd >= 0) ::close(fd);
        return done(Sys("readdir"));
      }
      ::rewinddir(d);
      while (dirent* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n != "." && n != "..") dir.names.push_back(std::move(n));
      }
      ::closedir(d);
    }
    for (size_t i = first; i < dir.names.size() && names.size() < max; ++i) names.push_back(dir.names[i]);
  }
  std::vector<TreeDirEntry> out;
  out.reserve(names.size());
  for (auto& n : names) {
    // Whole entries with fresh attributes: a remembered answer would give
    // readdirplus a stale size.
    auto entry = Entry(dir.fd, n);
    if (!entry) continue;  // removed since the listing was read
    TreeDirEntry e{std::move(n), entry->attr.mode & S_IFMT, std::nullopt};
    e.entry = std::move(*entry);
    out.push_back(std::move(e));
  }
  done(std::move(out));
}

void StagingTree::GetXattr(const TreeNodePtr& node, std::string name, Callback<std::string> done) {
  if (name == kCidXattr) {
    // A placeholder's CID is its mark's; a staged directory's until a sync
    // names it.
    std::optional<writeback::StagedMark> mark;
    if (node) {
      PathFd node_fd = NodeFd(node);
      mark = AsNode(node).type == S_IFREG   ? PlaceholderMark(node_fd)
             : AsNode(node).type == S_IFDIR ? MarkAt(ProcPath(node_fd))
                                            : std::nullopt;
    }
    if (mark && !mark->directory) return done(mark->cid.ToString());
    auto cid = cids_.Get(RelativePath(node));
    if (!cid && mark) cid = mark->cid.ToString();
    if (!cid) return done(Sys(name, ENODATA));
    return done(*cid);
  }
  if (!UserXattr(name)) return done(Sys(name, EOPNOTSUPP));
  if (PrivateXattr(name)) return done(Sys(name, ENODATA));
  PathFd node_fd = NodeFd(node);
  std::string path = node ? ProcPath(node_fd) : dir_;
  for (int attempt = 0; attempt < 3; ++attempt) {
    ssize_t size = ::getxattr(path.c_str(), name.c_str(), nullptr, 0);
    if (size < 0) return done(Sys(name));
    std::string value(static_cast<size_t>(size), '\0');
    ssize_t n = ::getxattr(path.c_str(), name.c_str(), value.data(), value.size());
    if (n >= 0) {
      value.resize(static_cast<size_t>(n));
      return done(std::move(value));
    }
    if (errno != ERANGE) return done(Sys(name));
  }
  done(Sys(name, ERANGE));
}

void StagingTree::ListXattr(const TreeNodePtr& node, Callback<std::vector<std::string>> done) {
  PathFd node_fd = NodeFd(node);
  std::string path = node ? ProcPath(node_fd) : dir_;
  std::vector<std::string> names;
  bool staged = false;
  ssize_t size = ::listxattr(path.c_str(), nullptr, 0);
  if (size < 0) return done(Sys("listxattr"));
  std::string list(static_cast<size_t>(size), '\0');
  ssize_t n = size > 0 ? ::listxattr(path.c_str(), list.data(), list.size()) : 0;
  if (n < 0) return done(Sys("listxattr"));
  for (size_t at = 0; at < static_cast<size_t>(n);) {
    std::string one(list.c_str() + at);
    at += one.size() + 1;
    if (PrivateXattr(one)) {
      if (one == writeback::kStagedXattr) staged = true;
      continue;
    }
    if (!one.empty()) names.push_back(std::move(one));
  }
  if (staged || cids_.Get(RelativePath(node))) names.emplace_back(kCidXattr);
  done(std::move(names));
}

void StagingTree::StatFs(Callback<FsStats> done) {
  struct statvfs st {};
  if (::fstatvfs(root_fd_, &st) != 0) return done(Sys("statfs"));
  FsStats s;
  s.block_size = st.f_bsize;
  s.fragment_size = st.f_frsize;
  s.blocks = st.f_blocks;
  s.blocks_free = st.f_bfree;
  s.blocks_available = st.f_bavail;
  s.files = st.f_files;
  s.files_free = st.f_ffree;
  s.name_max = static_cast<uint32_t>(st.f_namemax);
  s.read_only = (st.f_flag & ST_RDONLY) != 0;
  done(s);
}

void StagingTree::SetAttr(const TreeNodePtr& node, const SetAttrRequest& c, Callback<TreeEntry> done) {
  if (c.size && node && AsNode(node).type == S_IFREG) {
    PathFd node_fd = NodeFd(node);
    if (PlaceholderMark(node_fd)) {
      if (*c.size == 0) {
        // Nothing of the old bytes stays: no fetch (once a copy running
        // for another opener is done). The size decides before the mark
        // goes (a crash in between leaves an empty file).
        return AfterCopy(node, [this, node, c, done = std::move(done)](Status) mutable {
          PathFd fd = NodeFd(node);
          if (PlaceholderMark(fd)) {
            if (::truncate(ProcPath(fd).c_str(), 0) != 0) return done(Sys("truncate"));
            ::removexattr(ProcPath(fd).c_str(), std::string(writeback::kStagedXattr).c_str());
          }
          SetAttrNow(node, c, std::move(done));
        });
      } else {
        return Materialize(node, [this, node, c, done = std::move(done)](Status s) mutable {
          if (!s) return done(tl::unexpected(s.error()));
          SetAttrNow(node, c, std::move(done));
        });
      }
    }
  }
  SetAttrNow(node, c, std::move(done));
}

void StagingTree::SetAttrNow(const TreeNodePtr& node, const SetAttrRequest& c, Callback<TreeEntry> done) {
  Changed();
  const mode_t type = node ? AsNode(node).type : S_IFDIR;  // null: staging/ itself
  PathFd node_fd = NodeFd(node);
  std::string path = ProcPath(node_fd);
  if (c.mode && type != S_IFLNK && ::chmod(path.c_str(), *c.mode & 07777) != 0) return done(Sys("chmod"));
  if (c.uid || c.gid) {
    uid_t uid = c.uid ? *c.uid : static_cast<uid_t>(-1);
    gid_t gid = c.gid ? *c.gid : static_cast<gid_t>(-1);
    if (::fchownat(node_fd, "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) != 0) return done(Sys("chown"));
  }
  if (c.size && ::truncate(path.c_str(), static_cast<off_t>(*c.size)) != 0) return done(Sys("truncate"));
  if (c.mtime_sec || c.atime_sec) {
    timespec ts[2];
    ts[0] = c.atime_sec ? timespec{*c.atime_sec, c.atime_nsec} : timespec{0, UTIME_OMIT};
    ts[1] = c.mtime_sec ? timespec{*c.mtime_sec, c.mtime_nsec} : timespec{0, UTIME_OMIT};
    int rc;
    if (type == S_IFLNK) {
      // A symlink's own times: through its path (the magic link would follow it).
      char buf[PATH_MAX];
      ssize_t len = ::readlink(path.c_str(), buf, sizeof(buf) - 1);
      if (len < 0) return done(Sys("utimens"));
      buf[len] = '\0';
      rc = ::utimensat(AT_FDCWD, buf, ts, AT_SYMLINK_NOFOLLOW);
    } else {
      rc = ::utimensat(AT_FDCWD, path.c_str(), ts, 0);
    }
    if (rc != 0) return done(Sys("utimens"));
  }
  GetAttr(node, TreeEntry{}, std::move(done));
}

namespace {
// A new entry's mode as asked: the daemon's own umask must not apply (the
// kernel applied the caller's already).
void ExactMode(int dir_fd, const std::string& name, uint32_t mode) {
  struct stat st {};
  if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || S_ISLNK(st.st_mode)) return;
  if ((st.st_mode & 0777) != (mode & 0777)) ::fchmodat(dir_fd, name.c_str(), (st.st_mode & 07000) | (mode & 0777), 0);
}
}  // namespace

void StagingTree::Mknod(const TreeNodePtr& dir, std::string name, uint32_t mode, uint64_t rdev,
                        Callback<TreeEntry> done) {
  Changed();
  PathFd dfd = DirFd(dir);
  if (::mknodat(dfd, name.c_str(), mode, static_cast<dev_t>(rdev)) != 0) return done(Sys(name));
  ExactMode(dfd, name, mode);
  ChownToCaller(dfd, name);
  done(Entry(dfd, name));
}

void StagingTree::Mkdir(const TreeNodePtr& dir, std::string name, uint32_t mode, Callback<TreeEntry> done) {
  Changed();
  PathFd dfd = DirFd(dir);
  if (::mkdirat(dfd, name.c_str(), mode) != 0) return done(Sys(name));
  ExactMode(dfd, name, mode);
  ChownToCaller(dfd, name);
  done(Entry(dfd, name));
}

void StagingTree::Symlink(const TreeNodePtr& dir, std::string name, std::string target, Callback<TreeEntry> done) {
  Changed();
  PathFd dfd = DirFd(dir);
  if (::symlinkat(target.c_str(), dfd, name.c_str()) != 0) return done(Sys(name));
  ChownToCaller(dfd, name);
  done(Entry(dfd, name));
}

void StagingTree::Link(const TreeNodePtr& node, const TreeNodePtr& dir, std::string name, Callback<TreeEntry> done) {
  Changed();
  PathFd dfd = DirFd(dir);
  PathFd node_fd = NodeFd(node);
  if (::linkat(AT_FDCWD, ProcPath(node_fd).c_str(), dfd, name.c_str(), AT_SYMLINK_FOLLOW) != 0) {
    return done(Sys(name));
  }
  done(Entry(dfd, name));
}

void StagingTree::Unlink(const TreeNodePtr& dir, std::string name, Callback<void> done) {
  Changed();
  if (::unlinkat(DirFd(dir), name.c_str(), 0) != 0) return done(Sys(name));
  done(OkStatus());
}

void StagingTree::Rmdir(const TreeNodePtr& dir, std::string name, Callback<void> done) {
  Changed();
  if (::unlinkat(DirFd(dir), name.c_str(), AT_REMOVEDIR) != 0) return done(Sys(name));
  done(OkStatus());
}

void StagingTree::Rename(const TreeNodePtr& dir, std::string name, const TreeNodePtr& new_dir, std::string new_name,
                         unsigned flags, Callback<void> done) {
  Changed();
  if (::renameat2(DirFd(dir), name.c_str(), DirFd(new_dir), new_name.c_str(), flags) != 0) return done(Sys(name));
  done(OkStatus());
}

void StagingTree::Create(const TreeNodePtr& dir, std::string name, uint32_t mode, int flags,
                         Callback<std::pair<TreeEntry, TreeOpened>> done) {
  Changed();
  PathFd dfd = DirFd(dir);
  int fd = ::openat(dfd, name.c_str(), OpenFlags(flags) | O_CREAT | (flags & O_EXCL), mode);
  if (fd < 0 && errno == EACCES) {
    fd = ::openat(dfd, name.c_str(), (OpenFlags(flags) & ~O_ACCMODE) | (flags & O_ACCMODE) | O_CREAT | (flags & O_EXCL), mode);
  }
  if (fd < 0) return done(Sys(name));
  auto handle = std::make_shared<FileHandle>(fd);
  ExactMode(dfd, name, mode);
  ChownToCaller(dfd, name);
  int path_fd = ::open(ProcPath(fd).c_str(), O_PATH | O_CLOEXEC);
  if (path_fd < 0) return done(Sys(name));
  auto entry = EntryOf(path_fd);
  if (!entry) return done(tl::unexpected(std::move(entry).error()));
  done(std::make_pair(std::move(*entry), TreeOpened{std::move(handle), false}));
}

void StagingTree::Write(const TreeHandlePtr& file, uint64_t offset, Bytes data, Callback<size_t> done) {
  Changed();
  ssize_t n = ::pwrite(HandleFd(file), data.data(), data.size(), static_cast<off_t>(offset));
  if (n < 0) return done(Sys("write"));
  done(static_cast<size_t>(n));
}

void StagingTree::SetXattr(const TreeNodePtr& node, std::string name, Bytes value, int flags, Callback<void> done) {
  Changed();
  if (name == kCidXattr) return done(Sys(name, EPERM));  // set by sync alone
  if (!UserXattr(name)) return done(Sys(name, EOPNOTSUPP));
  if (PrivateXattr(name)) return done(Sys(name, EPERM));
  PathFd node_fd = NodeFd(node);
  std::string path = node ? ProcPath(node_fd) : dir_;
  if (::setxattr(path.c_str(), name.c_str(), value.data(), value.size(), flags) != 0) return done(Sys(name));
  done(OkStatus());
}

void StagingTree::RemoveXattr(const TreeNodePtr& node, std::string name, Callback<void> done) {
  Changed();
  if (name == kCidXattr) return done(Sys(name, EPERM));
  if (!UserXattr(name)) return done(Sys(name, EOPNOTSUPP));
  if (PrivateXattr(name)) return done(Sys(name, EPERM));
  PathFd node_fd = NodeFd(node);
  std::string path = node ? ProcPath(node_fd) : dir_;
  if (::removexattr(path.c_str(), name.c_str()) != 0) return done(Sys(name));
  done(OkStatus());
}

void StagingTree::Fsync(const TreeHandlePtr& file, bool datasync, Callback<void> done) {
  int fd = HandleFd(file);
  if ((datasync ? ::fdatasync(fd) : ::fsync(fd)) != 0) return done(Sys("fsync"));
  done(OkStatus());
}

void StagingTree::FsyncDir(const TreeHandlePtr& dir, bool datasync, Callback<void> done) {
  int fd = static_cast<DirHandle&>(*dir).fd;
  if ((datasync ? ::fdatasync(fd) : ::fsync(fd)) != 0) return done(Sys("fsyncdir"));
  // fsync of staging/ itself is a sync (issue 15): it blocks this worker
  // as a disk fsync would; the Syncer reads the backing files, not the mount.
  if (static_cast<DirHandle&>(*dir).root && hooks_.sync_all) return done(hooks_.sync_all());
  done(OkStatus());
}

void StagingTree::Fallocate(const TreeHandlePtr& file, int mode, uint64_t offset, uint64_t length,
                            Callback<void> done) {
  Changed();
  if (::fallocate(HandleFd(file), mode, static_cast<off_t>(offset), static_cast<off_t>(length)) != 0) {
    return done(Sys("fallocate"));
  }
  done(OkStatus());
}

void StagingTree::Lseek(const TreeHandlePtr& file, uint64_t offset, int whence, Callback<uint64_t> done) {
  // A placeholder is sparse on disk, not in content: all data, no hole
  // (cp looks for holes with SEEK_DATA and SEEK_HOLE).
  if (auto* p = dynamic_cast<PlaceholderFile*>(file.get());
      p && (whence == SEEK_DATA || whence == SEEK_HOLE) && StillPlaceholder(p->fd)) {
    const uint64_t size = p->reader->size();
    if (offset >= size) return done(Sys("lseek", ENXIO));
    return done(whence == SEEK_DATA ? offset : size);
  }
  off_t at = ::lseek(HandleFd(file), static_cast<off_t>(offset), whence);
  if (at < 0) return done(Sys("lseek"));
  done(static_cast<uint64_t>(at));
}

}  // namespace ipfsfs::fs
