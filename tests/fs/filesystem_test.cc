#include "fs/filesystem.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <set>
#include <thread>

#include <catch2/catch.hpp>

#include "fs/ipfs_tree.h"
#include "tests/support/memory_block_getter.h"
#include "tests/fs/sync_fs.h"

namespace ipfsfs::fs {
namespace {

using testing::Await;
using testing::DagBuilder;
using testing::MemoryBlockGetter;
using testing::TestLink;

constexpr Ino kIpfs = Filesystem::kFirstTreeIno;

struct World {
  MemoryBlockGetter store;
  DagBuilder dag{store};
  Bytes hello = testing::PatternBytes(10'000, 1);
  TestLink hello_link, sub, link, shard, root;
  std::vector<TestLink> shard_files;
  resolver::Resolver resolver{store};
  IpfsTree* ipfs = nullptr;  // owned by fs
  std::unique_ptr<Filesystem> fs;

  explicit World(FilesystemOptions options = {}) {
    DagBuilder::FileOptions o;
    o.chunk = 1000;
    o.max_links = 4;
    o.raw_leaves = false;
    o.mode = 0640;
    o.mtime = ipld::UnixTime{1'600'000'000, 123};
    hello_link = dag.File("hello.txt", hello, o);
    auto deep = dag.File("deep.bin", AsBytes("deep"), {});
    sub = dag.Directory("sub", {deep});
    link = dag.Symlink("link", "hello.txt");
    for (int i = 0; i < 300; ++i) {
      std::string n = "f" + std::to_string(i);
      shard_files.push_back(dag.File(n, AsBytes(n), {}));
    }
    shard = dag.Hamt("shard", shard_files, 16);
    auto secret = dag.File("secret", AsBytes("secret"), {});
    std::vector<TestLink> entries = {hello_link, link, shard, sub};
    for (std::string bad : {"..", ".", "", "a/b", "../../etc/passwd"}) entries.push_back(TestLink{bad, secret.cid, 6});
    root = dag.Directory("", entries);
    std::vector<std::unique_ptr<Tree>> trees;
    IpfsTreeOptions to;
    to.pinned_roots = [this] { return std::vector<ipld::Cid>{root.cid}; };
    auto tree = std::make_unique<IpfsTree>(resolver, to);
    ipfs = tree.get();
    trees.push_back(std::move(tree));
    fs = std::make_unique<Filesystem>(std::move(trees), options);
  }

  ~World() {
    store.WaitIdle();  // callbacks in flight point into fs
    fs.reset();
  }

  Entry MustLookup(Ino parent, const std::string& name) {
    auto e = testing::Lookup(*fs, parent, name);
    REQUIRE(e);
    REQUIRE(e->ino != 0);
    return *e;
  }
  Entry RootEntry() { return MustLookup(kIpfs, root.cid.ToString()); }

  std::vector<DirListEntry> ListAll(Ino ino) {
    auto opened = Await<OpenedDir>([&](auto cb) { fs->OpenDir(ino, cb); });
    REQUIRE(opened);
    std::vector<DirListEntry> all;
    uint64_t off = 0;
    while (true) {
      auto chunk = Await<std::vector<DirListEntry>>([&](auto cb) { fs->ReadDir(opened->fh, off, 7, cb); });
      REQUIRE(chunk);
      if (chunk->empty()) break;
      for (auto& e : *chunk) {
        off = e.next_offset;
        all.push_back(e);
      }
    }
    fs->ReleaseDir(opened->fh);
    return all;
  }

  Result<Bytes> ReadFile(Ino ino, uint64_t off, size_t len) {
    auto opened = Await<OpenedFile>([&](auto cb) { fs->Open(ino, O_RDONLY, cb); });
    if (!opened) return tl::unexpected(opened.error());
    auto reply = Await<ReadReply>([&](auto cb) { fs->Read(opened->fh, off, len, cb); });
    fs->Release(opened->fh);
    if (!reply) return tl::unexpected(reply.error());
    for (const auto& s : reply->slices) REQUIRE(s.fd < 0);  // ipfs/ answers with the blocks' own bytes
    Bytes out;
    for (const auto& s : reply->slices) Append(out, s.span());
    return out;
  }
};

TEST_CASE("Filesystem: root shows ipfs/ / ipfs/ takes any CID form") {
  World w;
  auto ipfs = w.MustLookup(kRootIno, "ipfs");
  CHECK(ipfs.ino == kIpfs);
  CHECK(S_ISDIR(ipfs.attr.mode));
  auto nothing = testing::Lookup(*w.fs, kRootIno, "ipns");
  REQUIRE(nothing);
  CHECK(nothing->ino == 0);

  auto v1 = w.RootEntry();
  CHECK(S_ISDIR(v1.attr.mode));
  CHECK((v1.attr.mode & 07777) == 0555);
  CHECK(v1.entry_timeout > 3600);
  auto v0 = w.MustLookup(kIpfs, w.root.cid.ToV0()->ToString());
  CHECK(v0.attr.mode == v1.attr.mode);
  auto b58 = w.MustLookup(kIpfs, w.root.cid.ToString(ipld::Multibase::kBase58Btc));
  CHECK(S_ISDIR(b58.attr.mode));

  auto not_cid = testing::Lookup(*w.fs, kIpfs, "hello");
  REQUIRE(not_cid);
  CHECK(not_cid->ino == 0);
  CHECK(not_cid->entry_timeout <= 1.0);  // a CID missing now may appear later
  auto unknown = testing::Lookup(*w.fs, kIpfs, w.store.Put(ToBytes("x"), ipld::Codec::kRaw).ToString());
  REQUIRE(unknown);  // present
  w.store.Remove(ipld::Cid::V1(ipld::Codec::kRaw, ipld::Multihash::Sha256(AsBytes("y"))));
  auto absent = testing::Lookup(*w.fs, kIpfs, ipld::Cid::V1(ipld::Codec::kRaw, ipld::Multihash::Sha256(AsBytes("y"))).ToString());
  REQUIRE(absent);
  CHECK(absent->ino == 0);

  auto top = w.ListAll(kIpfs);
  REQUIRE(top.size() == 3);
  CHECK(top[2].name == w.root.cid.ToString());
}

TEST_CASE("Filesystem: attributes from UnixFS / stable inodes / lookup counts") {
  World w;
  auto root = w.RootEntry();
  auto hello = w.MustLookup(root.ino, "hello.txt");
  CHECK(S_ISREG(hello.attr.mode));
  CHECK((hello.attr.mode & 0777) == 0640);
  CHECK(hello.attr.size == 10'000);
  CHECK(hello.attr.blocks == (10'000 + 511) / 512);
  CHECK(hello.attr.mtime_sec == 1'600'000'000);
  CHECK(hello.attr.mtime_nsec == 123);
  auto link = w.MustLookup(root.ino, "link");
  CHECK(S_ISLNK(link.attr.mode));
  CHECK(link.attr.size == 9);
  auto target = Await<std::string>([&](auto cb) { w.fs->ReadLink(link.ino, cb); });
  REQUIRE(target);
  CHECK(*target == "hello.txt");
  auto sub = w.MustLookup(root.ino, "sub");
  CHECK(S_ISDIR(sub.attr.mode));
  auto deep = w.MustLookup(sub.ino, "deep.bin");
  CHECK(deep.attr.size == 4);

  // Forgotten, then looked up again: same number, answered without a fetch.
  w.fs->Forget(hello.ino, 1);
  w.store.ResetCounts();
  auto again = w.MustLookup(root.ino, "hello.txt");
  CHECK(again.ino == hello.ino);
  CHECK(w.store.TotalGets() == 0);
  auto attr = testing::GetAttr(*w.fs, hello.ino);
  REQUIRE(attr);
  CHECK(attr->size == 10'000);

  auto missing = testing::Lookup(*w.fs, root.ino, "nope");
  REQUIRE(missing);
  CHECK(missing->ino == 0);
  CHECK(missing->entry_timeout > 3600);  // immutable directory: cache the negative
}

TEST_CASE("Filesystem: options override owner and modes") {
  FilesystemOptions o;
  o.uid = 1234;
  o.gid = 99;
  o.file_mode = 0600;
  o.dir_mode = 0700;
  World w(o);
  auto root = w.RootEntry();
  CHECK((root.attr.mode & 07777) == 0700);
  CHECK(root.attr.uid == 1234);
  CHECK(root.attr.gid == 99);
  auto hello = w.MustLookup(root.ino, "hello.txt");
  CHECK((hello.attr.mode & 07777) == 0600);
}

TEST_CASE("Filesystem: listings skip hostile names / include . and .. / warm children") {
  World w;
  auto root = w.RootEntry();
  auto list = w.ListAll(root.ino);
  std::vector<std::string> names;
  for (const auto& e : list) names.push_back(e.name);
  CHECK(names == std::vector<std::string>{".", "..", "hello.txt", "link", "shard", "sub"});
  CHECK(list[0].entry.attr.ino == root.ino);
  CHECK(list[1].entry.attr.ino == kIpfs);
  for (const auto& bad : {"..", ".", "a/b", "../../etc/passwd"}) {
    auto e = testing::Lookup(*w.fs, root.ino, bad);
    REQUIRE(e);
    CHECK(e->ino == 0);
  }
  // Every child's block answers at once here (a cache hit): the first
  // listing already sends them whole, so ls -l needs no LOOKUP.
  for (size_t i = 2; i < list.size(); ++i) {
    CHECK(list[i].entry.ino == list[i].entry.attr.ino);
    CHECK(list[i].entry.ino != 0);
  }
  for (int i = 0; i < 100 && w.ipfs->warm_in_flight() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  auto second = w.ListAll(root.ino);
  REQUIRE(second.size() == list.size());
  for (size_t i = 2; i < second.size(); ++i) {
    CHECK(second[i].entry.ino == list[i].entry.attr.ino);
    CHECK(second[i].entry.attr.ino == list[i].entry.attr.ino);
  }
  CHECK(S_ISREG(second[2].entry.attr.mode));
  CHECK(S_ISDIR(second[4].entry.attr.mode));
  w.fs->CommitListed(second[2].entry.ino);
  w.fs->Forget(second[2].entry.ino, 1);
}

TEST_CASE("Filesystem: children still being fetched are listed bare, then whole once warmed") {
  World w;
  auto root = w.RootEntry();
  w.store.SetDelay(std::chrono::milliseconds(5));  // blocks come from "the network"
  auto list = w.ListAll(root.ino);
  REQUIRE(list.size() == 6);
  for (size_t i = 2; i < list.size(); ++i) {
    CHECK(list[i].entry.ino == 0);  // the kernel will LOOKUP these
    CHECK(list[i].entry.attr.ino != 0);
  }
  for (int i = 0; i < 200 && w.ipfs->warm_in_flight() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  // What the background fetches learned after the listing answered is
  // remembered: the stat that follows finds the attributes without a lookup.
  for (size_t i = 2; i < list.size(); ++i) {
    INFO(list[i].name);
    auto attr = testing::GetAttr(*w.fs, list[i].entry.attr.ino);
    REQUIRE(attr);
    CHECK(attr->ino == list[i].entry.attr.ino);
  }
  auto second = w.ListAll(root.ino);
  REQUIRE(second.size() == list.size());
  for (size_t i = 2; i < second.size(); ++i) CHECK(second[i].entry.ino == list[i].entry.attr.ino);
  w.store.WaitIdle();
}

TEST_CASE("Filesystem: sharded directory listing and lookup") {
  World w;
  w.store.SetDelay(std::chrono::milliseconds(1));
  auto root = w.RootEntry();
  auto shard = w.MustLookup(root.ino, "shard");
  CHECK(S_ISDIR(shard.attr.mode));
  auto list = w.ListAll(shard.ino);
  std::set<std::string> names;
  for (size_t i = 2; i < list.size(); ++i) names.insert(list[i].name);
  CHECK(names.size() == 300);
  CHECK(list.size() == 302);
  auto f7 = w.MustLookup(shard.ino, "f7");
  CHECK(f7.attr.size == 2);
  auto data = w.ReadFile(f7.ino, 0, 100);
  REQUIRE(data);
  CHECK(AsText(*data) == "f7");
}

TEST_CASE("Filesystem: reads / EROFS / xattrs / errors") {
  World w;
  auto root = w.RootEntry();
  auto hello = w.MustLookup(root.ino, "hello.txt");
  // A leaf failing mid-file: the read fails, the next read elsewhere works.
  auto hello_root = w.store.GetBlocking(w.hello_link.cid);
  REQUIRE(hello_root);
  auto node = resolver::DecodeNode(*hello_root);
  REQUIRE(node);
  w.store.SetFailure(node->links.back().hash, ErrorCode::kTimeout);
  auto tail = w.ReadFile(hello.ino, 9'999, 1);
  REQUIRE_FALSE(tail);
  CHECK(tail.error().code == ErrorCode::kTimeout);
  CHECK(tail.error().message.find(w.hello_link.cid.ToString()) != std::string::npos);
  auto head = w.ReadFile(hello.ino, 0, 10);
  REQUIRE(head);
  w.store.ClearFailures();
  auto all = w.ReadFile(hello.ino, 0, 1 << 20);
  REQUIRE(all);
  CHECK(*all == w.hello);
  auto mid = w.ReadFile(hello.ino, 4321, 1000);
  REQUIRE(mid);
  CHECK(*mid == Bytes(w.hello.begin() + 4321, w.hello.begin() + 5321));

  for (int flags : {O_WRONLY, O_RDWR, O_RDONLY | O_TRUNC}) {
    auto opened = Await<OpenedFile>([&](auto cb) { w.fs->Open(hello.ino, flags, cb); });
    REQUIRE_FALSE(opened);
    CHECK(opened.error().code == ErrorCode::kReadOnly);
  }
  auto opened = Await<OpenedFile>([&](auto cb) { w.fs->Open(hello.ino, O_RDONLY, cb); });
  REQUIRE(opened);
  CHECK(opened->keep_cache);
  w.fs->Release(opened->fh);

  auto cid = Await<std::string>([&](auto cb) { w.fs->GetXattr(hello.ino, "user.ipfs.cid", cb); });
  REQUIRE(cid);
  CHECK(*cid == w.hello_link.cid.ToString());
  auto codec = Await<std::string>([&](auto cb) { w.fs->GetXattr(hello.ino, "user.ipfs.codec", cb); });
  REQUIRE(codec);
  CHECK(*codec == "dag-pb");
  auto size = Await<std::string>([&](auto cb) { w.fs->GetXattr(hello.ino, "user.ipfs.size", cb); });
  REQUIRE(size);
  CHECK(*size == std::to_string(w.hello_link.tsize));
  auto names = Await<std::vector<std::string>>([&](auto cb) { w.fs->ListXattr(hello.ino, cb); });
  REQUIRE(names);
  CHECK(names->size() == 3);
  auto none = Await<std::string>([&](auto cb) { w.fs->GetXattr(hello.ino, "user.other", cb); });
  REQUIRE_FALSE(none);
  CHECK(none.error().code == ErrorCode::kNotFound);
  for (const char* name : {"security.selinux", "system.posix_acl_access", "trusted.x"}) {
    auto other = Await<std::string>([&](auto cb) { w.fs->GetXattr(hello.ino, name, cb); });
    REQUIRE_FALSE(other);
    CHECK(other.error().code == ErrorCode::kUnsupported);
  }

  // A listed child whose block nobody has: an I/O error naming it, not ENOENT.
  auto sub_cid = w.sub.cid;
  w.store.SetFailure(sub_cid, ErrorCode::kNotFound);
  auto sub = testing::Lookup(*w.fs, root.ino, "sub");
  REQUIRE_FALSE(sub);
  CHECK(sub.error().code == ErrorCode::kUnavailable);
  CHECK(sub.error().message.find(sub_cid.ToString()) != std::string::npos);
  CHECK(w.fs->stats().errors >= 2);
}

}  // namespace
}  // namespace ipfsfs::fs
