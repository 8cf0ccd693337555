#include "fs/stager.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <limits>
#include <mutex>
#include <vector>

#include "fs/errors.h"
#include "resolver/directory_stream.h"
#include "writeback/staged_mark.h"

namespace ipfsfs::fs {
namespace {

using resolver::NodeKind;
using resolver::NodePtr;

tl::unexpected<Error> Sys(const std::string& what, int errnum = errno) {
  return tl::unexpected<Error>(SystemError(errnum, what));
}

Result<NodePtr> Wait(const std::function<void(resolver::NodeCallback)>& ask) {
  auto promise = std::make_shared<std::promise<Result<NodePtr>>>();
  auto future = promise->get_future();
  ask([promise](Result<NodePtr> r) { promise->set_value(std::move(r)); });
  return future.get();
}

// Closes a descriptor at scope exit.
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

class Builder {
 public:
  Builder(resolver::Resolver& resolver, StageResult& result) : resolver_(resolver), result_(result) {}

  // Creates `name` in `dir_fd` for `node`; the child as its parent's fingerprint sees it.
  Result<writeback::StagedChild> Place(int dir_fd, const std::string& name, const NodePtr& node, uint64_t tsize,
                                       const std::string& shown) {
    const resolver::NodeInfo& info = node->info;
    writeback::StagedChild child{name, info.cid, tsize, {}};
    switch (info.kind) {
      case NodeKind::kSymlink:
        if (::symlinkat(info.symlink_target.c_str(), dir_fd, name.c_str()) != 0) return Sys(shown);
        ++result_.symlinks;
        child.cid.reset();
        child.symlink_target = info.symlink_target;
        return child;
      case NodeKind::kFile: {
        Fd fd{::openat(dir_fd, name.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600)};
        if (fd.fd < 0) return Sys(shown);
        writeback::StagedMark mark{info.cid, tsize, info.size, false, {}};
        const std::string text = writeback::EncodeStagedMark(mark);
        if (::ftruncate(fd.fd, static_cast<off_t>(info.size)) != 0) return Sys(shown);
        if (::fsetxattr(fd.fd, std::string(writeback::kStagedXattr).c_str(), text.data(), text.size(), 0) != 0) {
          return Sys(shown + ": the staging directory's filesystem must keep user xattrs");
        }
        if (::fchmod(fd.fd, info.mode ? (*info.mode & 07777) : 0644) != 0) return Sys(shown);
        IPFSFS_RETURN_IF_ERROR(SetMtime(fd.fd, info, shown));
        ++result_.files;
        result_.bytes += info.size;
        return child;
      }
      case NodeKind::kDirectory:
      case NodeKind::kHamtShard: {
        if (::mkdirat(dir_fd, name.c_str(), 0700) != 0) return Sys(shown);
        Fd fd{::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)};
        if (fd.fd < 0) return Sys(shown);
        ++depth_;
        auto children = Children(fd.fd, node, shown);
        --depth_;
        if (!children) return tl::unexpected(children.error());
        writeback::StagedMark mark{info.cid, tsize, 0, true, writeback::StagedFingerprint(std::move(*children))};
        const std::string text = writeback::EncodeStagedMark(mark);
        if (::fsetxattr(fd.fd, std::string(writeback::kStagedXattr).c_str(), text.data(), text.size(), 0) != 0) {
          return Sys(shown + ": the staging directory's filesystem must keep user xattrs");
        }
        const mode_t mode = info.mode ? (*info.mode & 07777) : 0755;
        // The top one is moved into place yet, which needs it writable: its
        // mode comes after the rename (and its mtime with it).
        if (depth_ == 0) {
          top_mode_ = mode;
          ++result_.directories;
          return child;
        }
        if (::fchmod(fd.fd, mode) != 0) return Sys(shown);
        IPFSFS_RETURN_IF_ERROR(SetMtime(fd.fd, info, shown));
        ++result_.directories;
        return child;
      }
    }
    return MakeError(ErrorCode::kInternal, shown + ": unknown node kind");
  }

 // The top directory's mode, for the caller to set once it is in place.
  std::optional<mode_t> top_mode() const { return top_mode_; }

  static Status SetMtime(int fd, const resolver::NodeInfo& info, const std::string& shown) {
    if (!info.mtime) return OkStatus();
    timespec ts[2] = {{0, UTIME_OMIT}, {info.mtime->seconds, static_cast<long>(info.mtime->nanos.value_or(0))}};
    if (::futimens(fd, ts) != 0) return Sys(shown);
    return OkStatus();
  }

  // Lists `dir` whole, fetches every child's root block at once, places them.
  Result<std::vector<writeback::StagedChild>> Children(int dir_fd, const NodePtr& dir, const std::string& shown) {
    IPFSFS_ASSIGN_OR_RETURN(auto stream, resolver::DirectoryStream::Open(resolver_, dir));
    auto filled = std::make_shared<std::promise<Status>>();
    auto wait = filled->get_future();
    stream->Fill(std::numeric_limits<size_t>::max(), [filled](Status s) { filled->set_value(std::move(s)); });
    if (Status s = wait.get(); !s) return tl::unexpected(s.error().Wrap(shown));
    std::vector<resolver::DirEntry> entries = stream->Entries(0, stream->available());

    struct Gather {
      std::mutex mu;
      std::condition_variable cv;
      size_t left = 0;
      std::vector<std::optional<Result<NodePtr>>> nodes;
    };
    auto g = std::make_shared<Gather>();
    g->left = entries.size();
    g->nodes.resize(entries.size());
    for (size_t i = 0; i < entries.size(); ++i) {
      // A raw block is a whole file whose size is its link's Tsize: its bytes
      // are the content, not needed to stage it.
      if (entries[i].cid.codec() == static_cast<uint64_t>(ipld::Codec::kRaw)) {
        auto raw = std::make_shared<resolver::Node>();
        raw->info.cid = entries[i].cid;
        raw->info.kind = NodeKind::kFile;
        raw->info.size = entries[i].tsize;
        raw->info.dag_size = entries[i].tsize;
        std::lock_guard lock(g->mu);
        g->nodes[i] = NodePtr(std::move(raw));
        --g->left;
        continue;
      }
      resolver_.GetNode(entries[i].cid, [g, i](Result<NodePtr> r) {
        std::lock_guard lock(g->mu);
        g->nodes[i] = std::move(r);
        if (--g->left == 0) g->cv.notify_all();
      });
    }
    {
      std::unique_lock lock(g->mu);
      g->cv.wait(lock, [&] { return g->left == 0; });
    }
    std::vector<writeback::StagedChild> children;
    children.reserve(entries.size());
    for (size_t i = 0; i < entries.size(); ++i) {
      const std::string child_shown = shown + "/" + entries[i].name;
      Result<NodePtr>& node = *g->nodes[i];
      if (!node) return tl::unexpected(node.error().Wrap(child_shown));
      IPFSFS_ASSIGN_OR_RETURN(auto child, Place(dir_fd, entries[i].name, *node, entries[i].tsize, child_shown));
      children.push_back(std::move(child));
    }
    return children;
  }


 private:
  resolver::Resolver& resolver_;
  StageResult& result_;
  int depth_ = 0;  // directories above the node being placed
  std::optional<mode_t> top_mode_;
};

Status CheckDest(const std::string& dest) {
  if (dest.empty() || dest.front() == '/') {
    return MakeError(ErrorCode::kInvalidArgument, "'" + dest + "' is not a path inside staging/");
  }
  for (size_t at = 0; at <= dest.size();) {
    size_t end = std::min(dest.find('/', at), dest.size());
    std::string_view part = std::string_view(dest).substr(at, end - at);
    if (part.empty() || part == "." || part == "..") {
      return MakeError(ErrorCode::kInvalidArgument, "'" + dest + "' is not a path inside staging/");
    }
    at = end + 1;
  }
  return OkStatus();
}

std::string UniqueName() {
  static std::atomic<uint64_t> counter{0};
  return ".ipfsfs-stage-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
}

}  // namespace

Result<StageResult> StageDag(resolver::Resolver& resolver, const std::string& staging_dir, const std::string& source,
                             const std::string& dest) {
  IPFSFS_RETURN_IF_ERROR(CheckDest(dest));
  const size_t slash = dest.rfind('/');
  const std::string parent_rel = slash == std::string::npos ? "" : dest.substr(0, slash);
  const std::string name = slash == std::string::npos ? dest : dest.substr(slash + 1);
  const std::string parent_path = parent_rel.empty() ? staging_dir : staging_dir + "/" + parent_rel;
  Fd parent{::open(parent_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (parent.fd < 0) {
    int err = errno;
    if (err == ENOENT || err == ENOTDIR) {
      return MakeError(ErrorCode::kNotFound, "staging/" + parent_rel + ": no such directory");
    }
    return Sys("staging/" + parent_rel, err);
  }
  struct stat st {};
  if (::fstatat(parent.fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    return Sys("staging/" + dest, EEXIST);
  }

  std::string path = source;
  if (path.rfind("/ipfs/", 0) != 0 && path.rfind("ipfs/", 0) != 0) path = "/ipfs/" + path;
  IPFSFS_ASSIGN_OR_RETURN(NodePtr root,
                          Wait([&](resolver::NodeCallback done) { resolver.ResolvePath(path, std::move(done)); }));

  // The temporary place: beside the staging dir when on its filesystem
  // (never seen through staging/), else a dotted name beside PATH.
  struct stat parent_st {};
  if (::fstat(parent.fd, &parent_st) != 0) return Sys("staging/" + parent_rel);
  const std::string side = staging_dir + ".stage";
  ::mkdir(side.c_str(), 0700);
  struct stat side_st {};
  Fd tmp_dir{-1};
  if (::stat(side.c_str(), &side_st) == 0 && side_st.st_dev == parent_st.st_dev) {
    tmp_dir.fd = ::open(side.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  }
  if (tmp_dir.fd < 0) tmp_dir.fd = ::dup(parent.fd);
  if (tmp_dir.fd < 0) return Sys("staging/" + parent_rel);
  const std::string tmp_name = UniqueName();
  auto remove_tmp = [&] {
    std::error_code ec;
    std::filesystem::remove_all("/proc/self/fd/" + std::to_string(tmp_dir.fd) + "/" + tmp_name, ec);
  };

  StageResult result;
  result.cid = root->info.cid;
  Builder builder(resolver, result);
  auto placed = builder.Place(tmp_dir.fd, tmp_name, root, root->info.dag_size, "staging/" + dest);
  if (!placed) {
    remove_tmp();
    return tl::unexpected(placed.error());
  }
  // On disk before it has a name: a crash after the rename never shows a
  // placeholder without its mark.
  if (::syncfs(tmp_dir.fd) != 0 ||
      ::renameat2(tmp_dir.fd, tmp_name.c_str(), parent.fd, name.c_str(), RENAME_NOREPLACE) != 0) {
    int err = errno;
    remove_tmp();
    return Sys("staging/" + dest, err);
  }
  if (auto mode = builder.top_mode()) {
    Fd top{::openat(parent.fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)};
    if (top.fd < 0 || ::fchmod(top.fd, *mode) != 0) return Sys("staging/" + dest);
    if (Status s = Builder::SetMtime(top.fd, root->info, "staging/" + dest); !s) return tl::unexpected(s.error());
  }
  ::fsync(parent.fd);
  return result;
}

void CleanStageLeftovers(const std::string& staging_dir) {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(staging_dir + ".stage", ec)) {
    if (e.path().filename().string().rfind(".ipfsfs-stage-", 0) == 0) std::filesystem::remove_all(e.path(), ec);
  }
}

}  // namespace ipfsfs::fs
