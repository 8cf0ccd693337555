// StageDag and the StagingTree's placeholders over an in-memory block getter:
// placeholders of the exact size with their marks, modes and mtimes from UnixFS
// metadata, symlinks; errors (an existing name, a missing parent, a missing
// block) leave nothing; placeholders read from the blocks, are materialized
// in place on the first open for writing, and a truncate to 0 fetches nothing.
#include "fs/stager.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>

#include "fs/errors.h"
#include "fs/filesystem.h"
#include "fs/staging_tree.h"
#include "tests/fs/sync_fs.h"
#include "tests/support/memory_block_getter.h"
#include "tests/support/test_dag.h"
#include "writeback/staged_mark.h"

namespace ipfsfs::fs {
namespace {

using testing::Await;

std::optional<writeback::StagedMark> Mark(const std::string& path) { return writeback::ReadStagedMark(path); }

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

struct Site {
  testing::MemoryBlockGetter getter;
  resolver::Resolver resolver{getter};
  testing::DagBuilder dag{getter};
  Bytes big = testing::RandomBytes(10000, 7);  // 10 leaves of 1 KiB, two levels
  testing::TestLink file, small, link, sub, root;
  std::string dir;

  Site() {
    testing::DagBuilder::FileOptions o;
    o.mode = 0600;
    o.mtime = ipld::UnixTime{1'600'000'000, std::nullopt};
    file = dag.File("big.bin", big, o);
    small = dag.File("small.txt", AsBytes("hello\n"), testing::DagBuilder::FileOptions{});
    link = dag.Symlink("home", "small.txt");
    sub = dag.Directory("sub", {small}, 0750);
    root = dag.Directory("site", {file, link, sub});
    char tmpl[] = "/tmp/ipfsfs-stager-XXXXXX";
    REQUIRE(::mkdtemp(tmpl));
    dir = std::string(tmpl) + "/staging";
    std::filesystem::create_directory(dir);
  }
  ~Site() { std::filesystem::remove_all(std::filesystem::path(dir).parent_path()); }
  bool LeftOvers() const {
    std::error_code ec;
    return !std::filesystem::is_empty(dir + ".stage", ec) && !ec;
  }
};

TEST_CASE("stage: placeholders of the exact size, marked, with UnixFS metadata; no leaf fetched", "[stage]") {
  Site s;
  s.getter.ResetCounts();
  auto r = StageDag(s.resolver, s.dir, "/ipfs/" + s.root.cid.ToString(), "site");
  INFO((r ? "" : r.error().message));
  REQUIRE(r);
  CHECK(r->cid == s.root.cid);
  CHECK(r->files == 2);
  CHECK(r->directories == 2);
  CHECK(r->symlinks == 1);
  CHECK(r->bytes == 10000 + 6);
  // The two directories and the big file's root: no leaf, and not small.txt
  // (a raw block: its link says its size).
  CHECK(s.getter.TotalGets() == 4);  // and the symlink's block
  CHECK(s.getter.GetCount(s.small.cid) == 0);

  struct stat st {};
  REQUIRE(::lstat((s.dir + "/site/big.bin").c_str(), &st) == 0);
  CHECK(st.st_size == 10000);
  CHECK((st.st_mode & 07777) == 0600);
  CHECK(st.st_mtim.tv_sec == 1'600'000'000);
  CHECK(st.st_blocks * 512 < 10000);
  auto m = Mark(s.dir + "/site/big.bin");
  REQUIRE(m);
  CHECK(m->cid == s.file.cid);
  CHECK(m->tsize == s.file.tsize);
  CHECK(m->size == 10000);
  REQUIRE(::lstat((s.dir + "/site/sub").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0750);
  REQUIRE(::lstat((s.dir + "/site").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0755);
  CHECK(std::filesystem::read_symlink(s.dir + "/site/home") == "small.txt");
  auto dm = Mark(s.dir + "/site");
  REQUIRE(dm);
  CHECK(dm->directory);
  CHECK(dm->cid == s.root.cid);
  CHECK(dm->fingerprint == writeback::StagedFingerprint({{"big.bin", s.file.cid, s.file.tsize, {}},
                                                         {"home", std::nullopt, 0, "small.txt"},
                                                         {"sub", s.sub.cid, s.sub.tsize, {}}}));
  CHECK_FALSE(s.LeftOvers());

  SECTION("a file CID, and a sub path, stage alone") {
    auto f = StageDag(s.resolver, s.dir, s.file.cid.ToString(), "site/sub/copy.bin");
    REQUIRE(f);
    CHECK(f->files == 1);
    CHECK(std::filesystem::file_size(s.dir + "/site/sub/copy.bin") == 10000);
    auto p = StageDag(s.resolver, s.dir, "/ipfs/" + s.root.cid.ToString() + "/sub", "sub2");
    REQUIRE(p);
    CHECK(p->cid == s.sub.cid);
    CHECK(Mark(s.dir + "/sub2/small.txt"));
    struct stat top {};
    REQUIRE(::lstat((s.dir + "/sub2").c_str(), &top) == 0);
    CHECK((top.st_mode & 07777) == 0750);  // the top directory's mode too, set once in place
  }
}

TEST_CASE("stage: an existing name, a missing parent, a bad path, a missing block leave nothing", "[stage]") {
  Site s;
  REQUIRE(StageDag(s.resolver, s.dir, s.root.cid.ToString(), "site"));
  auto again = StageDag(s.resolver, s.dir, s.root.cid.ToString(), "site");
  REQUIRE_FALSE(again);
  CHECK(again.error().sys_errno == EEXIST);
  auto orphan = StageDag(s.resolver, s.dir, s.root.cid.ToString(), "no/such/x");
  REQUIRE_FALSE(orphan);
  CHECK(orphan.error().code == ErrorCode::kNotFound);
  for (std::string bad : {"", "/abs", "a/../b", "a//b", "."}) {
    INFO(bad);
    auto r = StageDag(s.resolver, s.dir, s.root.cid.ToString(), bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::kInvalidArgument);
  }
  s.getter.SetFailure(s.sub.cid, ErrorCode::kNotFound);
  resolver::Resolver fresh(s.getter);  // no node cached from the stage above
  auto missing = StageDag(fresh, s.dir, s.root.cid.ToString(), "half");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message.find("staging/half/sub") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(s.dir + "/half"));
  CHECK_FALSE(s.LeftOvers());
}

TEST_CASE("staging tree: placeholders read from blocks, materialize on write, truncate to 0 fetches nothing",
          "[stage]") {
  Site s;
  REQUIRE(StageDag(s.resolver, s.dir, s.root.cid.ToString(), "site"));
  auto t = StagingTree::Open(s.dir);
  REQUIRE(t);
  StagingTree* tree = t->get();
  tree->SetPlaceholderSource(&s.resolver);
  std::vector<std::unique_ptr<Tree>> trees;
  trees.push_back(std::move(*t));
  Filesystem fs(std::move(trees), FilesystemOptions{});
  auto site = testing::Lookup(fs, Filesystem::kFirstTreeIno, "site");
  REQUIRE(site);
  auto big = testing::Lookup(fs, site->ino, "big.bin");
  REQUIRE(big);
  CHECK(big->attr.size == 10000);
  auto cid = Await<std::string>([&](auto cb) { fs.GetXattr(big->ino, "user.ipfs.cid", cb); });
  REQUIRE(cid);
  CHECK(*cid == s.file.cid.ToString());
  auto hidden = Await<std::string>([&](auto cb) { fs.GetXattr(big->ino, std::string(writeback::kStagedXattr), cb); });
  REQUIRE_FALSE(hidden);
  CHECK(ToErrno(hidden.error(), ErrnoContext::kXattr) == ENODATA);
  auto names = Await<std::vector<std::string>>([&](auto cb) { fs.ListXattr(big->ino, cb); });
  REQUIRE(names);
  CHECK(*names == std::vector<std::string>{"user.ipfs.cid"});

  // Read-only: the bytes come from the blocks; the backing file stays sparse.
  auto ro = Await<OpenedFile>([&](auto cb) { fs.Open(big->ino, O_RDONLY, cb); });
  REQUIRE(ro);
  auto read = Await<ReadReply>([&](auto cb) { fs.Read(ro->fh, 1500, 3000, cb); });
  REQUIRE(read);
  std::string got;
  for (const auto& sl : read->slices) got.append(reinterpret_cast<const char*>(sl.data), sl.length);
  CHECK(got == std::string(reinterpret_cast<const char*>(s.big.data()) + 1500, 3000));
  CHECK(Mark(s.dir + "/site/big.bin"));

  // For writing: materialized in place before the open answers.
  auto rw = Await<OpenedFile>([&](auto cb) { fs.Open(big->ino, O_RDWR, cb); });
  REQUIRE(rw);
  CHECK_FALSE(Mark(s.dir + "/site/big.bin"));
  CHECK(Slurp(s.dir + "/site/big.bin") == std::string(reinterpret_cast<const char*>(s.big.data()), s.big.size()));
  struct stat st {};
  REQUIRE(::stat((s.dir + "/site/big.bin").c_str(), &st) == 0);
  CHECK(st.st_mtim.tv_sec == 1'600'000'000);  // materializing is not a change
  // The read-only handle now reads the local file (the same bytes).
  auto again = Await<ReadReply>([&](auto cb) { fs.Read(ro->fh, 0, 10, cb); });
  REQUIRE(again);
  REQUIRE(again->slices.size() == 1);
  CHECK(again->slices[0].fd >= 0);
  fs.Release(ro->fh);
  fs.Release(rw->fh);

  // Truncate to 0: no block asked for, the mark gone.
  auto sub = testing::Lookup(fs, site->ino, "sub");
  REQUIRE(sub);
  auto small = testing::Lookup(fs, sub->ino, "small.txt");
  REQUIRE(small);
  s.getter.ResetCounts();
  SetAttrRequest zero;
  zero.size = 0;
  auto truncated = Await<Attr>([&](auto cb) { fs.SetAttr(small->ino, zero, cb); });
  REQUIRE(truncated);
  CHECK(truncated->size == 0);
  CHECK(s.getter.TotalGets() == 0);
  CHECK_FALSE(Mark(s.dir + "/site/sub/small.txt"));

  // O_TRUNC (atomic_o_trunc passes it with the open): no fetch either.
  REQUIRE(StageDag(s.resolver, s.dir, s.file.cid.ToString(), "again.bin"));
  auto again_bin = testing::Lookup(fs, Filesystem::kFirstTreeIno, "again.bin");
  REQUIRE(again_bin);
  s.getter.ResetCounts();
  auto trunc = Await<OpenedFile>([&](auto cb) { fs.Open(again_bin->ino, O_WRONLY | O_TRUNC, cb); });
  REQUIRE(trunc);
  CHECK(s.getter.TotalGets() == 0);
  CHECK(std::filesystem::file_size(s.dir + "/again.bin") == 0);
  CHECK_FALSE(Mark(s.dir + "/again.bin"));
  fs.Release(trunc->fh);
}

TEST_CASE("staging tree: a placeholder whose blocks are missing fails its open for writing, stays one", "[stage]") {
  Site s;
  REQUIRE(StageDag(s.resolver, s.dir, s.root.cid.ToString(), "site"));
  auto t = StagingTree::Open(s.dir);
  REQUIRE(t);
  (*t)->SetPlaceholderSource(&s.resolver);
  std::vector<std::unique_ptr<Tree>> trees;
  trees.push_back(std::move(*t));
  Filesystem fs(std::move(trees), FilesystemOptions{});
  auto site = testing::Lookup(fs, Filesystem::kFirstTreeIno, "site");
  REQUIRE(site);
  auto big = testing::Lookup(fs, site->ino, "big.bin");
  REQUIRE(big);
  auto rw = [&] { return Await<OpenedFile>([&](auto cb) { fs.Open(big->ino, O_WRONLY, cb); }); };
  // Fail the first leaf (the DAG's leaves are raw blocks of the content's 1 KiB chunks).
  Bytes first(s.big.begin(), s.big.begin() + 1024);
  auto leaf_cid = s.getter.Put(first, ipld::Codec::kRaw, 1);
  s.getter.SetFailure(leaf_cid, ErrorCode::kUnavailable);
  auto r = rw();
  REQUIRE_FALSE(r);
  CHECK(ToErrno(r.error()) == EIO);
  CHECK(Mark(s.dir + "/site/big.bin"));
  s.getter.ClearFailures();
  REQUIRE(rw());
  CHECK_FALSE(Mark(s.dir + "/site/big.bin"));
}

TEST_CASE("staging tree: concurrent writers of one placeholder share one copy", "[stage]") {
  Site s;
  REQUIRE(StageDag(s.resolver, s.dir, s.root.cid.ToString(), "site"));
  auto t = StagingTree::Open(s.dir);
  REQUIRE(t);
  (*t)->SetPlaceholderSource(&s.resolver);
  std::vector<std::unique_ptr<Tree>> trees;
  trees.push_back(std::move(*t));
  Filesystem fs(std::move(trees), FilesystemOptions{});
  auto site = testing::Lookup(fs, Filesystem::kFirstTreeIno, "site");
  REQUIRE(site);
  auto big = testing::Lookup(fs, site->ino, "big.bin");
  REQUIRE(big);
  // Blocks answer from the getter's timer thread: the second open finds the
  // first one's copy running and waits for it.
  s.getter.SetDelay(std::chrono::milliseconds(5));
  auto p1 = std::make_shared<std::promise<Result<OpenedFile>>>();
  auto p2 = std::make_shared<std::promise<Result<OpenedFile>>>();
  fs.Open(big->ino, O_RDWR, [p1](Result<OpenedFile> r) { p1->set_value(std::move(r)); });
  fs.Open(big->ino, O_WRONLY, [p2](Result<OpenedFile> r) { p2->set_value(std::move(r)); });
  auto f1 = p1->get_future();
  auto f2 = p2->get_future();
  REQUIRE(f1.wait_for(std::chrono::seconds(20)) == std::future_status::ready);
  REQUIRE(f2.wait_for(std::chrono::seconds(20)) == std::future_status::ready);
  auto r1 = f1.get();
  auto r2 = f2.get();
  REQUIRE(r1);
  REQUIRE(r2);
  CHECK_FALSE(Mark(s.dir + "/site/big.bin"));
  CHECK(Slurp(s.dir + "/site/big.bin") == std::string(reinterpret_cast<const char*>(s.big.data()), s.big.size()));
  fs.Release(r1->fh);
  fs.Release(r2->fh);
  s.getter.SetDelay(std::chrono::milliseconds(0));
}

}  // namespace
}  // namespace ipfsfs::fs
