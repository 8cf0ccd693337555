#include "fs/tree.h"

#include <utility>

namespace ipfsfs::fs {
namespace {

tl::unexpected<Error> ReadOnly(std::string_view tree, std::string_view what) {
  return MakeError(ErrorCode::kReadOnly, std::string(tree) + "/ is read-only: " + std::string(what));
}

}  // namespace

void Tree::GetAttr(const TreeNodePtr&, const TreeEntry& known, Callback<TreeEntry> done) { done(known); }

void Tree::GetXattr(const TreeNodePtr&, std::string name, Callback<std::string> done) {
  // No ACLs, no security labels: saying "unsupported" (not "absent") lets
  // ls -l stop asking for every file of the device (coreutils remembers it).
  if (name.rfind("user.", 0) != 0) return done(MakeError(ErrorCode::kUnsupported, "no " + name + " here"));
  done(MakeError(ErrorCode::kNotFound, "no attribute " + name));
}

void Tree::ListXattr(const TreeNodePtr&, Callback<std::vector<std::string>> done) {
  done(std::vector<std::string>{});
}

void Tree::StatFs(Callback<FsStats> done) {
  FsStats stats;
  stats.read_only = read_only();
  done(stats);
}

void Tree::SetAttr(const TreeNodePtr&, const SetAttrRequest&, Callback<TreeEntry> done) {
  done(ReadOnly(name(), "setattr"));
}
void Tree::Mknod(const TreeNodePtr&, std::string n, uint32_t, uint64_t, Callback<TreeEntry> done) {
  done(ReadOnly(name(), "mknod " + n));
}
void Tree::Mkdir(const TreeNodePtr&, std::string n, uint32_t, Callback<TreeEntry> done) {
  done(ReadOnly(name(), "mkdir " + n));
}
void Tree::Symlink(const TreeNodePtr&, std::string n, std::string, Callback<TreeEntry> done) {
  done(ReadOnly(name(), "symlink " + n));
}
void Tree::Link(const TreeNodePtr&, const TreeNodePtr&, std::string n, Callback<TreeEntry> done) {
  done(ReadOnly(name(), "link " + n));
}
void Tree::Unlink(const TreeNodePtr&, std::string n, Callback<void> done) { done(ReadOnly(name(), "unlink " + n)); }
void Tree::Rmdir(const TreeNodePtr&, std::string n, Callback<void> done) { done(ReadOnly(name(), "rmdir " + n)); }
void Tree::Rename(const TreeNodePtr&, std::string n, const TreeNodePtr&, std::string, unsigned,
                  Callback<void> done) {
  done(ReadOnly(name(), "rename " + n));
}
void Tree::Create(const TreeNodePtr&, std::string n, uint32_t, int, Callback<std::pair<TreeEntry, TreeOpened>> done) {
  done(ReadOnly(name(), "create " + n));
}
void Tree::Write(const TreeHandlePtr&, uint64_t, Bytes, Callback<size_t> done) { done(ReadOnly(name(), "write")); }
void Tree::SetXattr(const TreeNodePtr&, std::string n, Bytes, int, Callback<void> done) {
  done(ReadOnly(name(), "setxattr " + n));
}
void Tree::RemoveXattr(const TreeNodePtr&, std::string n, Callback<void> done) {
  done(ReadOnly(name(), "removexattr " + n));
}
void Tree::Fsync(const TreeHandlePtr&, bool, Callback<void> done) { done(OkStatus()); }
void Tree::FsyncDir(const TreeHandlePtr&, bool, Callback<void> done) { done(OkStatus()); }
void Tree::Fallocate(const TreeHandlePtr&, int, uint64_t, uint64_t, Callback<void> done) {
  done(ReadOnly(name(), "fallocate"));
}
void Tree::Lseek(const TreeHandlePtr&, uint64_t, int, Callback<uint64_t> done) {
  done(MakeError(ErrorCode::kUnsupported, "no holes here"));
}

namespace {
thread_local const Caller* current_caller = nullptr;
}  // namespace

const Caller* CurrentCaller() { return current_caller; }
ScopedCaller::ScopedCaller(const Caller& caller) : previous_(current_caller), caller_(caller) {
  current_caller = &caller_;
}
ScopedCaller::~ScopedCaller() { current_caller = previous_; }

}  // namespace ipfsfs::fs
