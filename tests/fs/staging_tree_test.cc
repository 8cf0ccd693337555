// StagingTree without FUSE, through the Filesystem: errors carry the backing
// errno, names of one object share an inode number, the CidOverlay answers
// user.ipfs.cid (the staging root included), owners are the files' own.
#include "fs/staging_tree.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <fstream>

#include <catch2/catch.hpp>

#include "fs/errors.h"
#include "fs/filesystem.h"
#include "tests/fs/sync_fs.h"

namespace ipfsfs::fs {
namespace {

using testing::Await;

struct World {
  std::string dir;
  StagingTree* tree = nullptr;
  std::unique_ptr<Filesystem> fs;
  Ino top = Filesystem::kFirstTreeIno;
  World() {
    char tmpl[] = "/tmp/ipfsfs-staging-tree-XXXXXX";
    REQUIRE(mkdtemp(tmpl));
    dir = tmpl;
    auto t = StagingTree::Open(dir);
    REQUIRE(t);
    tree = t->get();
    std::vector<std::unique_ptr<Tree>> trees;
    trees.push_back(std::move(*t));
    FilesystemOptions o;
    o.uid = 4242;  // the mount's owner: not shown for staged entries
    fs = std::make_unique<Filesystem>(std::move(trees), o);
  }
  ~World() {
    fs.reset();
    std::string cmd = "rm -rf '" + dir + "'";
    (void)!system(cmd.c_str());
  }
  Result<Entry> Mkdir(Ino parent, const std::string& name) {
    return Await<Entry>([&](auto cb) { fs->Mkdir(parent, name, 0755, cb); });
  }
};

TEST_CASE("SystemError keeps the errno in every context and through Wrap") {
  Error e = SystemError(ENOTEMPTY, "d");
  CHECK(ToErrno(e) == ENOTEMPTY);
  CHECK(ToErrno(e.Wrap("rmdir"), ErrnoContext::kCrossTree) == ENOTEMPTY);
  CHECK(ToErrno(SystemError(ENODATA, "x"), ErrnoContext::kXattr) == ENODATA);
  CHECK(SystemError(ENOENT, "x").code == ErrorCode::kNotFound);
  CHECK(SystemError(ENOSPC, "x").code == ErrorCode::kNoSpace);
}

TEST_CASE("staging tree: backing errnos, own owners, shared inode numbers, the CID overlay") {
  World w;
  auto d = w.Mkdir(w.top, "d");
  REQUIRE(d);
  CHECK(d->attr.uid == geteuid());  // the file's owner, not the mount's 4242
  CHECK((d->attr.mode & 07777) == 0755);
  auto again = w.Mkdir(w.top, "d");
  REQUIRE(!again);
  CHECK(ToErrno(again.error()) == EEXIST);
  REQUIRE(w.Mkdir(d->ino, "sub"));
  auto rm = Await<void>([&](auto cb) { w.fs->Rmdir(w.top, "d", cb); });
  REQUIRE(!rm);
  CHECK(ToErrno(rm.error()) == ENOTEMPTY);
  auto missing = testing::Lookup(*w.fs, w.top, "nothing");
  REQUIRE(missing);
  CHECK(missing->ino == 0);

  // A hard link and a renamed name are the same inode.
  std::ofstream(w.dir + "/f") << "data";
  auto f = testing::Lookup(*w.fs, w.top, "f");
  REQUIRE(f);
  REQUIRE(f->ino != 0);
  auto link = Await<Entry>([&](auto cb) { w.fs->Link(f->ino, d->ino, "g", cb); });
  REQUIRE(link);
  CHECK(link->ino == f->ino);
  CHECK(link->attr.nlink == 2);
  REQUIRE(Await<void>([&](auto cb) { w.fs->Rename(w.top, "f", w.top, "h", 0, cb); }));
  auto h = testing::Lookup(*w.fs, w.top, "h");
  REQUIRE(h);
  CHECK(h->ino == f->ino);

  // user.ipfs.cid comes from the overlay only; the root answers for itself.
  auto none = Await<std::string>([&](auto cb) { w.fs->GetXattr(d->ino, "user.ipfs.cid", cb); });
  REQUIRE(!none);
  CHECK(ToErrno(none.error(), ErrnoContext::kXattr) == ENODATA);
  w.tree->cids().Set("d", "bafyd");
  w.tree->cids().Set("", "bafyroot");
  auto cid = Await<std::string>([&](auto cb) { w.fs->GetXattr(d->ino, "user.ipfs.cid", cb); });
  REQUIRE(cid);
  CHECK(*cid == "bafyd");
  auto root = Await<std::string>([&](auto cb) { w.fs->GetXattr(w.top, "user.ipfs.cid", cb); });
  REQUIRE(root);
  CHECK(*root == "bafyroot");
  auto names = Await<std::vector<std::string>>([&](auto cb) { w.fs->ListXattr(d->ino, cb); });
  REQUIRE(names);
  CHECK(std::count(names->begin(), names->end(), "user.ipfs.cid") == 1);
  auto set = Await<void>([&](auto cb) { w.fs->SetXattr(d->ino, "user.ipfs.cid", Bytes{}, 0, cb); });
  REQUIRE(!set);
  CHECK(ToErrno(set.error(), ErrnoContext::kXattr) == EPERM);
}

}  // namespace
}  // namespace ipfsfs::fs
