#include "writeback/importer.h"

#include <dirent.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <set>
#include <thread>

#include "ipld/hamt.h"
#include "writeback/file_source.h"

namespace ipfsfs::writeback {
namespace {

using internal::Metadata;

tl::unexpected<Error> PathError(const std::string& path, const Error& e) {
  return tl::unexpected<Error>(e.Wrap(path));
}

tl::unexpected<Error> PathErrno(const std::string& path, int err) {
  ErrorCode code = err == ENOENT || err == ENOTDIR ? ErrorCode::kNotFound : ErrorCode::kUnavailable;
  return MakeError(code, path + ": " + std::strerror(err));
}

const char* SpecialKind(mode_t mode) {
  if (S_ISFIFO(mode)) return "fifo";
  if (S_ISSOCK(mode)) return "socket";
  if (S_ISCHR(mode)) return "character device";
  if (S_ISBLK(mode)) return "block device";
  return "unknown file type";
}

Result<std::string> ReadLink(const std::string& path, size_t hint) {
  std::string target(std::max<size_t>(hint, 64) + 1, '\0');
  while (true) {
    ssize_t n = ::readlink(path.c_str(), target.data(), target.size());
    if (n < 0) return PathErrno(path, errno);
    if (static_cast<size_t>(n) < target.size()) {
      target.resize(static_cast<size_t>(n));
      return target;
    }
    target.resize(target.size() * 2);
  }
}

Result<std::vector<std::string>> ListDirectory(const std::string& path, bool hidden, const IgnoreRules& ignore) {
  DIR* dir = ::opendir(path.c_str());
  if (!dir) return PathErrno(path, errno);
  std::vector<std::string> names;
  errno = 0;
  while (dirent* e = ::readdir(dir)) {
    std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    if (!hidden && name.front() == '.') continue;
    if (!ignore.empty() && ignore.Excludes(std::string(name))) continue;
    names.emplace_back(name);
  }
  int err = errno;
  ::closedir(dir);
  if (err != 0) return PathErrno(path, err);
  std::sort(names.begin(), names.end());
  return names;
}

std::string Join(const std::string& dir, const std::string& name) {
  if (dir.empty()) return name;
  if (dir.back() == '/') return dir + name;
  return dir + "/" + name;
}

// kubo lists a sharded directory's children in shard order (by name hash)
// when it prints the directory lines; reorder this directory's children's
// lines to match.
void ReorderForShard(std::vector<AddedEntry>& lines, size_t first, const std::vector<size_t>& ends,
                     const std::vector<DirEntry>& entries) {
  std::vector<size_t> order(entries.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::vector<uint64_t> hashes;
  hashes.reserve(entries.size());
  for (const DirEntry& e : entries) hashes.push_back(ipld::HamtHash(e.name));
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return hashes[a] < hashes[b]; });
  std::vector<AddedEntry> sorted;
  sorted.reserve(lines.size() - first);
  for (size_t i : order) {
    size_t begin = i == 0 ? first : ends[i - 1];
    for (size_t k = begin; k < ends[i]; ++k) sorted.push_back(std::move(lines[k]));
  }
  lines.resize(first);
  for (AddedEntry& e : sorted) lines.push_back(std::move(e));
}

// Reports the bytes each Read returns.
class CountingSource : public ByteSource {
 public:
  CountingSource(ByteSource& inner, const std::function<void(uint64_t)>& report) : inner_(inner), report_(report) {}
  Result<size_t> Read(std::span<std::byte> out) override {
    auto n = inner_.Read(out);
    if (n && *n > 0 && report_) report_(*n);
    return n;
  }

 private:
  ByteSource& inner_;
  const std::function<void(uint64_t)>& report_;
};

}  // namespace

std::string ArgumentName(const std::string& path) {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  std::string base = p.substr(p.find_last_of('/') == std::string::npos ? 0 : p.find_last_of('/') + 1);
  if (base == "." || base.empty()) {
    char resolved[PATH_MAX];
    if (::realpath(path.c_str(), resolved)) {
      std::string r = resolved;
      base = r.substr(r.find_last_of('/') + 1);
    }
  }
  return base;
}

struct Importer::Walk {
  bool recursive = false;
  const AddedCallback& added;
  std::vector<AddedEntry> dirs;  // directory lines, in kubo's post-order
  bool dropped = false;          // the last AddNode left out an empty directory (empty_dirs false)
  std::set<std::pair<dev_t, ino_t>> open_dirs;  // directories being walked: a followed symlink loop
};

Importer::Importer(ResolvedOptions options, IgnoreRules ignore, BlockSink& sink)
    : options_(std::move(options)), ignore_(std::move(ignore)), sink_(sink) {
  unsigned threads = options_.options.threads;
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  pool_ = std::make_unique<blockcache::WorkerPool>(threads);
  files_ = std::make_unique<FileBuilder>(options_, sink_, *pool_);
  dirs_ = std::make_unique<DirectoryBuilder>(options_, files_->cid_maker(), sink_);
}

Importer::~Importer() = default;

Result<std::unique_ptr<Importer>> Importer::Create(const ImportOptions& options, BlockSink& sink) {
  IPFSFS_ASSIGN_OR_RETURN(ResolvedOptions resolved, ResolveOptions(options));
  IPFSFS_ASSIGN_OR_RETURN(IgnoreRules ignore, IgnoreRules::Compile(options.ignore_rules));
  return std::unique_ptr<Importer>(new Importer(std::move(resolved), std::move(ignore), sink));
}

Metadata EntryMetadata(const ImportOptions& o, const struct stat& st) {
  Metadata meta;
  if (o.mode) {
    meta.mode = *o.mode;
  } else if (o.preserve_mode) {
    meta.mode = static_cast<uint32_t>(st.st_mode & 07777);
  }
  if (o.mtime) {
    meta.mtime = ipld::UnixTime{*o.mtime, std::nullopt};
    if (o.mtime_nsecs != 0) meta.mtime->nanos = o.mtime_nsecs;
  } else if (o.preserve_mtime) {
    meta.mtime = ipld::UnixTime{static_cast<int64_t>(st.st_mtim.tv_sec), std::nullopt};
    if (st.st_mtim.tv_nsec != 0) meta.mtime->nanos = static_cast<uint32_t>(st.st_mtim.tv_nsec);
  }
  return meta;
}

Result<DagRef> Importer::AddStream(ByteSource& source) {
  CountingSource counted(source, read_progress_);
  return files_->Build(counted, Metadata{});
}

Result<DagRef> Importer::AddNode(Walk& walk, const std::string& fs_path, const std::string& shown, bool top) {
  const ImportOptions& o = options_.options;
  struct stat st;
  const bool follow = o.dereference_symlinks || (top && o.dereference_args);
  if ((follow ? ::stat(fs_path.c_str(), &st) : ::lstat(fs_path.c_str(), &st)) != 0) return PathErrno(fs_path, errno);
  Metadata meta = EntryMetadata(o, st);

  if (S_ISLNK(st.st_mode)) {
    IPFSFS_ASSIGN_OR_RETURN(std::string target, ReadLink(fs_path, static_cast<size_t>(st.st_size)));
    meta.mode.reset();
    auto ref = dirs_->Symlink(target, meta);
    if (!ref) return PathError(fs_path, ref.error());
    if (walk.added) walk.added(AddedEntry{shown, ref->cid, ref->tsize, false});
    return ref;
  }
  if (S_ISREG(st.st_mode)) {
    auto source = FileSource::Open(fs_path, follow);
    if (!source) return PathError(fs_path, source.error());
    CountingSource counted(**source, read_progress_);
    auto ref = files_->Build(counted, meta);
    if (!ref) return PathError(fs_path, ref.error());
    if (auto same = (*source)->CheckUnchanged(); !same) return PathError(fs_path, same.error());
    if (walk.added) walk.added(AddedEntry{shown, ref->cid, ref->tsize, false});
    return ref;
  }
  if (S_ISDIR(st.st_mode)) {
    if (top && !walk.recursive) {
      return MakeError(ErrorCode::kInvalidArgument, fs_path + ": is a directory (use -r to add it)");
    }
    // Only followed symlinks can make a loop.
    const auto id = std::make_pair(st.st_dev, st.st_ino);
    if (o.dereference_symlinks && !walk.open_dirs.insert(id).second) {
      return MakeError(ErrorCode::kInvalidArgument, fs_path + ": symlink loop (a directory inside itself)");
    }
    IPFSFS_ASSIGN_OR_RETURN(std::vector<std::string> names, ListDirectory(fs_path, o.hidden, ignore_));
    std::vector<DirEntry> entries;
    entries.reserve(names.size());
    const size_t first_line = walk.dirs.size();
    std::vector<size_t> line_ends;  // where each child's directory lines end in walk.dirs
    for (std::string& name : names) {
      IPFSFS_ASSIGN_OR_RETURN(DagRef child, AddNode(walk, Join(fs_path, name), Join(shown, name), false));
      if (walk.dropped) {
        walk.dropped = false;
        continue;
      }
      entries.push_back(DirEntry{std::move(name), std::move(child.cid), child.tsize});
      line_ends.push_back(walk.dirs.size());
    }
    if (o.dereference_symlinks) walk.open_dirs.erase(id);
    if (!top && !o.empty_dirs && entries.empty()) {
      walk.dropped = true;
      return DagRef{};
    }
    if (dirs_->Shards(entries, meta)) ReorderForShard(walk.dirs, first_line, line_ends, entries);
    auto ref = dirs_->Build(std::move(entries), meta);
    if (!ref) return PathError(fs_path, ref.error());
    walk.dirs.push_back(AddedEntry{shown, ref->cid, ref->tsize, true});
    return ref;
  }
  return MakeError(ErrorCode::kInvalidArgument, fs_path + ": " + SpecialKind(st.st_mode) + " cannot be added");
}

Result<std::vector<DagRef>> Importer::AddPaths(const std::vector<std::string>& paths, bool recursive,
                                               const AddedCallback& added) {
  std::vector<DagRef> roots;
  const bool wrap = options_.options.wrap;
  // With -w, kubo prints directories after all files, ordered by argument name.
  std::vector<std::pair<std::string, std::vector<AddedEntry>>> wrapped_dirs;
  std::vector<DirEntry> wrapper;
  std::set<std::string> seen;
  for (const std::string& path : paths) {
    Walk walk{recursive, added, {}, false, {}};
    std::string name = ArgumentName(path);
    IPFSFS_ASSIGN_OR_RETURN(DagRef ref, AddNode(walk, path, name, true));
    if (wrap) {
      if (!seen.insert(name).second) {
        return MakeError(ErrorCode::kInvalidArgument, path + ": two arguments share the name \"" + name + "\"");
      }
      wrapped_dirs.emplace_back(name, std::move(walk.dirs));
      wrapper.push_back(DirEntry{name, ref.cid, ref.tsize});
    } else {
      if (added) {
        for (const AddedEntry& d : walk.dirs) added(d);
      }
      roots.push_back(std::move(ref));
    }
  }
  if (!wrap) return roots;
  std::stable_sort(wrapped_dirs.begin(), wrapped_dirs.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  if (added) {
    for (const auto& group : wrapped_dirs) {
      for (const AddedEntry& d : group.second) added(d);
    }
  }
  IPFSFS_ASSIGN_OR_RETURN(DagRef root, dirs_->Build(std::move(wrapper), Metadata{}));
  if (added) added(AddedEntry{"", root.cid, root.tsize, true});
  roots.push_back(std::move(root));
  return roots;
}

}  // namespace ipfsfs::writeback
