#include "resolver/resolver.h"

#include <algorithm>
#include <future>
#include <set>

#include <catch2/catch.hpp>

#include "ipld/hamt.h"
#include "resolver/directory_stream.h"
#include "tests/support/memory_block_getter.h"

namespace ipfsfs::resolver {
namespace {

using testing::DagBuilder;
using testing::MemoryBlockGetter;
using testing::TestLink;

Result<NodePtr> Resolve(Resolver& r, std::string_view path) {
  std::promise<Result<NodePtr>> p;
  r.ResolvePath(path, [&](Result<NodePtr> n) { p.set_value(std::move(n)); });
  return p.get_future().get();
}

Result<NodePtr> LookupIn(Resolver& r, NodePtr dir, std::string name) {
  std::promise<Result<NodePtr>> p;
  r.Lookup(std::move(dir), std::move(name), [&](Result<NodePtr> n) { p.set_value(std::move(n)); });
  return p.get_future().get();
}

std::vector<TestLink> ManyFiles(DagBuilder& dag, size_t n) {
  std::vector<TestLink> out;
  DagBuilder::FileOptions o;
  for (size_t i = 0; i < n; ++i) {
    std::string name = "file-" + std::to_string(i) + ".txt";
    out.push_back(dag.File(name, AsBytes(name), o));
  }
  return out;
}

TEST_CASE("ResolvePath walks /ipfs/<cid>/a/b in every CID form") {
  MemoryBlockGetter store;
  DagBuilder dag(store);
  auto b = dag.File("b.txt", AsBytes("bee"), {});
  auto a = dag.Directory("a", {b});
  auto link = dag.Symlink("s", "a/b.txt");
  auto root = dag.Directory("", {a, link});
  Resolver r(store);

  std::string v1 = root.cid.ToString();
  std::string v0 = root.cid.ToV0()->ToString();
  std::string b36 = root.cid.ToString(ipld::Multibase::kBase36);
  for (const std::string& form : {v1, v0, b36}) {
    auto node = Resolve(r, "/ipfs/" + form + "/a/b.txt");
    REQUIRE(node);
    CHECK((*node)->info.cid == b.cid);
    CHECK((*node)->info.size == 3);
  }
  auto no_prefix = Resolve(r, v1 + "/a");
  REQUIRE(no_prefix);
  CHECK((*no_prefix)->info.cid == a.cid);
  auto sym = Resolve(r, "ipfs/" + v1 + "/s");
  REQUIRE(sym);
  CHECK((*sym)->info.symlink_target == "a/b.txt");

  auto missing = Resolve(r, "/ipfs/" + v1 + "/a/nope");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == ErrorCode::kNotFound);
  auto through_file = Resolve(r, "/ipfs/" + v1 + "/a/b.txt/x");
  REQUIRE_FALSE(through_file);
  CHECK(through_file.error().code == ErrorCode::kNotFound);
  auto dotdot = Resolve(r, "/ipfs/" + v1 + "/a/../a");
  REQUIRE_FALSE(dotdot);
  CHECK(dotdot.error().code == ErrorCode::kInvalidArgument);
  auto bad = Resolve(r, "/ipfs/notacid/a");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == ErrorCode::kInvalidArgument);
}

TEST_CASE("Identity CIDs resolve without a fetch") {
  MemoryBlockGetter store;
  auto cid = ipld::Cid::V1(ipld::Codec::kRaw, *ipld::Multihash::Sum(0, AsBytes("inline!")));
  Resolver r(store);
  auto node = Resolve(r, cid.ToString());
  REQUIRE(node);
  CHECK(AsText((*node)->inline_data()) == "inline!");
  CHECK(store.TotalGets() == 0);
}

TEST_CASE("Hostile link names are never found") {
  MemoryBlockGetter store;
  DagBuilder dag(store);
  auto secret = dag.File("x", AsBytes("secret"), {});
  std::vector<TestLink> links;
  for (std::string name : {std::string(""), std::string("."), std::string(".."), std::string("a/b"),
                           std::string("../../etc"), std::string("x\0y", 3), std::string("/abs")}) {
    links.push_back(TestLink{name, secret.cid, secret.tsize});
  }
  links.push_back(TestLink{"ok", secret.cid, secret.tsize});
  auto dir = dag.Directory("", links);
  Resolver r(store);
  auto root = Resolve(r, dir.cid.ToString());
  REQUIRE(root);
  for (const auto& l : links) {
    auto found = LookupIn(r, *root, l.name);
    CHECK(bool(found) == (l.name == "ok"));
  }
  auto stream = DirectoryStream::Open(r, *root);
  REQUIRE(stream);
  std::promise<Status> p;
  (*stream)->Fill(100, [&](Status s) { p.set_value(s); });
  REQUIRE(p.get_future().get());
  auto entries = (*stream)->Entries(0, 100);
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].name == "ok");
}

// Shards on one name's path, computed from the hashes alone.
size_t ShardsOnPath(const std::vector<TestLink>& all, const std::string& name, uint64_t fanout) {
  unsigned bits = *ipld::HamtBitsForFanout(fanout);
  uint64_t h = ipld::HamtHash(name);
  size_t shards = 1;
  for (unsigned level = 0;; ++level) {
    size_t sharing = 0;
    for (const auto& l : all) {
      uint64_t o = ipld::HamtHash(l.name);
      bool same = true;
      for (unsigned k = 0; k <= level && same; ++k) same = *ipld::HamtIndex(o, k, bits) == *ipld::HamtIndex(h, k, bits);
      sharing += same;
    }
    if (sharing <= 1) return shards;
    ++shards;
  }
}

TEST_CASE("HAMT lookup reads only the shards on the names path") {
  MemoryBlockGetter store;
  DagBuilder dag(store);
  auto files = ManyFiles(dag, 600);
  auto shard = dag.Hamt("", files, 16);
  for (const std::string& name : {std::string("file-0.txt"), std::string("file-123.txt"),
                                  std::string("file-599.txt")}) {
    Resolver r(store);  // cold decoded-node cache
    auto root = Resolve(r, shard.cid.ToString());
    REQUIRE(root);
    store.ResetCounts();
    auto found = LookupIn(r, *root, name);
    REQUIRE(found);
    CHECK(AsText((*found)->inline_data()) == name);
    size_t expected = ShardsOnPath(files, name, 16);  // root included, fetched before the reset
    CHECK(store.TotalGets() == (expected - 1) + 1);  // the sub-shards on the path, then the file
  }
  Resolver r(store);
  auto root = Resolve(r, shard.cid.ToString());
  REQUIRE(root);
  for (const auto& f : files) {
    auto found = LookupIn(r, *root, f.name);
    REQUIRE(found);
    CHECK((*found)->info.cid == f.cid);
  }
  auto missing = LookupIn(r, *root, "file-600.txt");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == ErrorCode::kNotFound);
}

TEST_CASE("DirectoryStream lists a HAMT lazily / completely / in order / with delays") {
  MemoryBlockGetter store;
  DagBuilder dag(store);
  auto files = ManyFiles(dag, 2000);
  auto shard = dag.Hamt("", files, 16);
  store.SetDelay(std::chrono::milliseconds(1));
  Resolver r(store);
  auto root = Resolve(r, shard.cid.ToString());
  REQUIRE(root);
  auto stream = DirectoryStream::Open(r, *root, DirectoryStreamOptions{4});
  REQUIRE(stream);
  store.ResetCounts();
  std::promise<Status> first;
  (*stream)->Fill(5, [&](Status s) { first.set_value(s); });
  REQUIRE(first.get_future().get());
  CHECK((*stream)->available() >= 5);
  CHECK_FALSE((*stream)->finished());
  CHECK(store.TotalGets() < 40);  // a few shards, not the ~150 of the whole directory

  std::promise<Status> all;
  (*stream)->Fill(1'000'000, [&](Status s) { all.set_value(s); });
  REQUIRE(all.get_future().get());
  CHECK((*stream)->finished());
  auto entries = (*stream)->Entries(0, 1'000'000);
  REQUIRE(entries.size() == files.size());
  std::set<std::string> names;
  for (const auto& e : entries) names.insert(e.name);
  CHECK(names.size() == files.size());
  for (const auto& f : files) CHECK(names.count(f.name) == 1);
  // Slot order: each entry's level-0 slot never decreases.
  unsigned prev = 0;
  for (const auto& e : entries) {
    unsigned slot = *ipld::HamtIndex(ipld::HamtHash(e.name), 0, 4);
    CHECK(slot >= prev);
    prev = slot;
  }
}

TEST_CASE("DirectoryStream reports a shard it cannot read after the entries before it") {
  MemoryBlockGetter store;
  DagBuilder dag(store);
  auto files = ManyFiles(dag, 300);
  auto shard = dag.Hamt("", files, 16);
  Resolver r(store);
  auto root = Resolve(r, shard.cid.ToString());
  REQUIRE(root);
  // Break the last sub-shard of the root.
  const ipld::PbLink* last_sub = nullptr;
  for (const auto& l : (*root)->links) {
    if (l.name->size() == 1) last_sub = &l;
  }
  REQUIRE(last_sub);
  store.SetFailure(last_sub->hash, ErrorCode::kUnavailable);
  auto stream = DirectoryStream::Open(r, *root);
  REQUIRE(stream);
  std::promise<Status> all;
  (*stream)->Fill(1'000'000, [&](Status s) { all.set_value(s); });
  auto st = all.get_future().get();
  REQUIRE_FALSE(st);
  CHECK(st.error().code == ErrorCode::kUnavailable);
  CHECK((*stream)->available() > 0);
  CHECK((*stream)->available() < files.size());
}

// Records the CARs a listing asks for; blocks in `stored` count as cached.
class CarRecordingGetter : public MemoryBlockGetter {
 public:
  struct Asked {
    ipld::Cid root;
    blockcache::PrefetchScope scope;
    uint64_t max_bytes;
  };
  void PrefetchDag(const ipld::Cid& root, blockcache::PrefetchScope scope, uint64_t max_bytes,
                   std::function<void(Status)> done) override {
    {
      std::lock_guard lock(mu);
      asked.push_back(Asked{root, scope, max_bytes});
    }
    done(OkStatus());
  }
  std::optional<uint64_t> StoredSize(const ipld::Cid& cid) override {
    std::lock_guard lock(mu);
    if (all_stored || stored.count(cid.hash())) return BlockSize(cid);
    return std::nullopt;
  }
  Result<std::optional<blockcache::Block>> GetLocal(const ipld::Cid& cid) override {
    {
      std::lock_guard lock(mu);
      if (!all_stored && !stored.count(cid.hash())) return std::optional<blockcache::Block>();
    }
    IPFSFS_ASSIGN_OR_RETURN(auto block, GetBlocking(cid));
    return std::optional<blockcache::Block>(std::move(block));
  }
  std::mutex mu;
  std::vector<Asked> asked;  // GUARDED_BY(mu)
  bool all_stored = false;   // GUARDED_BY(mu)
  std::set<ipld::Multihash> stored;  // GUARDED_BY(mu): these alone
};

TEST_CASE("a cold HAMT whose shards alone are cached (a lookup's CAR brought them) still asks for its DAG") {
  CarRecordingGetter store;
  DagBuilder dag(store);
  auto files = ManyFiles(dag, 2000);
  auto shard = dag.Hamt("", files, 16);
  Resolver r(store);
  auto root = Resolve(r, shard.cid.ToString());
  REQUIRE(root);
  // Every shard stored, no entry's block.
  std::vector<NodePtr> todo{*root};
  while (!todo.empty()) {
    NodePtr n = todo.back();
    todo.pop_back();
    {
      std::lock_guard lock(store.mu);
      store.stored.insert(n->info.cid.hash());
    }
    for (const auto& l : n->links) {
      if (l.name->size() != 1) continue;  // an entry (a sub-shard's name is its slot alone)
      auto sub = Resolve(r, l.hash.ToString());
      REQUIRE(sub);
      todo.push_back(*sub);
    }
  }
  REQUIRE(store.stored.size() > 2);
  REQUIRE(DirectoryStream::Open(r, *root));
  REQUIRE(store.asked.size() == 1);
  CHECK(store.asked[0].scope == blockcache::PrefetchScope::kAll);
}

TEST_CASE("a cold HAMT of small files asks for its whole DAG as one CAR, with a budget just above its Tsizes") {
  CarRecordingGetter store;
  DagBuilder dag(store);
  auto files = ManyFiles(dag, 2000);
  auto shard = dag.Hamt("", files, 16);
  Resolver r(store);
  auto root = Resolve(r, shard.cid.ToString());
  REQUIRE(root);
  auto stream = DirectoryStream::Open(r, *root);
  REQUIRE(stream);
  REQUIRE(store.asked.size() == 1);
  CHECK(store.asked[0].root == shard.cid);
  CHECK(store.asked[0].scope == blockcache::PrefetchScope::kAll);
  CHECK(store.asked[0].max_bytes >= (*root)->info.dag_size);
  CHECK(store.asked[0].max_bytes <= (*root)->info.dag_size * 2 + (64u << 10));
  CHECK((*stream)->children_in_car());
  std::promise<Status> all;
  (*stream)->Fill(1'000'000, [&](Status s) { all.set_value(s); });
  REQUIRE(all.get_future().get());
  CHECK((*stream)->available() == files.size());
}

TEST_CASE("a cold HAMT of large files asks for its shards only, and a warm one for nothing") {
  CarRecordingGetter store;
  DagBuilder dag(store);
  std::vector<TestLink> files;
  DagBuilder::FileOptions o;
  o.chunk = 64 << 10;
  o.max_links = 174;
  Bytes big = testing::PatternBytes(512 << 10, 7);
  for (size_t i = 0; i < 40; ++i) {
    big[0] = static_cast<std::byte>(i);  // distinct roots
    files.push_back(dag.File("big-" + std::to_string(i), big, o));
  }
  auto shard = dag.Hamt("", files, 16);
  Resolver r(store);
  auto root = Resolve(r, shard.cid.ToString());
  REQUIRE(root);
  REQUIRE((*root)->info.dag_size > (16u << 20));
  REQUIRE(DirectoryStream::Open(r, *root));
  REQUIRE(store.asked.size() == 1);
  CHECK(store.asked[0].scope == blockcache::PrefetchScope::kEntity);
  CHECK(store.asked[0].max_bytes == 0);
  {
    std::lock_guard lock(store.mu);
    store.all_stored = true;
  }
  auto again = DirectoryStream::Open(r, *root);
  REQUIRE(again);
  CHECK(store.asked.size() == 1);
  CHECK_FALSE((*again)->children_in_car());
}

}  // namespace
}  // namespace ipfsfs::resolver
