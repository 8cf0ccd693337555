#include "fs/filesystem.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <utility>

#include "fs/logger.h"

namespace ipfsfs::fs {

struct Filesystem::OpenFileState {
  std::shared_ptr<resolver::FileReader> reader;
};

struct Filesystem::OpenDirState {
  Ino ino = 0;
  Ino parent = 0;
  int tree = -1;                          // -1: the root
  std::vector<std::string> names;         // root and tree tops: a fixed list
  std::shared_ptr<resolver::DirectoryStream> stream;  // directories under a tree
};

namespace {

constexpr double kForever = 365 * 24 * 3600.0;

uint32_t Perm(std::optional<uint32_t> forced, const std::optional<uint32_t>& unixfs, uint32_t fallback) {
  if (forced) return *forced & 07777;
  if (unixfs) return *unixfs & 0777;  // never setuid, setgid or sticky from content
  return fallback;
}

}  // namespace

Filesystem::Filesystem(std::vector<std::unique_ptr<Tree>> trees, FilesystemOptions options)
    : trees_(std::move(trees)),
      options_(std::move(options)),
      inodes_(kFirstTreeIno + trees_.size(), options_.max_remembered),
      warmer_(options_.warm_in_flight, options_.warm_queue,
              [this](const WarmJob& job, const resolver::NodeInfo& info) {
                inodes_.Remember(job.parent, job.name, job.tree, info, false);
              }) {}

Filesystem::~Filesystem() {
  for (auto* f : open_files_set_) delete f;
  for (auto* d : open_dirs_) delete d;
}

Attr Filesystem::DirAttr(Ino ino) const {
  Attr a;
  a.ino = ino;
  a.mode = S_IFDIR | Perm(options_.dir_mode, std::nullopt, 0555);
  a.nlink = 2;
  a.uid = options_.uid;
  a.gid = options_.gid;
  return a;
}

Attr Filesystem::MakeAttr(Ino ino, const resolver::NodeInfo& info) const {
  Attr a;
  a.ino = ino;
  a.uid = options_.uid;
  a.gid = options_.gid;
  switch (info.kind) {
    case resolver::NodeKind::kDirectory:
    case resolver::NodeKind::kHamtShard:
      a.mode = S_IFDIR | Perm(options_.dir_mode, info.mode, 0555);
      a.nlink = 2;
      break;
    case resolver::NodeKind::kFile:
      a.mode = S_IFREG | Perm(options_.file_mode, info.mode, 0444);
      a.size = info.size;
      break;
    case resolver::NodeKind::kSymlink:
      a.mode = S_IFLNK | 0777;
      a.size = info.symlink_target.size();
      break;
  }
  a.blocks = (a.size + 511) / 512;
  if (info.mtime) {
    a.mtime_sec = info.mtime->seconds;
    a.mtime_nsec = info.mtime->nanos.value_or(0);
  }
  return a;
}

Entry Filesystem::MakeEntry(Ino ino, const resolver::NodeInfo& info, int tree) const {
  TreeCaching c = trees_[tree]->caching();
  return Entry{ino, MakeAttr(ino, info), c.entry_timeout, c.attr_timeout};
}

void Filesystem::AnswerLookup(Ino parent, const std::string& name, int tree, Result<resolver::NodePtr> node, bool top,
                              const Callback<Entry>& done) {
  if (!node) {
    if (node.error().code == ErrorCode::kNotFound) {
      TreeCaching c = trees_[tree]->caching();
      Entry negative;
      negative.entry_timeout = top ? c.top_negative_timeout : c.negative_timeout;
      Logger()->debug("lookup {}/{}: {}", parent, name, node.error().message);
      return done(negative);
    }
    ++errors_;
    return done(tl::unexpected(node.error()));
  }
  Ino ino = inodes_.Remember(parent, name, tree, (*node)->info, true);
  done(MakeEntry(ino, (*node)->info, tree));
}

void Filesystem::Lookup(Ino parent, std::string name, Callback<Entry> done) {
  ++lookups_;
  if (parent == kRootIno) {
    for (size_t i = 0; i < trees_.size(); ++i) {
      if (trees_[i]->name() == name) return done(Entry{kFirstTreeIno + i, DirAttr(kFirstTreeIno + i), kForever, kForever});
    }
    Entry negative;
    negative.entry_timeout = kForever;
    return done(negative);
  }
  if (auto known = inodes_.Find(parent, name); known && known->info) {
    Ino ino = inodes_.Remember(parent, name, known->tree, *known->info, true);
    return done(MakeEntry(ino, *known->info, known->tree));
  }
  if (IsTreeTop(parent)) {
    int tree = static_cast<int>(parent - kFirstTreeIno);
    trees_[tree]->LookupTop(name, [this, parent, name, tree, done = std::move(done)](Result<resolver::NodePtr> node) {
      AnswerLookup(parent, name, tree, std::move(node), true, done);
    });
    return;
  }
  auto dir = inodes_.Get(parent);
  if (!dir || !dir->info) return done(MakeError(ErrorCode::kNotFound, "stale directory inode " + std::to_string(parent)));
  int tree = dir->tree;
  ResolveIno(parent, [this, parent, name, tree, done = std::move(done)](Result<resolver::NodePtr> node) mutable {
    if (!node) {
      ++errors_;
      return done(tl::unexpected(std::move(node).error()));
    }
    if (!(*node)->is_directory()) {
      return done(MakeError(ErrorCode::kInvalidArgument, (*node)->info.cid.ToString() + " is not a directory"));
    }
    trees_[tree]->Lookup(std::move(*node), name, [this, parent, name, tree, done](Result<resolver::NodePtr> child) {
      AnswerLookup(parent, name, tree, std::move(child), false, done);
    });
  });
}

void Filesystem::Forget(Ino ino, uint64_t nlookup) {
  if (ino < kFirstTreeIno + trees_.size()) return;  // root and tree tops live forever
  inodes_.Forget(ino, nlookup);
}

void Filesystem::ResolveIno(Ino ino, Callback<resolver::NodePtr> done) {
  auto snap = inodes_.Get(ino);
  if (!snap || !snap->info) return done(MakeError(ErrorCode::kNotFound, "stale inode " + std::to_string(ino)));
  trees_[snap->tree]->GetNode(*snap->info, std::move(done));
}

void Filesystem::GetAttr(Ino ino, Callback<Attr> done) {
  if (ino == kRootIno || IsTreeTop(ino)) return done(DirAttr(ino));
  auto snap = inodes_.Get(ino);
  if (!snap || !snap->info) return done(MakeError(ErrorCode::kNotFound, "stale inode " + std::to_string(ino)));
  done(MakeAttr(ino, *snap->info));
}

double Filesystem::AttrTimeout(Ino ino) const {
  if (ino == kRootIno || IsTreeTop(ino)) return kForever;
  auto snap = inodes_.Get(ino);
  return snap ? trees_[snap->tree]->caching().attr_timeout : 0;
}

void Filesystem::ReadLink(Ino ino, Callback<std::string> done) {
  auto snap = inodes_.Get(ino);
  if (!snap || !snap->info || snap->info->kind != resolver::NodeKind::kSymlink) {
    return done(MakeError(ErrorCode::kInvalidArgument, "inode " + std::to_string(ino) + " is not a symlink"));
  }
  done(snap->info->symlink_target);
}

void Filesystem::Open(Ino ino, int flags, Callback<OpenedFile> done) {
  if ((flags & O_ACCMODE) != O_RDONLY || (flags & (O_TRUNC | O_CREAT | O_APPEND))) {
    return done(MakeError(ErrorCode::kReadOnly, "inode " + std::to_string(ino) + " is read-only"));
  }
  auto snap = inodes_.Get(ino);
  if (!snap || !snap->info) return done(MakeError(ErrorCode::kNotFound, "stale inode " + std::to_string(ino)));
  if (snap->info->kind != resolver::NodeKind::kFile) {
    return done(MakeError(ErrorCode::kInvalidArgument, snap->info->cid.ToString() + " is not a file"));
  }
  int tree = snap->tree;
  trees_[tree]->GetNode(*snap->info, [this, tree, done = std::move(done)](Result<resolver::NodePtr> node) {
    if (!node) {
      ++errors_;
      return done(tl::unexpected(std::move(node).error()));
    }
    auto reader = resolver::FileReader::Open(trees_[tree]->resolver(), std::move(*node), options_.reader);
    if (!reader) return done(tl::unexpected(std::move(reader).error()));
    auto* state = new OpenFileState{std::move(*reader)};
    {
      std::lock_guard lock(handles_mu_);
      open_files_set_.insert(state);
    }
    ++open_files_;
    done(OpenedFile{reinterpret_cast<uint64_t>(state), trees_[tree]->caching().keep_cache});
  });
}

void Filesystem::Read(uint64_t fh, uint64_t offset, size_t size, Callback<std::vector<resolver::Slice>> done) {
  auto* state = reinterpret_cast<OpenFileState*>(fh);
  ++reads_;
  std::shared_ptr<resolver::FileReader> reader = state->reader;
  reader->Read(offset, size, [this, reader, offset, done = std::move(done)](Result<std::vector<resolver::Slice>> r) {
    if (!r) {
      ++errors_;
      return done(tl::unexpected(
          r.error().Wrap("read " + reader->root()->info.cid.ToString() + " at " + std::to_string(offset))));
    }
    uint64_t n = 0;
    for (const auto& s : *r) n += s.length;
    read_bytes_ += n;
    done(std::move(r));
  });
}

void Filesystem::Release(uint64_t fh) {
  auto* state = reinterpret_cast<OpenFileState*>(fh);
  {
    std::lock_guard lock(handles_mu_);
    open_files_set_.erase(state);
  }
  delete state;
  --open_files_;
}

void Filesystem::OpenDir(Ino ino, Callback<OpenedDir> done) {
  if (ino == kRootIno) {
    auto* state = new OpenDirState{kRootIno, kRootIno, -1, {}, nullptr};
    for (const auto& t : trees_) state->names.emplace_back(t->name());
    return done(OpenedDir{TrackDir(state), false});
  }
  if (IsTreeTop(ino)) {
    int tree = static_cast<int>(ino - kFirstTreeIno);
    auto* state = new OpenDirState{ino, kRootIno, tree, trees_[tree]->ListTop(), nullptr};
    return done(OpenedDir{TrackDir(state), false});
  }
  auto snap = inodes_.Get(ino);
  if (!snap || !snap->info) return done(MakeError(ErrorCode::kNotFound, "stale inode " + std::to_string(ino)));
  Ino parent = snap->parent;
  int tree = snap->tree;
  ResolveIno(ino, [this, ino, parent, tree, done = std::move(done)](Result<resolver::NodePtr> node) {
    if (!node) {
      ++errors_;
      return done(tl::unexpected(std::move(node).error()));
    }
    auto stream = resolver::DirectoryStream::Open(trees_[tree]->resolver(), std::move(*node), options_.listing);
    if (!stream) return done(tl::unexpected(std::move(stream).error()));
    auto* state = new OpenDirState{ino, parent, tree, {}, std::move(*stream)};
    done(OpenedDir{TrackDir(state), trees_[tree]->caching().cache_readdir});
  });
}

void Filesystem::ReadDir(uint64_t fh, uint64_t offset, size_t max, Callback<std::vector<DirListEntry>> done) {
  auto* state = reinterpret_cast<OpenDirState*>(fh);
  std::vector<DirListEntry> out;
  uint64_t index = offset;
  auto dot = [&](const char* name, Ino ino) {
    DirListEntry e;
    e.name = name;
    e.entry.attr.ino = ino;
    e.entry.attr.mode = S_IFDIR;
    e.next_offset = ++index;
    out.push_back(std::move(e));
  };
  if (index == 0 && out.size() < max) dot(".", state->ino);
  if (index == 1 && out.size() < max) dot("..", state->parent);
  if (out.size() >= max) return done(std::move(out));
  const size_t first = index - 2;

  // One listed name: whole when its attributes are known, else bare and warmed.
  auto add = [this, state](std::vector<DirListEntry>& out, const std::string& name, const ipld::Cid* cid, uint64_t next) {
    DirListEntry e;
    e.name = name;
    e.next_offset = next;
    if (state->tree < 0) {
      Ino ino = kFirstTreeIno + (next - 3);
      e.entry = Entry{ino, DirAttr(ino), kForever, kForever};
    } else if (auto known = inodes_.Find(state->ino, name); known && known->info) {
      e.entry = MakeEntry(known->ino, *known->info, state->tree);
    } else {
      e.entry.attr.ino = inodes_.Intern(state->ino, name, state->tree);
      std::optional<ipld::Cid> parsed;
      if (!cid) {
        if (auto p = ipld::Cid::Parse(name)) parsed = *p;
        cid = parsed ? &*parsed : nullptr;
      }
      if (cid) {
        warmer_.Add(trees_[state->tree]->resolver(), WarmJob{state->ino, name, state->tree, *cid});
        // A block already in the cache is warmed on this thread: then the entry
        // goes out whole, and the stat that follows needs no LOOKUP.
        if (auto warmed = inodes_.Find(state->ino, name); warmed && warmed->info) {
          e.entry = MakeEntry(warmed->ino, *warmed->info, state->tree);
        }
      }
    }
    out.push_back(std::move(e));
  };

  if (!state->stream) {
    for (size_t i = first; i < state->names.size() && out.size() < max; ++i) add(out, state->names[i], nullptr, i + 3);
    return done(std::move(out));
  }
  size_t want = first + (max - out.size());
  auto stream = state->stream;
  stream->Fill(want, [this, stream, first, max, add, out = std::move(out), done = std::move(done)](Status st) mutable {
    auto entries = stream->Entries(first, max - out.size());
    if (!st && entries.empty() && out.empty()) {
      ++errors_;
      return done(tl::unexpected(st.error()));
    }
    if (!st) Logger()->error("listing ends early: {}", st.error().message);
    for (size_t i = 0; i < entries.size(); ++i) add(out, entries[i].name, &entries[i].cid, first + i + 3);
    done(std::move(out));
  });
}

void Filesystem::CommitListed(Ino ino) {
  if (ino < kFirstTreeIno + trees_.size()) return;
  inodes_.AddLookup(ino);
}

void Filesystem::ReleaseDir(uint64_t fh) {
  auto* state = reinterpret_cast<OpenDirState*>(fh);
  {
    std::lock_guard lock(handles_mu_);
    open_dirs_.erase(state);
  }
  delete state;
}

uint64_t Filesystem::TrackDir(OpenDirState* state) {
  std::lock_guard lock(handles_mu_);
  open_dirs_.insert(state);
  return reinterpret_cast<uint64_t>(state);
}

void Filesystem::GetXattr(Ino ino, std::string name, Callback<std::string> done) {
  auto snap = inodes_.Get(ino);
  if (!snap || !snap->info) return done(MakeError(ErrorCode::kNotFound, "no attribute " + name));
  const auto& info = *snap->info;
  if (name == "user.ipfs.cid") return done(info.cid.ToString());
  if (name == "user.ipfs.codec") {
    auto codec = ipld::CodecName(info.cid.codec());
    return done(codec ? std::string(*codec) : fmt::format("0x{:x}", info.cid.codec()));
  }
  if (name == "user.ipfs.size") return done(std::to_string(info.dag_size));
  // No ACLs, no security labels: saying "unsupported" (not "absent") lets
  // ls -l stop asking for every file of the device (coreutils remembers it).
  if (name.rfind("user.", 0) != 0) return done(MakeError(ErrorCode::kUnsupported, "no " + name + " here"));
  done(MakeError(ErrorCode::kNotFound, "no attribute " + name));
}

void Filesystem::ListXattr(Ino ino, Callback<std::vector<std::string>> done) {
  auto snap = inodes_.Get(ino);
  if (!snap || !snap->info) return done(std::vector<std::string>{});
  done(std::vector<std::string>{"user.ipfs.cid", "user.ipfs.codec", "user.ipfs.size"});
}

FilesystemStats Filesystem::stats() const {
  FilesystemStats s;
  s.lookups = lookups_;
  s.reads = reads_;
  s.read_bytes = read_bytes_;
  s.errors = errors_;
  s.open_files = open_files_;
  s.inodes = inodes_.size();
  s.warm_in_flight = warmer_.in_flight();
  return s;
}

}  // namespace ipfsfs::fs
