// IpnsTree through the Filesystem (no FUSE): names resolve to content served
// by the IpfsTree machinery; a name that moves gets a fresh inode after its
// TTL; failures are ENOENT (negative entries) or errors, never a hang.
#include "fs/ipns_tree.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "fs/filesystem.h"
#include "ipld/ipns_name.h"
#include "resolver/names.h"
#include "tests/fs/sync_fs.h"
#include "tests/ipld/ipns_test_keys.h"
#include "tests/support/fake_clock.h"
#include "tests/support/fake_record_source.h"
#include "tests/support/memory_block_getter.h"

namespace ipfsfs::fs {
namespace {

using testing::Await;
using testing::DagBuilder;
using testing::TestKey;

constexpr Ino kIpns = Filesystem::kFirstTreeIno;

const TestKey& Key() {
  static TestKey key = TestKey::Ed25519("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
  return key;
}

Bytes Record(const std::string& value, int64_t seq, int64_t ttl_ns) {
  ipld::IpnsData d = testing::SampleData();
  d.value = ToBytes(value);
  d.sequence = seq;
  d.ttl = ttl_ns;
  return Key().MakeRecord(d, true, false);
}

struct World {
  testing::MemoryBlockGetter store;
  DagBuilder dag{store};
  testing::TestLink dir_a, dir_b;
  resolver::Resolver resolver{store};
  testing::FakeRecordSource source{"fake"};
  std::unique_ptr<resolver::NameStore> names_store = resolver::NewMemoryNameStore();
  resolver::IpnsRecordResolver ipns{{&source}, *names_store};
  testing::FakeClock clock;
  std::unique_ptr<resolver::Names> names;
  std::unique_ptr<Filesystem> fs;
  std::string key = ipld::FormatIpnsName(Key().name());

  World() {
    dir_a = dag.Directory("", {dag.File("hello.txt", AsBytes("A"), {})});
    dir_b = dag.Directory("", {dag.File("hello.txt", AsBytes("B!"), {}), dag.File("new.txt", AsBytes("n"), {})});
    resolver::NamesOptions no;
    no.clock = clock.AsFunction();
    names = std::make_unique<resolver::Names>(&ipns, nullptr, no);
    IpnsTreeOptions o;
    o.clock = clock.AsFunction();
    std::vector<std::unique_ptr<Tree>> trees;
    trees.push_back(std::make_unique<IpnsTree>(*names, std::make_unique<IpfsTree>(resolver), o));
    fs = std::make_unique<Filesystem>(std::move(trees));
  }
  ~World() {
    store.WaitIdle();
    fs.reset();
  }
  Result<Bytes> Cat(Ino ino) {
    auto opened = Await<OpenedFile>([&](auto cb) { fs->Open(ino, O_RDONLY, cb); });
    if (!opened) return tl::unexpected(opened.error());
    auto reply = Await<ReadReply>([&](auto cb) { fs->Read(opened->fh, 0, 100, cb); });
    fs->Release(opened->fh);
    if (!reply) return tl::unexpected(reply.error());
    Bytes out;
    for (const auto& s : reply->slices) Append(out, s.span());
    return out;
  }
};

TEST_CASE("IpnsTree: a name shows its content, after the TTL a moved name shows the new content", "[ipns]") {
  World w;
  w.source.Set(Key().name(), Record("/ipfs/" + w.dir_a.cid.ToString(), 1, 30'000'000'000));  // TTL 30 s
  auto root = testing::Lookup(*w.fs, kIpns, w.key);
  REQUIRE(root);
  REQUIRE(root->ino != 0);
  CHECK(root->entry_timeout == Approx(30.0));
  auto hello = testing::Lookup(*w.fs, root->ino, "hello.txt");
  REQUIRE(hello);
  REQUIRE(hello->ino != 0);
  CHECK(w.Cat(hello->ino) == ToBytes("A"));
  auto seq = Await<std::string>([&](auto cb) { w.fs->GetXattr(root->ino, "user.ipns.sequence", cb); });
  CHECK(seq == std::string("1"));
  auto cid = Await<std::string>([&](auto cb) { w.fs->GetXattr(root->ino, "user.ipfs.cid", cb); });
  CHECK(cid == w.dir_a.cid.ToString());

  // The name moves; inside its TTL the old value stays.
  w.source.Set(Key().name(), Record("/ipfs/" + w.dir_b.cid.ToString(), 2, 30'000'000'000));
  w.clock.Advance(std::chrono::seconds(10));
  auto same = testing::Lookup(*w.fs, kIpns, w.key);
  REQUIRE(same);
  CHECK(same->ino == root->ino);
  CHECK(w.source.requests == 1);
  // Past the TTL: the stale answer comes once with a zero timeout (the refresh runs), then the new node.
  w.clock.Advance(std::chrono::seconds(21));
  auto stale = testing::Lookup(*w.fs, kIpns, w.key);
  REQUIRE(stale);
  CHECK(stale->entry_timeout == 0);
  auto moved = testing::Lookup(*w.fs, kIpns, w.key);
  REQUIRE(moved);
  CHECK(moved->ino != root->ino);
  auto hello2 = testing::Lookup(*w.fs, moved->ino, "hello.txt");
  REQUIRE(hello2);
  CHECK(w.Cat(hello2->ino) == ToBytes("B!"));
  CHECK(testing::Lookup(*w.fs, moved->ino, "new.txt")->ino != 0);
  // A file opened before keeps reading the old content.
  CHECK(w.Cat(hello->ino) == ToBytes("A"));
}

TEST_CASE("IpnsTree: paths in values, listings of ipns/, and failures", "[ipns]") {
  World w;
  SECTION("a value with a path shows that node") {
    w.source.Set(Key().name(), Record("/ipfs/" + w.dir_a.cid.ToString() + "/hello.txt", 1, 0));
    auto e = testing::Lookup(*w.fs, kIpns, w.key);
    REQUIRE(e);
    REQUIRE(e->ino != 0);
    CHECK(S_ISREG(e->attr.mode));
    CHECK(w.Cat(e->ino) == ToBytes("A"));
    auto opened = Await<OpenedDir>([&](auto cb) { w.fs->OpenDir(kIpns, cb); });
    REQUIRE(opened);
    auto list = Await<std::vector<DirListEntry>>([&](auto cb) { w.fs->ReadDir(opened->fh, 0, 100, cb); });
    REQUIRE(list);
    bool found = false;
    for (const auto& d : *list) found |= d.name == w.key;
    CHECK(found);
    w.fs->ReleaseDir(opened->fh);
  }
  SECTION("unknown, forged and not-a-name are negative entries") {
    auto e = testing::Lookup(*w.fs, kIpns, w.key);
    REQUIRE(e);
    CHECK(e->ino == 0);
    auto forged = *ipld::IpnsEntry::Decode(Record("/ipfs/" + w.dir_a.cid.ToString(), 1, 0));
    (*forged.signature_v2)[0] ^= std::byte{1};
    w.source.Set(Key().name(), forged.Encode());
    CHECK(testing::Lookup(*w.fs, kIpns, w.key)->ino == 0);
    CHECK(testing::Lookup(*w.fs, kIpns, "not-a-name")->ino == 0);
  }
  SECTION("a dead source is an error") {
    w.source.SetFailing(true);
    auto e = testing::Lookup(*w.fs, kIpns, w.key);
    REQUIRE_FALSE(e);
    CHECK(e.error().code == ErrorCode::kUnavailable);
  }
}

}  // namespace
}  // namespace ipfsfs::fs
