// Filesystem's write operations and statfs: each finds the tree owning the
// inode and forwards (a tree's top directory included); the root directory
// itself takes no writes.
#include <functional>
#include <utility>

#include "fs/filesystem.h"

namespace ipfsfs::fs {
namespace {

tl::unexpected<Error> RootReadOnly(const std::string& what) {
  return MakeError(ErrorCode::kReadOnly, "the mount's root is read-only: " + what);
}

}  // namespace

bool Filesystem::writable() const {
  for (const auto& tree : trees_) {
    if (!tree->read_only()) return true;
  }
  return false;
}

void Filesystem::StatFs(Ino ino, Callback<FsStats> done) {
  auto target = Resolve(ino);
  if (target && target->tree >= 0) return trees_[target->tree]->StatFs(std::move(done));
  FsStats stats;
  for (const auto& tree : trees_) stats.read_only = stats.read_only && tree->read_only();
  done(stats);
}

void Filesystem::SetAttr(Ino ino, SetAttrRequest changes, Callback<Attr> done) {
  auto target = Resolve(ino);
  if (!target) return done(tl::unexpected(std::move(target).error()));
  // A tree's top directory is the tree's to answer (staging/: chmod, touch).
  if (target->tree < 0) return done(RootReadOnly("setattr"));
  trees_[target->tree]->SetAttr(target->node, changes, [this, ino, done = std::move(done)](Result<TreeEntry> e) {
    if (!e) {
      ++errors_;
      return done(tl::unexpected(std::move(e).error()));
    }
    if (e->node) inodes_.Update(ino, *e);
    done(Present(ino, *e).attr);
  });
}

void Filesystem::EntryWrite(Ino parent, std::string name, Callback<Entry> done,
                            const std::function<void(Tree&, const TreeNodePtr&, Callback<TreeEntry>)>& call) {
  auto dir = Resolve(parent);
  if (!dir) return done(tl::unexpected(std::move(dir).error()));
  if (dir->tree < 0) return done(RootReadOnly("new entry " + name));
  int tree = dir->tree;
  call(*trees_[tree], dir->node, [this, parent, name, tree, done = std::move(done)](Result<TreeEntry> entry) {
    AnswerEntry(parent, name, tree, std::move(entry), done);
  });
}

void Filesystem::Mknod(Ino parent, std::string name, uint32_t mode, uint64_t rdev, Callback<Entry> done) {
  EntryWrite(parent, name, std::move(done), [&](Tree& tree, const TreeNodePtr& dir, Callback<TreeEntry> answer) {
    tree.Mknod(dir, name, mode, rdev, std::move(answer));
  });
}

void Filesystem::Mkdir(Ino parent, std::string name, uint32_t mode, Callback<Entry> done) {
  EntryWrite(parent, name, std::move(done), [&](Tree& tree, const TreeNodePtr& dir, Callback<TreeEntry> answer) {
    tree.Mkdir(dir, name, mode, std::move(answer));
  });
}

void Filesystem::Symlink(std::string target, Ino parent, std::string name, Callback<Entry> done) {
  EntryWrite(parent, name, std::move(done), [&](Tree& tree, const TreeNodePtr& dir, Callback<TreeEntry> answer) {
    tree.Symlink(dir, name, std::move(target), std::move(answer));
  });
}

void Filesystem::Link(Ino ino, Ino new_parent, std::string new_name, Callback<Entry> done) {
  auto node = Resolve(ino);
  if (!node) return done(tl::unexpected(std::move(node).error()));
  EntryWrite(new_parent, new_name, std::move(done),
             [&](Tree& tree, const TreeNodePtr& dir, Callback<TreeEntry> answer) {
               if (node->tree < 0 || trees_[node->tree].get() != &tree || !node->node) {
                 return answer(MakeError(ErrorCode::kUnsupported, "cannot link across trees"));
               }
               tree.Link(node->node, dir, new_name, std::move(answer));
             });
}

void Filesystem::Unlink(Ino parent, std::string name, Callback<void> done) {
  auto dir = Resolve(parent);
  if (!dir) return done(tl::unexpected(std::move(dir).error()));
  if (dir->tree < 0) return done(RootReadOnly("unlink " + name));
  trees_[dir->tree]->Unlink(dir->node, std::move(name), Counted(std::move(done)));
}

void Filesystem::Rmdir(Ino parent, std::string name, Callback<void> done) {
  auto dir = Resolve(parent);
  if (!dir) return done(tl::unexpected(std::move(dir).error()));
  if (dir->tree < 0) return done(RootReadOnly("rmdir " + name));
  trees_[dir->tree]->Rmdir(dir->node, std::move(name), Counted(std::move(done)));
}

void Filesystem::Rename(Ino parent, std::string name, Ino new_parent, std::string new_name, unsigned flags,
                        Callback<void> done) {
  auto from = Resolve(parent);
  if (!from) return done(tl::unexpected(std::move(from).error()));
  auto to = Resolve(new_parent);
  if (!to) return done(tl::unexpected(std::move(to).error()));
  if (from->tree < 0 || to->tree < 0) return done(RootReadOnly("rename " + name));
  if (from->tree != to->tree) return done(MakeError(ErrorCode::kUnsupported, "cannot rename across trees"));
  trees_[from->tree]->Rename(from->node, std::move(name), to->node, std::move(new_name), flags,
                             Counted(std::move(done)));
}

void Filesystem::Create(Ino parent, std::string name, uint32_t mode, int flags, Callback<CreatedFile> done) {
  auto dir = Resolve(parent);
  if (!dir) return done(tl::unexpected(std::move(dir).error()));
  if (dir->tree < 0) return done(RootReadOnly("create " + name));
  int tree = dir->tree;
  trees_[tree]->Create(dir->node, name, mode, flags,
                       [this, parent, name, tree, done = std::move(done)](Result<std::pair<TreeEntry, TreeOpened>> r) {
                         if (!r) {
                           ++errors_;
                           return done(tl::unexpected(std::move(r).error()));
                         }
                         auto& [entry, opened] = *r;
                         if (!entry.node) return done(MakeError(ErrorCode::kInternal, "create answered no entry"));
                         Ino ino = inodes_.Remember(parent, name, tree, entry, true);
                         uint64_t fh = TrackFile(new OpenFileState{tree, std::move(opened.handle)});
                         done(CreatedFile{Present(ino, entry), OpenedFile{fh, opened.keep_cache}});
                       });
}

void Filesystem::Write(uint64_t fh, uint64_t offset, Bytes data, Callback<size_t> done) {
  auto* state = reinterpret_cast<OpenFileState*>(fh);
  trees_[state->tree]->Write(state->handle, offset, std::move(data), Counted(std::move(done)));
}

void Filesystem::SetXattr(Ino ino, std::string name, Bytes value, int flags, Callback<void> done) {
  auto target = Resolve(ino);
  if (!target) return done(tl::unexpected(std::move(target).error()));
  if (target->tree < 0) return done(RootReadOnly("setxattr " + name));
  trees_[target->tree]->SetXattr(target->node, std::move(name), std::move(value), flags, Counted(std::move(done)));
}

void Filesystem::RemoveXattr(Ino ino, std::string name, Callback<void> done) {
  auto target = Resolve(ino);
  if (!target) return done(tl::unexpected(std::move(target).error()));
  if (target->tree < 0) return done(RootReadOnly("removexattr " + name));
  trees_[target->tree]->RemoveXattr(target->node, std::move(name), Counted(std::move(done)));
}

void Filesystem::Fsync(uint64_t fh, bool datasync, Callback<void> done) {
  auto* state = reinterpret_cast<OpenFileState*>(fh);
  trees_[state->tree]->Fsync(state->handle, datasync, Counted(std::move(done)));
}

void Filesystem::FsyncDir(uint64_t fh, bool datasync, Callback<void> done) {
  auto* state = reinterpret_cast<OpenDirState*>(fh);
  if (state->tree < 0) return done(OkStatus());
  trees_[state->tree]->FsyncDir(state->handle, datasync, Counted(std::move(done)));
}

void Filesystem::Fallocate(uint64_t fh, int mode, uint64_t offset, uint64_t length, Callback<void> done) {
  auto* state = reinterpret_cast<OpenFileState*>(fh);
  trees_[state->tree]->Fallocate(state->handle, mode, offset, length, Counted(std::move(done)));
}

void Filesystem::Lseek(uint64_t fh, uint64_t offset, int whence, Callback<uint64_t> done) {
  auto* state = reinterpret_cast<OpenFileState*>(fh);
  trees_[state->tree]->Lseek(state->handle, offset, whence, std::move(done));
}

}  // namespace ipfsfs::fs
