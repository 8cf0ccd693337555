#include "resolver/node.h"

#include <unistd.h>

#include <cstdio>
#include <functional>

#include <catch2/catch.hpp>

#include "ipld/protobuf.h"

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


namespace extent_test {

// A dag-pb leaf as kubo writes it: PBNode{Data: UnixFS{Type, Data, filesize}},
// with `extra` UnixFS fields appended after filesize.
Bytes Leaf(ipld::UnixfsType type, size_t length, std::optional<uint64_t> filesize,
           const std::function<void(ipld::ProtoWriter&)>& extra = {}) {
  Bytes payload(length);
  for (size_t i = 0; i < length; ++i) payload[i] = static_cast<std::byte>(i * 7 + 3);
  ipld::ProtoWriter fs;
  fs.Varint(1, static_cast<uint64_t>(type));
  fs.LengthDelimited(2, payload);
  if (filesize) fs.Varint(3, *filesize);
  if (extra) extra(fs);
  ipld::ProtoWriter pb;
  pb.LengthDelimited(1, fs.bytes());
  return pb.Take();
}

// The block written at offset 100 of a temporary file, as the cache's packs hold it.
struct ExtentFile {
  explicit ExtentFile(const Bytes& block, uint64_t cut = 0) {
    FILE* f = std::tmpfile();
    REQUIRE(f);
    file.reset(f, [](FILE* p) { std::fclose(p); });
    Bytes all(100);
    all.insert(all.end(), block.begin(), block.end());
    all.resize(all.size() - cut);
    REQUIRE(std::fwrite(all.data(), 1, all.size(), f) == all.size());
    REQUIRE(std::fflush(f) == 0);
    extent = blockcache::BlockExtent{file, ::fileno(f), 100, block.size()};
  }
  std::shared_ptr<FILE> file;
  blockcache::BlockExtent extent;
};

// DecodeLeafExtent must agree with DecodeNode on every leaf it accepts.
void CheckSameAsDecodeNode(MemoryBlockGetter& store, const ipld::Cid& cid, const Bytes& block) {
  ExtentFile file(block);
  auto by_extent = DecodeLeafExtent(cid, file.extent);
  REQUIRE(by_extent);
  auto whole = DecodeNode(Fetch(store, cid));
  REQUIRE(whole);
  CHECK(by_extent->info.kind == NodeKind::kFile);
  CHECK(by_extent->info.size == whole->info.size);
  CHECK(by_extent->info.dag_size == whole->info.dag_size);
  CHECK_FALSE(by_extent->data);
  REQUIRE(by_extent->extent);
  auto bytes = by_extent->extent->Read(by_extent->data_offset, by_extent->data_length);
  REQUIRE(bytes);
  CHECK(*bytes == Bytes(whole->inline_data().begin(), whole->inline_data().end()));
}

TEST_CASE("DecodeLeafExtent: file leaves located from their first and last bytes, as DecodeNode reads them") {
  MemoryBlockGetter store;
  SECTION("a kubo leaf (File, filesize)") {
    Bytes b = Leaf(ipld::UnixfsType::kFile, 262144, 262144);
    CheckSameAsDecodeNode(store, store.Put(b, ipld::Codec::kDagPb), b);
  }
  SECTION("a Raw leaf without filesize") {
    Bytes b = Leaf(ipld::UnixfsType::kRaw, 20000, std::nullopt);
    CheckSameAsDecodeNode(store, store.Put(b, ipld::Codec::kDagPb), b);
  }
  SECTION("a raw block: the whole extent") {
    Bytes b = Leaf(ipld::UnixfsType::kFile, 30000, 30000);  // any bytes
    auto cid = store.Put(b, ipld::Codec::kRaw);
    ExtentFile file(b);
    auto node = DecodeLeafExtent(cid, file.extent);
    REQUIRE(node);
    CHECK(node->info.size == b.size());
    CHECK(node->data_offset == 0);
    CHECK(node->data_length == b.size());
  }
}

TEST_CASE("DecodeLeafExtent: anything but the common leaf is left to DecodeNode") {
  MemoryBlockGetter store;
  auto none = [&](const Bytes& b, uint64_t cut = 0) {
    ExtentFile file(b, cut);
    return !DecodeLeafExtent(store.Put(b, ipld::Codec::kDagPb), file.extent).has_value();
  };
  // filesize disagrees: DecodeNode names the corruption.
  Bytes wrong = Leaf(ipld::UnixfsType::kFile, 20000, 19999);
  CHECK(none(wrong));
  CHECK(DecodeNode(Fetch(store, store.Put(wrong, ipld::Codec::kDagPb))).error().code == ErrorCode::kCorrupt);
  // UnixFS 1.5 mode after filesize: a valid leaf, decoded whole.
  CHECK(none(Leaf(ipld::UnixfsType::kFile, 20000, 20000, [](ipld::ProtoWriter& w) { w.Varint(7, 0644); })));
  // Blocksizes in a leaf: DecodeNode's to judge.
  CHECK(none(Leaf(ipld::UnixfsType::kFile, 20000, 20000, [](ipld::ProtoWriter& w) { w.Varint(4, 20000); })));
  // Not a file.
  CHECK(none(Leaf(ipld::UnixfsType::kDirectory, 20000, std::nullopt)));
  // Fields out of order: filesize before the data.
  {
    ipld::ProtoWriter fs;
    fs.Varint(1, static_cast<uint64_t>(ipld::UnixfsType::kFile));
    fs.Varint(3, 20000);
    fs.LengthDelimited(2, Bytes(20000));
    ipld::ProtoWriter pb;
    pb.LengthDelimited(1, fs.bytes());
    CHECK(none(pb.Take()));
  }
  // A node with a link (Links come before Data).
  {
    MemoryBlockGetter other;
    DagBuilder dag(other);
    DagBuilder::FileOptions o;
    o.chunk = 20000;
    o.raw_leaves = false;
    Bytes content(50000, std::byte{1});
    auto file = dag.File("f", content, o);
    auto root = other.GetBlocking(file.cid);
    REQUIRE(root);
    Bytes bytes(root->bytes().begin(), root->bytes().end());
    CHECK(none(bytes));
  }
  // A file cut short (a pack truncated by a crash): not read as a leaf.
  CHECK(none(Leaf(ipld::UnixfsType::kFile, 20000, 20000), 10));
}

}  // namespace extent_test

}  // namespace
}  // namespace ipfsfs::resolver
