// The Filesystem over trees it knows nothing about: dispatch by inode, the
// trees' own timeouts, replaced entries, descriptor read replies, writes and
// statfs forwarded, writes refused where no tree takes them.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include <catch2/catch.hpp>

#include "fs/filesystem.h"
#include "fs/ipfs_tree.h"
#include "tests/fs/local_tree.h"
#include "tests/support/memory_block_getter.h"
#include "tests/fs/sync_fs.h"

namespace ipfsfs::fs {
namespace {

using testing::Await;
using testing::LocalTree;

constexpr Ino kIpfsTop = Filesystem::kFirstTreeIno;
constexpr Ino kLocalTop = Filesystem::kFirstTreeIno + 1;

struct LocalWorld {
  std::string dir;
  testing::MemoryBlockGetter store;
  resolver::Resolver resolver{store};
  LocalTree* local = nullptr;  // owned by fs
  std::unique_ptr<Filesystem> fs;

  LocalWorld() {
    char tmpl[] = "/tmp/ipfsfs-local-XXXXXX";
    REQUIRE(mkdtemp(tmpl));
    dir = tmpl;
    WriteFile("data.txt", "0123456789abcdef");
    std::vector<std::unique_ptr<Tree>> trees;
    trees.push_back(std::make_unique<IpfsTree>(resolver));
    auto tree = std::make_unique<LocalTree>(dir);
    local = tree.get();
    trees.push_back(std::move(tree));
    fs = std::make_unique<Filesystem>(std::move(trees));
  }
  ~LocalWorld() {
    fs.reset();
    int rc = std::system(("rm -rf " + dir).c_str());
    (void)rc;
  }
  void WriteFile(const std::string& name, const std::string& text) {
    FILE* f = fopen((dir + "/" + name).c_str(), "w");
    REQUIRE(f);
    fputs(text.c_str(), f);
    fclose(f);
  }
  Entry MustLookup(Ino parent, const std::string& name) {
    auto e = testing::Lookup(*fs, parent, name);
    REQUIRE(e);
    REQUIRE(e->ino != 0);
    return *e;
  }
};

TEST_CASE("Filesystem + tree: entries carry the tree's own timeouts / negatives too") {
  LocalWorld w;
  auto data = w.MustLookup(kLocalTop, "data.txt");
  CHECK(data.entry_timeout == 2.5);
  CHECK(data.attr_timeout == 1.5);
  CHECK(w.fs->AttrTimeout(data.ino) == 1.5);
  CHECK(data.attr.size == 16);
  auto none = testing::Lookup(*w.fs, kLocalTop, "absent");
  REQUIRE(none);
  CHECK(none->ino == 0);
  CHECK(none->entry_timeout == 0.5);
  w.local->attr_timeout = 7;  // a later answer replaces what the table kept
  w.WriteFile("data.txt", "longer than before, now");
  auto again = w.MustLookup(kLocalTop, "data.txt");
  CHECK(again.ino == data.ino);
  CHECK(again.attr.size == 23);
  CHECK(w.fs->AttrTimeout(data.ino) == 7);
  w.fs->Forget(data.ino, 2);
}

TEST_CASE("Filesystem + tree: a name whose identity changed gets a fresh inode; the old one answers until forgotten") {
  LocalWorld w;
  auto v0 = w.MustLookup(kLocalTop, "data.txt");
  w.local->SetVersion("data.txt", 1);
  auto v1 = w.MustLookup(kLocalTop, "data.txt");
  CHECK(v1.ino != v0.ino);
  auto old_attr = testing::GetAttr(*w.fs, v0.ino);
  CHECK(old_attr);  // the kernel may still use the old number
  w.fs->Forget(v0.ino, 1);
  auto gone = testing::GetAttr(*w.fs, v0.ino);
  REQUIRE_FALSE(gone);
  CHECK(gone.error().code == ErrorCode::kNotFound);
  auto same = w.MustLookup(kLocalTop, "data.txt");
  CHECK(same.ino == v1.ino);
}

TEST_CASE("Filesystem + tree: a read can answer with a descriptor range") {
  LocalWorld w;
  auto data = w.MustLookup(kLocalTop, "data.txt");
  auto opened = Await<OpenedFile>([&](auto cb) { w.fs->Open(data.ino, O_RDONLY, cb); });
  REQUIRE(opened);
  auto reply = Await<ReadReply>([&](auto cb) { w.fs->Read(opened->fh, 4, 6, cb); });
  REQUIRE(reply);
  REQUIRE(reply->slices.size() == 1);
  const ReadSlice& range = reply->slices[0];
  REQUIRE(range.fd >= 0);
  CHECK(range.fd_offset == 4);
  CHECK(range.length == 6);
  char buf[6];
  REQUIRE(pread(range.fd, buf, sizeof buf, static_cast<off_t>(range.fd_offset)) == 6);
  CHECK(std::string(buf, 6) == "456789");
  CHECK(w.fs->stats().read_bytes == 6);
  w.fs->Release(opened->fh);
}

TEST_CASE("Filesystem + tree: writes go to the owning tree / EROFS from read-only trees and the root / no cross-tree rename") {
  LocalWorld w;
  auto made = Await<Entry>([&](auto cb) { w.fs->Mkdir(kLocalTop, "newdir", 0755, cb); });
  REQUIRE(made);
  CHECK(made->ino != 0);
  CHECK(S_ISDIR(made->attr.mode));
  struct stat st {};
  CHECK(stat((w.dir + "/newdir").c_str(), &st) == 0);
  auto found = w.MustLookup(kLocalTop, "newdir");
  CHECK(found.ino == made->ino);

  auto ipfs = Await<Entry>([&](auto cb) { w.fs->Mkdir(kIpfsTop, "x", 0755, cb); });
  REQUIRE_FALSE(ipfs);
  CHECK(ipfs.error().code == ErrorCode::kReadOnly);
  auto root = Await<Entry>([&](auto cb) { w.fs->Mkdir(kRootIno, "x", 0755, cb); });
  REQUIRE_FALSE(root);
  CHECK(root.error().code == ErrorCode::kReadOnly);
  auto unlink_ipfs = Await<void>([&](auto cb) { w.fs->Unlink(kIpfsTop, "x", cb); });
  REQUIRE_FALSE(unlink_ipfs);
  CHECK(unlink_ipfs.error().code == ErrorCode::kReadOnly);
  auto across = Await<void>([&](auto cb) { w.fs->Rename(kLocalTop, "data.txt", kIpfsTop, "d", 0, cb); });
  REQUIRE_FALSE(across);
  CHECK(across.error().code == ErrorCode::kUnsupported);  // EXDEV
  auto removed = Await<void>([&](auto cb) { w.fs->Unlink(kLocalTop, "data.txt", cb); });
  CHECK(removed);
  CHECK(access((w.dir + "/data.txt").c_str(), F_OK) != 0);
}

TEST_CASE("Filesystem + tree: statfs is read-only only where every tree is") {
  LocalWorld w;
  auto root = Await<FsStats>([&](auto cb) { w.fs->StatFs(kRootIno, cb); });
  REQUIRE(root);
  CHECK_FALSE(root->read_only);
  auto ipfs = Await<FsStats>([&](auto cb) { w.fs->StatFs(kIpfsTop, cb); });
  REQUIRE(ipfs);
  CHECK(ipfs->read_only);
  auto local = Await<FsStats>([&](auto cb) { w.fs->StatFs(kLocalTop, cb); });
  REQUIRE(local);
  CHECK_FALSE(local->read_only);
  CHECK(local->blocks == 1000);

  testing::MemoryBlockGetter store;
  resolver::Resolver resolver{store};
  std::vector<std::unique_ptr<Tree>> trees;
  trees.push_back(std::make_unique<IpfsTree>(resolver));
  Filesystem only_ipfs(std::move(trees));
  auto ro = Await<FsStats>([&](auto cb) { only_ipfs.StatFs(kRootIno, cb); });
  REQUIRE(ro);
  CHECK(ro->read_only);
}

}  // namespace
}  // namespace ipfsfs::fs
