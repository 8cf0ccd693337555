#include "resolver/node.h"

#include <catch2/catch.hpp>

#include "tests/support/memory_block_getter.h"

namespace ipfsfs::resolver {
namespace {

using testing::DagBuilder;
using testing::MemoryBlockGetter;

blockcache::Block Fetch(MemoryBlockGetter& store, const ipld::Cid& cid) {
  auto b = store.GetBlocking(cid);
  REQUIRE(b);
  return *b;
}

TEST_CASE("IsExposableName rejects names that could escape or confuse a directory") {
  CHECK(IsExposableName("a"));
  CHECK(IsExposableName("..."));
  CHECK(IsExposableName(".hidden"));
  CHECK(IsExposableName("名前 with space"));
  CHECK_FALSE(IsExposableName(""));
  CHECK_FALSE(IsExposableName("."));
  CHECK_FALSE(IsExposableName(".."));
  CHECK_FALSE(IsExposableName("a/b"));
  CHECK_FALSE(IsExposableName("/"));
  CHECK_FALSE(IsExposableName(std::string_view("a\0b", 3)));
}

TEST_CASE("DecodeNode: a raw block is a file sharing the blocks bytes") {
  MemoryBlockGetter store;
  auto cid = store.Put(ToBytes("hello"), ipld::Codec::kRaw);
  auto block = Fetch(store, cid);
  auto node = DecodeNode(block);
  REQUIRE(node);
  CHECK(node->info.kind == NodeKind::kFile);
  CHECK(node->info.size == 5);
  CHECK(node->info.dag_size == 5);
  CHECK(AsText(node->inline_data()) == "hello");
  CHECK(node->data.get() == block.shared_bytes().get());
}

TEST_CASE("DecodeNode: file / directory / symlink / shard with metadata") {
  MemoryBlockGetter store;
  DagBuilder dag(store);
  DagBuilder::FileOptions o;
  o.chunk = 4;
  o.max_links = 2;
  o.raw_leaves = false;
  o.mode = 0755;
  o.mtime = ipld::UnixTime{1700000000, 5};
  auto file = dag.File("f", AsBytes("0123456789"), o);
  auto f = DecodeNode(Fetch(store, file.cid));
  REQUIRE(f);
  CHECK(f->info.kind == NodeKind::kFile);
  CHECK(f->info.size == 10);
  CHECK(f->info.mode == 0755u);
  REQUIRE(f->info.mtime);
  CHECK(f->info.mtime->seconds == 1700000000);
  CHECK(f->info.dag_size == file.tsize);
  // A dag-pb leaf shares its block's bytes rather than copying them.
  auto leaf_block = Fetch(store, f->links[0].hash);
  auto leaf = DecodeNode(Fetch(store, f->links[0].hash));
  REQUIRE(leaf);
  auto inner = DecodeNode(leaf_block);
  REQUIRE(inner);
  if (inner->links.empty()) {
    CHECK(inner->data.get() == leaf_block.shared_bytes().get());
  } else {
    auto leaf2_block = Fetch(store, inner->links[0].hash);
    auto leaf2 = DecodeNode(leaf2_block);
    REQUIRE(leaf2);
    CHECK(leaf2->data.get() == leaf2_block.shared_bytes().get());
    CHECK(AsText(leaf2->inline_data()) == "0123");
  }

  auto link = dag.Symlink("l", "../target");
  auto l = DecodeNode(Fetch(store, link.cid));
  REQUIRE(l);
  CHECK(l->info.kind == NodeKind::kSymlink);
  CHECK(l->info.symlink_target == "../target");
  CHECK(l->info.size == 9);

  auto dir = dag.Directory("d", {file, link}, 0700);
  auto d = DecodeNode(Fetch(store, dir.cid));
  REQUIRE(d);
  CHECK(d->info.kind == NodeKind::kDirectory);
  CHECK(d->links.size() == 2);
  CHECK(d->info.mode == 0700u);
  CHECK(d->info.dag_size == dir.tsize);

  auto shard = dag.Hamt("h", {file, link}, 16);
  auto h = DecodeNode(Fetch(store, shard.cid));
  REQUIRE(h);
  CHECK(h->info.kind == NodeKind::kHamtShard);
  CHECK(h->fanout == 16);
}

TEST_CASE("DecodeNode: malformed and unsupported nodes") {
  MemoryBlockGetter store;
  SECTION("blocksizes that do not match the links") {
    ipld::UnixfsData d;
    d.type = ipld::UnixfsType::kFile;
    d.blocksizes = {3, 4};
    ipld::PbNode n;
    n.data = ipld::EncodeUnixfsData(d);
    n.links.push_back(ipld::PbLink{store.Put(ToBytes("abc"), ipld::Codec::kRaw), std::string(), 3});
    auto cid = store.Put(ipld::EncodePbNode(n));
    auto node = DecodeNode(Fetch(store, cid));
    REQUIRE_FALSE(node);
    CHECK(node.error().code == ErrorCode::kCorrupt);
    CHECK(node.error().message.find(cid.ToString()) != std::string::npos);
  }
  SECTION("filesize that does not match the content") {
    ipld::UnixfsData d;
    d.type = ipld::UnixfsType::kFile;
    d.data = ToBytes("abc");
    d.filesize = 4;
    ipld::PbNode n;
    n.data = ipld::EncodeUnixfsData(d);
    auto node = DecodeNode(Fetch(store, store.Put(ipld::EncodePbNode(n))));
    REQUIRE_FALSE(node);
    CHECK(node.error().code == ErrorCode::kCorrupt);
  }
  SECTION("dag-pb without UnixFS data") {
    auto node = DecodeNode(Fetch(store, store.Put(ipld::EncodePbNode(ipld::PbNode{}))));
    REQUIRE_FALSE(node);
    CHECK(node.error().code == ErrorCode::kCorrupt);
  }
  SECTION("not dag-pb at all") {
    auto node = DecodeNode(Fetch(store, store.Put(ToBytes("\xa0"), ipld::Codec::kDagCbor)));
    REQUIRE_FALSE(node);
    CHECK(node.error().code == ErrorCode::kUnsupported);
  }
  SECTION("garbage bytes under dag-pb") {
    auto node = DecodeNode(Fetch(store, store.Put(ToBytes("\xff\xff\xff"))));
    REQUIRE_FALSE(node);
    CHECK(node.error().code == ErrorCode::kCorrupt);
  }
}

}  // namespace
}  // namespace ipfsfs::resolver
