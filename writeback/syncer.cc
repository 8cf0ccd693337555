#include "writeback/syncer.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <memory>
#include <thread>

#include "blockcache/executor.h"
#include "ipld/multihash.h"
#include "writeback/directory_builder.h"
#include "writeback/file_builder.h"
#include "writeback/file_source.h"
#include "writeback/importer.h"
#include "writeback/staged_mark.h"

namespace ipfsfs::writeback {
namespace {

using internal::Metadata;

tl::unexpected<Error> PathErrno(const std::string& path, int err, const char* what = nullptr) {
  ErrorCode code = err == ENOENT || err == ENOTDIR ? ErrorCode::kNotFound : ErrorCode::kUnavailable;
  std::string why = what ? what : std::strerror(err);
  return MakeError(code, path + ": " + why);
}

int64_t Nanos(const timespec& t) { return static_cast<int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec; }

int64_t NowCoarse() {
  timespec t;
  ::clock_gettime(CLOCK_REALTIME_COARSE, &t);
  return Nanos(t);
}

std::string Join(const std::string& dir, const std::string& name) {
  if (dir.empty()) return name;
  return dir + "/" + name;
}

// Strict UTF-8 (no overlongs, no surrogates): paths and gateways need it.
bool IsUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t n;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c >> 5) == 6) {
      n = 1, cp = c & 0x1f;
    } else if ((c >> 4) == 14) {
      n = 2, cp = c & 0x0f;
    } else if ((c >> 3) == 30) {
      n = 3, cp = c & 0x07;
    } else {
      return false;
    }
    if (s.size() - i <= n) return false;
    for (size_t k = 1; k <= n; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc >> 6) != 2) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

const char* SpecialKind(mode_t mode) {
  if (S_ISFIFO(mode)) return "a fifo cannot be synced";
  if (S_ISSOCK(mode)) return "a socket cannot be synced";
  if (S_ISCHR(mode)) return "a character device cannot be synced";
  if (S_ISBLK(mode)) return "a block device cannot be synced";
  return "an unknown file type cannot be synced";
}

bool SameIdentity(const SyncEntry& e, const struct stat& st) {
  return e.size == static_cast<uint64_t>(st.st_size) && e.mtime_ns == Nanos(st.st_mtim) &&
         e.ctime_ns == Nanos(st.st_ctim) && e.ino == st.st_ino && e.mode == st.st_mode;
}

SyncEntry Identity(const struct stat& st) {
  SyncEntry e;
  e.size = static_cast<uint64_t>(st.st_size);
  e.mtime_ns = Nanos(st.st_mtim);
  e.ctime_ns = Nanos(st.st_ctim);
  e.ino = st.st_ino;
  e.mode = st.st_mode;
  return e;
}

}  // namespace

std::string OptionsFingerprint(const ImportOptions& o) {
  std::string f = "v1";
  auto add = [&](const std::string& k, const std::string& v) { f += ";" + k + "=" + v; };
  add("cid", std::to_string(o.cid_version));
  add("hash", std::to_string(o.hash));
  add("raw", o.raw_leaves ? (*o.raw_leaves ? "1" : "0") : "-");
  add("chunker", o.chunker);
  add("layout", o.layout == Layout::kTrickle ? "trickle" : "balanced");
  add("links", std::to_string(o.max_links));
  add("hamt", std::to_string(o.hamt_threshold) + "/" + std::to_string(static_cast<int>(o.hamt_estimate)) + "/" +
                  std::to_string(o.hamt_fanout));
  add("inline", o.inline_blocks ? std::to_string(o.inline_limit) : "-");
  add("pmode", o.preserve_mode ? "1" : "0");
  add("pmtime", o.preserve_mtime ? "1" : "0");
  add("mode", o.mode ? std::to_string(*o.mode) : "-");
  add("mtime", o.mtime ? std::to_string(*o.mtime) + "." + std::to_string(o.mtime_nsecs) : "-");
  return f;
}

namespace {

// A file's bytes, ended early when the sync is cancelled.
class CancellableSource : public ByteSource {
 public:
  CancellableSource(ByteSource& inner, const std::function<bool()>& cancelled) : inner_(inner), cancelled_(cancelled) {}
  Result<size_t> Read(std::span<std::byte> out) override {
    if (cancelled_ && cancelled_()) return MakeError(ErrorCode::kCancelled, "sync cancelled");
    return inner_.Read(out);
  }

 private:
  ByteSource& inner_;
  const std::function<bool()>& cancelled_;
};

// One sync's walk: the builders, the old index, the new one.
struct Walk {
  const ResolvedOptions& options;
  const SyncerOptions& syncer;
  const SyncHooks& hooks;
  const SyncIndex& old_index;
  FileBuilder& files;
  DirectoryBuilder& dirs;
  std::string scope;  // "" = everything
  SyncIndex index;
  SyncStats stats;
  std::vector<std::string> deferred;

  bool InScope(const std::string& rel) const {
    return scope.empty() || rel == scope || (rel.size() > scope.size() && rel.starts_with(scope + "/"));
  }
  // A strict ancestor of the scope: only the scope's side of it is examined.
  bool OnChain(const std::string& rel) const {
    return !scope.empty() && (rel.empty() || (scope.size() > rel.size() && scope.starts_with(rel + "/")));
  }
  // The last sync's names directly below `rel`.
  std::vector<std::string> OldChildren(const std::string& rel) const {
    std::vector<std::string> names;
    const std::string prefix = rel.empty() ? "" : rel + "/";
    for (auto it = old_index.lower_bound(prefix); it != old_index.end() && it->first.starts_with(prefix); ++it) {
      std::string_view name = std::string_view(it->first).substr(prefix.size());
      if (!name.empty() && name.find('/') == std::string_view::npos) names.emplace_back(name);
    }
    return names;
  }
  // Outside the scope: the last sync's subtree, as it was recorded.
  std::optional<DagRef> KeepOld(const std::string& rel) {
    const SyncEntry* old = Old(rel);
    if (!old) return std::nullopt;
    index[rel] = *old;
    const std::string prefix = rel + "/";
    for (auto it = old_index.lower_bound(prefix); it != old_index.end() && it->first.starts_with(prefix); ++it) {
      index.insert(*it);
    }
    ++stats.files_reused;
    return DagRef{old->cid, old->tsize, old->size};
  }

  const SyncEntry* Old(const std::string& rel) const {
    auto it = old_index.find(rel);
    return it == old_index.end() ? nullptr : &it->second;
  }

  // File times come from the coarse realtime clock: compare with the same.
  int64_t Now() const { return syncer.now ? syncer.now() : NowCoarse(); }

  bool Racy(const SyncEntry& e, int64_t read_at) const {
    if (syncer.racy_window_ns < 0) return false;
    return std::max(e.mtime_ns, e.ctime_ns) + syncer.racy_window_ns >= read_at;
  }

  // A snapshot of the open file: a FICLONE copy (an unnamed file in the same
  // directory) taken while its stat stayed the stat at open; nullptr when the
  // filesystem cannot clone or the file moved meanwhile.
  std::unique_ptr<FileSource> Clone(const std::string& path, FileSource& source, int src_fd) const {
    if (!syncer.use_clone) return nullptr;
    std::string dir = path.substr(0, path.rfind('/'));
    int tmp = ::open(dir.empty() ? "/" : dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (tmp < 0) return nullptr;
    struct stat after;
    if (::ioctl(tmp, FICLONE, src_fd) != 0 || ::fstat(src_fd, &after) != 0 || after.st_size != source.stat().st_size ||
        Nanos(after.st_mtim) != Nanos(source.stat().st_mtim) || Nanos(after.st_ctim) != Nanos(source.stat().st_ctim)) {
      ::close(tmp);
      return nullptr;
    }
    auto clone = FileSource::Adopt(tmp);
    return clone ? std::move(*clone) : nullptr;
  }

  // nullopt: deferred (changed under every read).
  Result<std::optional<DagRef>> ReadFile(const std::string& path, const std::string& rel, const Metadata& meta,
                                         SyncEntry& entry) {
    for (int attempt = 0; attempt < std::max(1, syncer.read_attempts); ++attempt) {
      if (hooks.before_read) hooks.before_read(path);
      if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));  // into the next clock tick
      const int64_t read_start = Now();
      auto source = FileSource::Open(path);
      if (!source) {
        if (source.error().code == ErrorCode::kNotFound) {
          return MakeError(ErrorCode::kNotFound, path + ": vanished during the sync");
        }
        return tl::unexpected(source.error().Wrap(path));
      }
      std::unique_ptr<FileSource> clone = Clone(path, **source, (*source)->fd());
      CancellableSource reader(clone ? static_cast<ByteSource&>(*clone) : static_cast<ByteSource&>(**source),
                               hooks.cancelled);
      auto ref = files.Build(reader, meta);
      if (!ref) return tl::unexpected(ref.error().Wrap(path));
      ++stats.files_read;
      stats.bytes_read += ref->size;
      if (hooks.progress) hooks.progress(stats);
      Status same = clone ? clone->CheckUnchanged() : (*source)->CheckUnchanged();
      // Without a snapshot, a write in the clock tick the read began would
      // leave mtime and ctime as they were: a file changed in that tick may be
      // torn, so it is read again later.
      const struct stat& st = (*source)->stat();
      const bool same_tick = !clone && std::max(Nanos(st.st_mtim), Nanos(st.st_ctim)) >= read_start;
      if (same && !same_tick) {
        entry = Identity(st);
        entry.racy = Racy(entry, Now());
        return std::optional<DagRef>(*ref);
      }
      if (::access(path.c_str(), F_OK) != 0 && errno == ENOENT) {
        return MakeError(ErrorCode::kNotFound, path + ": vanished during the sync");
      }
    }
    ++stats.deferred;
    deferred.push_back(rel);
    return std::optional<DagRef>();
  }

  // One entry below the root (rel != "") or the root. nullopt: deferred.
  Result<std::optional<DagRef>> Node(const std::string& path, const std::string& rel) {
    if (hooks.cancelled && hooks.cancelled()) return MakeError(ErrorCode::kCancelled, "sync cancelled");
    if (!InScope(rel) && !OnChain(rel)) return KeepOld(rel);
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) {
      // The scope (or a directory above it) was removed: it leaves the tree.
      if (errno == ENOENT && !rel.empty() && (rel == scope || OnChain(rel))) return std::optional<DagRef>();
      if (errno == ENOENT) return MakeError(ErrorCode::kNotFound, path + ": vanished during the sync");
      return PathErrno(path, errno);
    }
    const SyncEntry* old = Old(rel);
    Metadata meta = EntryMetadata(options.options, st);
    if (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) {
      if (old && !old->racy && SameIdentity(*old, st)) {
        ++stats.files_reused;
        index[rel] = *old;
        return std::optional<DagRef>(DagRef{old->cid, old->tsize, old->size});
      }
    }
    if (S_ISLNK(st.st_mode)) {
      std::string target(static_cast<size_t>(std::max<off_t>(st.st_size, 1)) + 1, '\0');
      ssize_t n = ::readlink(path.c_str(), target.data(), target.size());
      if (n < 0) return PathErrno(path, errno);
      if (static_cast<size_t>(n) >= target.size()) {
        return MakeError(ErrorCode::kUnavailable, path + ": symlink changed during the sync");
      }
      target.resize(static_cast<size_t>(n));
      meta.mode.reset();
      auto ref = dirs.Symlink(target, meta);
      if (!ref) return tl::unexpected(ref.error().Wrap(path));
      ++stats.files_read;
      SyncEntry e = Identity(st);
      e.cid = ref->cid;
      e.tsize = ref->tsize;
      e.racy = Racy(e, Now());
      index[rel] = e;
      return std::optional<DagRef>(*ref);
    }
    if (S_ISREG(st.st_mode)) {
      // A placeholder of `ipfsfs stage`: its bytes are not here; its CID is.
      if (auto mark = ReadStagedMark(path);
          mark && !mark->directory && mark->size == static_cast<uint64_t>(st.st_size)) {
        ++stats.files_reused;
        ++stats.placeholders;
        SyncEntry e = Identity(st);
        e.cid = mark->cid;
        e.tsize = mark->tsize;
        e.racy = Racy(e, Now());
        index[rel] = e;
        return std::optional<DagRef>(DagRef{mark->cid, mark->tsize, mark->size});
      }
      SyncEntry e;
      IPFSFS_ASSIGN_OR_RETURN(std::optional<DagRef> ref, ReadFile(path, rel, meta, e));
      if (!ref) {
        if (old) index[rel] = *old;  // its old stat differs: read at the next sync
        if (!old) return std::optional<DagRef>();
        return std::optional<DagRef>(DagRef{old->cid, old->tsize, old->size});
      }
      e.cid = ref->cid;
      e.tsize = ref->tsize;
      index[rel] = e;
      return ref;
    }
    if (S_ISDIR(st.st_mode)) return Directory(path, rel, st, meta);
    return MakeError(ErrorCode::kInvalidArgument, path + ": " + SpecialKind(st.st_mode));
  }

  Result<std::optional<DagRef>> Directory(const std::string& path, const std::string& rel, const struct stat& st,
                                          const Metadata& meta) {
    std::vector<std::string> names;
    if (OnChain(rel)) {
      names = OldChildren(rel);
      std::string below = scope.substr(rel.empty() ? 0 : rel.size() + 1);
      below = below.substr(0, below.find('/'));
      if (std::find(names.begin(), names.end(), below) == names.end()) names.push_back(below);
    } else {
      DIR* dir = ::opendir(path.c_str());
      if (!dir) {
        if (errno == ENOENT) return MakeError(ErrorCode::kNotFound, path + ": vanished during the sync");
        return PathErrno(path, errno);
      }
      errno = 0;
      while (dirent* d = ::readdir(dir)) {
        std::string_view name = d->d_name;
        if (name == "." || name == "..") continue;
        names.emplace_back(name);
      }
      int err = errno;
      ::closedir(dir);
      if (err != 0) return PathErrno(path, err);
    }
    std::sort(names.begin(), names.end());

    std::vector<DirEntry> entries;
    entries.reserve(names.size());
    // What decides the directory's block: its entries and its metadata.
    std::string digest_input;
    if (meta.mode) digest_input += "m" + std::to_string(*meta.mode) + ";";
    if (meta.mtime) {
      digest_input +=
          "t" + std::to_string(meta.mtime->seconds) + "." + std::to_string(meta.mtime->nanos.value_or(0)) + ";";
    }
    // A directory `ipfsfs stage` placed keeps its original CID while its
    // entries are what they were (StagedFingerprint).
    std::optional<StagedMark> staged = ReadStagedMark(path);
    if (staged && !staged->directory) staged.reset();
    std::vector<StagedChild> staged_children;
    for (std::string& name : names) {
      std::string child = Join(path, name);
      if (!IsUtf8(name)) {
        return MakeError(ErrorCode::kInvalidArgument, child + ": the name is not UTF-8; UnixFS paths cannot hold it");
      }
      IPFSFS_ASSIGN_OR_RETURN(std::optional<DagRef> ref, Node(child, Join(rel, name)));
      if (!ref) continue;
      if (staged) {
        StagedChild c{name, ref->cid, ref->tsize, {}};
        struct stat cst;
        if (::lstat(child.c_str(), &cst) == 0 && S_ISLNK(cst.st_mode)) {
          std::string target(PATH_MAX + 1, '\0');
          ssize_t n = ::readlink(child.c_str(), target.data(), target.size());
          if (n >= 0) {
            target.resize(static_cast<size_t>(n));
            c.cid.reset();
            c.symlink_target = std::move(target);
          }
        }
        staged_children.push_back(std::move(c));
      }
      Bytes cid = ref->cid.ToBytes();
      digest_input += std::to_string(name.size()) + ":" + name;
      digest_input.append(reinterpret_cast<const char*>(cid.data()), cid.size());
      digest_input += ";" + std::to_string(ref->tsize) + ";";
      entries.push_back(DirEntry{std::move(name), std::move(ref->cid), ref->tsize});
    }
    Bytes hash = ipld::Multihash::Sha256(AsBytes(digest_input)).digest();
    std::string digest(reinterpret_cast<const char*>(hash.data()), hash.size());
    const SyncEntry* old = Old(rel);
    SyncEntry e = Identity(st);
    e.digest = digest;
    if (old && old->digest == digest) {
      ++stats.dirs_reused;
      e.cid = old->cid;
      e.tsize = old->tsize;
      index[rel] = e;
      return std::optional<DagRef>(DagRef{e.cid, e.tsize, 0});
    }
    if (staged && StagedFingerprint(std::move(staged_children)) == staged->fingerprint) {
      ++stats.dirs_reused;
      e.cid = staged->cid;
      e.tsize = staged->tsize;
      index[rel] = e;
      return std::optional<DagRef>(DagRef{e.cid, e.tsize, 0});
    }
    auto ref = dirs.Build(std::move(entries), meta);
    if (!ref) return tl::unexpected(ref.error().Wrap(path));
    ++stats.dirs_built;
    e.cid = ref->cid;
    e.tsize = ref->tsize;
    index[rel] = e;
    return std::optional<DagRef>(*ref);
  }
};

}  // namespace

Status Syncer::FinishUnpin(const SyncHooks& hooks) {
  std::optional<ipld::Cid> old = state_.PendingUnpin();
  if (!old || !hooks.unpin) return OkStatus();
  if (*old != state_.Root()) {
    Status unpinned = hooks.unpin(*old);
    // Not pinned (any more): what the unpin was for.
    if (!unpinned && unpinned.error().code != ErrorCode::kNotFound) {
      return MakeError(unpinned.error().code,
                       "the previous root " + old->ToString() + " stays pinned: " + unpinned.error().message);
    }
  }
  return state_.ClearPendingUnpin();
}

Result<SyncResult> Syncer::Sync(const std::string& dir, const ImportOptions& import, BlockSink& sink,
                                const SyncHooks& hooks, const std::string& scope) {
  for (size_t pos = 0; pos <= scope.size() && !scope.empty();) {
    size_t end = std::min(scope.find('/', pos), scope.size());
    std::string_view part = std::string_view(scope).substr(pos, end - pos);
    if (part.empty() || part == "." || part == "..") {
      return MakeError(ErrorCode::kInvalidArgument, scope + ": not a path inside the staging directory");
    }
    pos = end + 1;
  }
  ImportOptions o = import;
  o.hidden = true;
  o.wrap = false;
  IPFSFS_ASSIGN_OR_RETURN(ResolvedOptions resolved, ResolveOptions(o));
  struct stat st;
  if (::lstat(dir.c_str(), &st) != 0) return PathErrno(dir, errno);
  if (!S_ISDIR(st.st_mode)) return MakeError(ErrorCode::kInvalidArgument, dir + ": not a directory");

  // A root replaced by a sync that was killed before it could unpin it.
  std::string warning;
  if (auto unpinned = FinishUnpin(hooks); !unpinned) warning = unpinned.error().message;
  const std::string fingerprint = OptionsFingerprint(o);
  unsigned threads = o.threads == 0 ? std::max(1u, std::thread::hardware_concurrency()) : o.threads;
  blockcache::WorkerPool pool(threads);
  FileBuilder files(resolved, sink, pool);
  DirectoryBuilder dirs(resolved, files.cid_maker(), sink);
  std::string root_path = dir;
  while (root_path.size() > 1 && root_path.back() == '/') root_path.pop_back();
  const SyncIndex& old_index = state_.Index(fingerprint);
  // A partial sync needs a whole one (with these options) to stand on.
  std::string effective_scope = old_index.count("") ? scope : "";
  Walk walk{resolved, options_, hooks, old_index, files, dirs, effective_scope, {}, {}, {}};
  auto root = walk.Node(root_path, "");
  pool.Shutdown();
  if (!root) return tl::unexpected(root.error());
  if (!*root) return MakeError(ErrorCode::kInternal, dir + ": the root was deferred");

  SyncResult result;
  result.root = (*root)->cid;
  result.stats = walk.stats;
  result.deferred = std::move(walk.deferred);
  std::optional<ipld::Cid> previous = state_.Root();
  result.changed = !previous || *previous != result.root;
  // Stored and pinned, then recorded, then the old root let go: a crash in
  // between leaves the old root current (and at worst both pinned).
  if (auto done = sink.Finish({result.root}); !done) return tl::unexpected(done.error().Wrap("storing the blocks"));
  const bool replaced = previous && *previous != result.root;
  IPFSFS_RETURN_IF_ERROR(
      state_.Commit(fingerprint, result.root, std::move(walk.index), replaced ? previous : std::nullopt));
  // The new root is current already: a failed unpin only keeps old blocks
  // (and is tried again by the next sync).
  result.warning = warning;
  if (auto unpinned = FinishUnpin(hooks); !unpinned) result.warning = unpinned.error().message;
  return result;
}

}  // namespace ipfsfs::writeback
