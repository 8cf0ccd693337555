#include "fs/filesystem.h"

#include <sys/stat.h>

#include <utility>

#include "fs/logger.h"

namespace ipfsfs::fs {

namespace {

constexpr double kForever = 365 * 24 * 3600.0;

tl::unexpected<Error> Stale(Ino ino) { return MakeError(ErrorCode::kNotFound, "stale inode " + std::to_string(ino)); }

}  // namespace

Filesystem::Filesystem(std::vector<std::unique_ptr<Tree>> trees, FilesystemOptions options)
    : trees_(std::move(trees)),
      options_(std::move(options)),
      inodes_(kFirstTreeIno + trees_.size(), options_.max_remembered) {}

Filesystem::~Filesystem() {
  // First: a tree may still report what it learns (learned) into inodes_
  // until its background work has stopped.
  trees_.clear();
  for (auto* f : open_files_set_) delete f;
  for (auto* d : open_dirs_) delete d;
}

Attr Filesystem::DirAttr(Ino ino) const {
  if (IsTreeTop(ino)) {
    if (auto own = trees_[ino - kFirstTreeIno]->TopAttr()) {
      own->ino = ino;
      return *own;
    }
  }
  Attr a;
  a.ino = ino;
  a.mode = S_IFDIR | (options_.dir_mode ? *options_.dir_mode & 07777 : 0555);
  a.nlink = 2;
  a.uid = options_.uid;
  a.gid = options_.gid;
  return a;
}

Entry Filesystem::Present(Ino ino, const TreeEntry& entry) const {
  Entry e{ino, entry.attr, entry.entry_timeout, entry.attr_timeout};
  e.attr.ino = ino;
  if (entry.own_owner) return e;
  e.attr.uid = options_.uid;
  e.attr.gid = options_.gid;
  uint32_t type = e.attr.mode & S_IFMT;
  if (type == S_IFREG && options_.file_mode) e.attr.mode = type | (*options_.file_mode & 07777);
  if (type == S_IFDIR && options_.dir_mode) e.attr.mode = type | (*options_.dir_mode & 07777);
  return e;
}

Result<Filesystem::Target> Filesystem::Resolve(Ino ino) const {
  if (ino == kRootIno) return Target{};
  if (IsTreeTop(ino)) return Target{static_cast<int>(ino - kFirstTreeIno), nullptr};
  auto snap = inodes_.Get(ino);
  if (!snap || !snap->known()) return Stale(ino);
  return Target{snap->tree, snap->entry.node};
}

void Filesystem::AnswerEntry(Ino parent, const std::string& name, int tree, Result<TreeEntry> entry,
                             const Callback<Entry>& done) {
  if (!entry) {
    ++errors_;
    return done(tl::unexpected(std::move(entry).error()));
  }
  if (!entry->node) {
    Entry negative;
    negative.entry_timeout = entry->entry_timeout;
    return done(negative);
  }
  Ino ino = inodes_.Remember(parent, name, tree, *entry, true);
  done(Present(ino, *entry));
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
  if (auto known = inodes_.Find(parent, name); known && known->known() && known->entry.immutable) {
    Ino ino = inodes_.Remember(parent, name, known->tree, known->entry, true);
    return done(Present(ino, known->entry));
  }
  auto dir = Resolve(parent);
  if (!dir) return done(MakeError(ErrorCode::kNotFound, "stale directory inode " + std::to_string(parent)));
  int tree = dir->tree;
  trees_[tree]->Lookup(dir->node, name, [this, parent, name, tree, done = std::move(done)](Result<TreeEntry> entry) {
    AnswerEntry(parent, name, tree, std::move(entry), done);
  });
}

void Filesystem::Forget(Ino ino, uint64_t nlookup) {
  if (ino < kFirstTreeIno + trees_.size()) return;  // root and tree tops live forever
  inodes_.Forget(ino, nlookup);
}

void Filesystem::GetAttr(Ino ino, Callback<Attr> done) {
  if (ino == kRootIno || IsTreeTop(ino)) return done(DirAttr(ino));
  auto snap = inodes_.Get(ino);
  if (!snap || !snap->known()) return done(Stale(ino));
  trees_[snap->tree]->GetAttr(snap->entry.node, snap->entry, [this, ino, done = std::move(done)](Result<TreeEntry> e) {
    if (!e) {
      ++errors_;
      return done(tl::unexpected(std::move(e).error()));
    }
    if (e->node) inodes_.Update(ino, *e);
    done(Present(ino, *e).attr);
  });
}

double Filesystem::AttrTimeout(Ino ino) const {
  if (ino == kRootIno || IsTreeTop(ino)) return kForever;
  auto snap = inodes_.Get(ino);
  return snap ? snap->entry.attr_timeout : 0;
}

void Filesystem::ReadLink(Ino ino, Callback<std::string> done) {
  auto target = Resolve(ino);
  if (!target || !target->node) {
    return done(MakeError(ErrorCode::kInvalidArgument, "inode " + std::to_string(ino) + " is not a symlink"));
  }
  trees_[target->tree]->ReadLink(target->node, Counted(std::move(done)));
}

void Filesystem::Open(Ino ino, int flags, Callback<OpenedFile> done) {
  auto target = Resolve(ino);
  if (!target) return done(tl::unexpected(std::move(target).error()));
  if (!target->node) return done(MakeError(ErrorCode::kInvalidArgument, "inode " + std::to_string(ino) + " is a directory"));
  int tree = target->tree;
  trees_[tree]->Open(target->node, flags, [this, tree, done = std::move(done)](Result<TreeOpened> opened) {
    if (!opened) {
      ++errors_;
      return done(tl::unexpected(std::move(opened).error()));
    }
    uint64_t fh = TrackFile(new OpenFileState{tree, std::move(opened->handle)});
    done(OpenedFile{fh, opened->keep_cache});
  });
}

void Filesystem::Read(uint64_t fh, uint64_t offset, size_t size, Callback<ReadReply> done) {
  auto* state = reinterpret_cast<OpenFileState*>(fh);
  ++reads_;
  trees_[state->tree]->Read(state->handle, offset, size, [this, done = std::move(done)](Result<ReadReply> r) {
    if (!r) {
      ++errors_;
      return done(std::move(r));
    }
    read_bytes_ += r->size();
    done(std::move(r));
  });
}

void Filesystem::Release(uint64_t fh) {
  auto* state = reinterpret_cast<OpenFileState*>(fh);
  {
    std::lock_guard lock(handles_mu_);
    open_files_set_.erase(state);
  }
  trees_[state->tree]->Release(state->handle);
  delete state;
  --open_files_;
}

void Filesystem::OpenDir(Ino ino, Callback<OpenedDir> done) {
  if (ino == kRootIno) return done(OpenedDir{TrackDir(new OpenDirState{kRootIno, kRootIno, -1, nullptr}), false});
  auto target = Resolve(ino);
  if (!target) return done(tl::unexpected(std::move(target).error()));
  Ino parent = kRootIno;
  if (target->node) {
    auto snap = inodes_.Get(ino);
    if (!snap) return done(Stale(ino));
    parent = snap->parent;
  }
  int tree = target->tree;
  trees_[tree]->OpenDir(target->node, [this, ino, parent, tree, done = std::move(done)](Result<TreeOpened> opened) {
    if (!opened) {
      ++errors_;
      return done(tl::unexpected(std::move(opened).error()));
    }
    // Remembered uncounted, as a listed entry the kernel has not taken yet.
    opened->handle->learned = [this, ino, tree](const std::string& name, const TreeEntry& entry) {
      if (entry.node) inodes_.Remember(ino, name, tree, entry, false);
    };
    auto* state = new OpenDirState{ino, parent, tree, std::move(opened->handle)};
    done(OpenedDir{TrackDir(state), opened->keep_cache});
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

  if (state->tree < 0) {
    for (size_t i = first; i < trees_.size() && out.size() < max; ++i) {
      Ino ino = kFirstTreeIno + i;
      out.push_back(DirListEntry{std::string(trees_[i]->name()), Entry{ino, DirAttr(ino), kForever, kForever}, i + 3});
    }
    return done(std::move(out));
  }
  // One listed name: whole when the tree knows its attributes, else bare.
  trees_[state->tree]->ReadDir(
      state->handle, first, max - out.size(),
      [this, state, first, out = std::move(out), done = std::move(done)](Result<std::vector<TreeDirEntry>> list) mutable {
        if (!list) {
          ++errors_;
          if (out.empty()) return done(tl::unexpected(std::move(list).error()));
          Logger()->error("listing ends early: {}", list.error().message);
          return done(std::move(out));
        }
        for (size_t i = 0; i < list->size(); ++i) {
          auto& item = (*list)[i];
          DirListEntry e;
          e.name = std::move(item.name);
          e.next_offset = first + i + 3;
          if (item.entry && item.entry->node) {
            Ino ino = inodes_.Remember(state->ino, e.name, state->tree, *item.entry, false);
            e.entry = Present(ino, *item.entry);
          } else if (auto known = inodes_.Find(state->ino, e.name); known && known->known()) {
            e.entry = Present(known->ino, known->entry);
          } else {
            e.entry.attr.ino = inodes_.Intern(state->ino, e.name, state->tree);
            e.entry.attr.mode = item.type;
          }
          out.push_back(std::move(e));
        }
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
  if (state->tree >= 0) trees_[state->tree]->ReleaseDir(state->handle);
  delete state;
}

uint64_t Filesystem::TrackFile(OpenFileState* state) {
  {
    std::lock_guard lock(handles_mu_);
    open_files_set_.insert(state);
  }
  ++open_files_;
  return reinterpret_cast<uint64_t>(state);
}

uint64_t Filesystem::TrackDir(OpenDirState* state) {
  std::lock_guard lock(handles_mu_);
  open_dirs_.insert(state);
  return reinterpret_cast<uint64_t>(state);
}

void Filesystem::GetXattr(Ino ino, std::string name, Callback<std::string> done) {
  auto target = Resolve(ino);
  // A writable tree's top answers for itself (staging/ shows its root CID).
  if (!target || target->tree < 0 || (!target->node && trees_[target->tree]->read_only())) {
    return done(MakeError(ErrorCode::kNotFound, "no attribute " + name));
  }
  trees_[target->tree]->GetXattr(target->node, std::move(name), std::move(done));
}

void Filesystem::ListXattr(Ino ino, Callback<std::vector<std::string>> done) {
  auto target = Resolve(ino);
  if (!target || target->tree < 0 || (!target->node && trees_[target->tree]->read_only())) {
    return done(std::vector<std::string>{});
  }
  trees_[target->tree]->ListXattr(target->node, std::move(done));
}

FilesystemStats Filesystem::stats() const {
  FilesystemStats s;
  s.lookups = lookups_;
  s.reads = reads_;
  s.read_bytes = read_bytes_;
  s.errors = errors_;
  s.open_files = open_files_;
  s.inodes = inodes_.size();
  return s;
}

}  // namespace ipfsfs::fs
