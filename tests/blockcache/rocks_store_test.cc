// The disk store's layout: block bytes in pack files in arrival order, the
// format-1 cache (blocks in RocksDB blob files) read in place and moved into
// packs, a newer format refused, space given back as packs empty.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "blockcache/block_cache.h"
#include "blockcache/internal/pack_files.h"
#include "blockcache/store.h"
#include "tests/support/test_dag.h"

using namespace ipfsfs;
using namespace ipfsfs::blockcache;
using testing::MakeRawBlock;

namespace {

struct StoreDir {
  std::string path;
  StoreDir() {
    char tmpl[] = "/tmp/ipfsfs-store-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~StoreDir() { std::filesystem::remove_all(path); }
};

std::vector<std::filesystem::path> PackPaths(const std::string& dir) {
  std::vector<std::filesystem::path> out;
  if (!std::filesystem::exists(dir + "/packs")) return out;
  for (const auto& e : std::filesystem::directory_iterator(dir + "/packs")) {
    if (e.path().extension() == ".pack") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

uint64_t PackBytes(const std::string& dir) {
  uint64_t n = 0;
  for (const auto& p : PackPaths(dir)) n += std::filesystem::file_size(p);
  return n;
}

Bytes ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return ToBytes(s);
}

BlockCacheOptions Offline(const std::string& dir) {
  BlockCacheOptions o;
  o.cache_dir = dir;
  o.offline = true;
  return o;
}

bool Same(const std::shared_ptr<const Bytes>& a, const Bytes& b) { return a && *a == b; }

// What ipfsfs wrote before pack files (format 1): block bytes in the "blocks"
// column family (blob files), metadata and pins in "meta". Written with
// RocksDB directly, as that code did.
void WriteFormat1(const std::string& dir, const std::vector<testing::TestBlock>& blocks, const ipld::Cid& pinned) {
  rocksdb::DBOptions db;
  db.create_if_missing = true;
  db.create_missing_column_families = true;
  rocksdb::ColumnFamilyOptions b;
  b.enable_blob_files = true;
  b.min_blob_size = 4096;
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs = {
      {rocksdb::kDefaultColumnFamilyName, {}}, {"blocks", b}, {"meta", {}}};
  std::vector<rocksdb::ColumnFamilyHandle*> h;
  rocksdb::DB* raw = nullptr;
  REQUIRE(rocksdb::DB::Open(db, dir, cfs, &h, &raw).ok());
  for (const auto& blk : blocks) {
    Bytes key = blk.cid.hash().Encode();
    std::string meta;
    auto le = [&](uint64_t v, int n) {
      for (int i = 0; i < n; ++i) meta.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    };
    le(blk.data.size(), 8);
    le(1000, 8);
    le(blk.cid == pinned ? 1 : 0, 4);
    rocksdb::WriteBatch batch;
    batch.Put(h[1], std::string(AsText(key)), std::string(AsText(blk.data)));
    batch.Put(h[2], "m" + std::string(AsText(key)), meta);
    REQUIRE(raw->Write(rocksdb::WriteOptions(), &batch).ok());
  }
  Bytes root = pinned.ToBytes();
  REQUIRE(raw->Put(rocksdb::WriteOptions(), h[2], "p" + std::string(AsText(root)), "").ok());
  REQUIRE(raw->Flush(rocksdb::FlushOptions(), h).ok());
  for (auto* c : h) raw->DestroyColumnFamilyHandle(c);
  REQUIRE(raw->Close().ok());
  delete raw;
}

}  // namespace

TEST_CASE("blocks are laid out in the order they arrive, in pack files") {
  StoreDir dir;
  std::vector<testing::TestBlock> blocks;
  for (int i = 0; i < 12; ++i) blocks.push_back(MakeRawBlock(100000 + i * 1000, 9000 + i));
  {
    auto store = OpenRocksStore(dir.path);
    REQUIRE(store);
    for (const auto& b : blocks) REQUIRE((*store)->Put(b.cid.hash(), b.data, BlockMeta{b.data.size(), 1, 0}));
  }
  auto packs = PackPaths(dir.path);
  REQUIRE(packs.size() == 1);
  Bytes expected;
  for (const auto& b : blocks) Append(expected, b.data);
  CHECK(ReadFile(packs[0]) == expected);  // no headers, no hash order: the bytes as they came
  auto store = OpenRocksStore(dir.path);
  REQUIRE(store);
  for (const auto& b : blocks) {
    auto got = (*store)->GetData(b.cid.hash());
    REQUIRE(got);
    REQUIRE(*got);
    CHECK(Same(**got, b.data));
  }
}

TEST_CASE("a pack whose blocks are all deleted is deleted, and the space is back") {
  StoreDir dir;
  RocksStoreOptions o;
  o.pack_bytes = 1 << 20;
  auto store = OpenRocksStore(dir.path, o);
  REQUIRE(store);
  std::vector<testing::TestBlock> blocks;
  for (int i = 0; i < 16; ++i) {  // 4 MiB: four packs
    blocks.push_back(MakeRawBlock(256 << 10, 9100 + i));
    REQUIRE((*store)->Put(blocks.back().cid.hash(), blocks.back().data, BlockMeta{256 << 10, 1, 0}));
  }
  CHECK(PackPaths(dir.path).size() == 4);
  std::vector<ipld::Multihash> first;
  for (int i = 0; i < 8; ++i) first.push_back(blocks[i].cid.hash());
  REQUIRE((*store)->Delete(first));
  CHECK(PackPaths(dir.path).size() == 2);
  CHECK(PackBytes(dir.path) == (4u << 20) / 2);
  for (int i = 8; i < 16; ++i) {
    auto got = (*store)->GetData(blocks[i].cid.hash());
    REQUIRE(got);
    CHECK(Same(**got, blocks[i].data));
  }
  auto gone = (*store)->GetData(blocks[0].cid.hash());
  REQUIRE(gone);
  CHECK_FALSE(*gone);
}

TEST_CASE("a pack cut short answers absent for the blocks it lost, never other bytes") {
  StoreDir dir;
  auto a = MakeRawBlock(200000, 9200), b = MakeRawBlock(200000, 9201);
  {
    auto store = OpenRocksStore(dir.path);
    REQUIRE(store);
    REQUIRE((*store)->Put(a.cid.hash(), a.data, BlockMeta{a.data.size(), 1, 0}));
    REQUIRE((*store)->Put(b.cid.hash(), b.data, BlockMeta{b.data.size(), 1, 0}));
  }
  auto packs = PackPaths(dir.path);
  REQUIRE(packs.size() == 1);
  std::filesystem::resize_file(packs[0], 300000);  // b's bytes half gone
  auto store = OpenRocksStore(dir.path);
  REQUIRE(store);
  auto got_a = (*store)->GetData(a.cid.hash());
  REQUIRE(got_a);
  CHECK(Same(**got_a, a.data));
  auto got_b = (*store)->GetData(b.cid.hash());
  REQUIRE(got_b);
  CHECK_FALSE(*got_b);
}

TEST_CASE("a cache from before pack files opens, every block and pin is there, and read blocks move into packs") {
  StoreDir dir;
  std::vector<testing::TestBlock> blocks;
  for (int i = 0; i < 10; ++i) blocks.push_back(MakeRawBlock(i == 0 ? 300 : 70000, 9300 + i));  // one below the blob size
  WriteFormat1(dir.path, blocks, blocks[3].cid);
  {
    auto c = BlockCache::Open(Offline(dir.path));
    REQUIRE(c);
    auto& cache = **c;
    auto stats = cache.Stats();
    CHECK(stats.stored_blocks == blocks.size());
    CHECK(stats.pinned_blocks == 1);
    auto pins = cache.Pins();
    REQUIRE(pins);
    REQUIRE(pins->size() == 1);
    CHECK((*pins)[0] == blocks[3].cid);
    for (int i = 0; i < 6; ++i) {  // read half of them
      auto got = cache.GetBlocking(blocks[i].cid);
      REQUIRE(got);
      CHECK(got->bytes().size() == blocks[i].data.size());
      CHECK(std::equal(got->bytes().begin(), got->bytes().end(), blocks[i].data.begin()));
    }
  }
  // Those six now sit in a pack, in the order they were read.
  auto packs = PackPaths(dir.path);
  REQUIRE(packs.size() == 1);
  Bytes moved;
  for (int i = 0; i < 6; ++i) Append(moved, blocks[i].data);
  CHECK(ReadFile(packs[0]) == moved);
  // Every block still reads right after a reopen: moved or not; one deletes.
  auto c = BlockCache::Open(Offline(dir.path));
  REQUIRE(c);
  for (const auto& b : blocks) {
    auto got = (*c)->GetBlocking(b.cid);
    REQUIRE(got);
    CHECK(std::equal(got->bytes().begin(), got->bytes().end(), b.data.begin(), b.data.end()));
  }
  auto verified = (*c)->Verify();
  REQUIRE(verified);
  CHECK(verified->checked == blocks.size());
  CHECK(verified->removed == 0);
  auto gc = (*c)->Gc(0);
  REQUIRE(gc);
  CHECK(gc->evicted_blocks == blocks.size() - 1);  // all but the pinned one
  CHECK((*c)->Has(blocks[3].cid));
  CHECK_FALSE((*c)->Has(blocks[8].cid));
}

TEST_CASE("an older ipfsfs cannot open a cache with pack files, and a newer format is refused with a clear error") {
  StoreDir dir;
  {
    auto store = OpenRocksStore(dir.path);
    REQUIRE(store);
  }
  // The open of the code before pack files: its column families only.
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs = {
      {rocksdb::kDefaultColumnFamilyName, {}}, {"blocks", {}}, {"meta", {}}};
  std::vector<rocksdb::ColumnFamilyHandle*> h;
  rocksdb::DB* raw = nullptr;
  auto s = rocksdb::DB::Open(rocksdb::DBOptions(), dir.path, cfs, &h, &raw);
  CHECK_FALSE(s.ok());
  CHECK(s.ToString().find("packs") != std::string::npos);
  // A format from a later ipfsfs.
  cfs.push_back({"packs", {}});
  REQUIRE(rocksdb::DB::Open(rocksdb::DBOptions(), dir.path, cfs, &h, &raw).ok());
  REQUIRE(raw->Put(rocksdb::WriteOptions(), "ipfsfs-format", "3").ok());
  for (auto* c : h) raw->DestroyColumnFamilyHandle(c);
  REQUIRE(raw->Close().ok());
  delete raw;
  auto store = OpenRocksStore(dir.path);
  REQUIRE_FALSE(store);
  CHECK(store.error().code == ErrorCode::kUnsupported);
  CHECK(store.error().message.find("newer ipfsfs") != std::string::npos);
}

TEST_CASE("gc moves the live blocks out of packs that are mostly garbage and deletes those packs") {
  StoreDir dir;
  RocksStoreOptions o;
  o.pack_bytes = 2 << 20;
  auto store = OpenRocksStore(dir.path, o);
  REQUIRE(store);
  std::vector<testing::TestBlock> blocks;
  for (int i = 0; i < 32; ++i) {  // 8 MiB in four packs
    blocks.push_back(MakeRawBlock(256 << 10, 9400 + i));
    REQUIRE((*store)->Put(blocks.back().cid.hash(), blocks.back().data, BlockMeta{256 << 10, 1, 0}));
  }
  std::vector<ipld::Multihash> evicted;
  for (int i = 0; i < 32; ++i) {
    if (i % 8 != 0) evicted.push_back(blocks[i].cid.hash());  // one block left in each pack
  }
  REQUIRE((*store)->Delete(evicted));
  CHECK(PackBytes(dir.path) == (8u << 20));
  REQUIRE((*store)->Reclaim(4 * (256 << 10), 1 << 20));
  CHECK(PackBytes(dir.path) == 4u * (256 << 10));
  for (int i = 0; i < 32; i += 8) {
    auto got = (*store)->GetData(blocks[i].cid.hash());
    REQUIRE(got);
    REQUIRE(*got);
    CHECK(Same(**got, blocks[i].data));
  }
  store->reset();
  auto again = OpenRocksStore(dir.path, o);
  REQUIRE(again);
  for (int i = 0; i < 32; ++i) {
    auto got = (*again)->GetData(blocks[i].cid.hash());
    REQUIRE(got);
    CHECK(bool(*got) == (i % 8 == 0));
  }
}

TEST_CASE("Locate: a stored block's range in its pack holds its bytes, even once the pack is deleted") {
  StoreDir dir;
  RocksStoreOptions o;
  o.pack_bytes = 1 << 20;
  auto store = OpenRocksStore(dir.path, o);
  REQUIRE(store);
  std::vector<testing::TestBlock> blocks;
  for (int i = 0; i < 8; ++i) {  // two packs
    blocks.push_back(MakeRawBlock(256 << 10, 9400 + i));
    REQUIRE((*store)->Put(blocks.back().cid.hash(), blocks.back().data, BlockMeta{blocks.back().data.size(), 1, 0}));
  }
  std::vector<BlockExtent> extents;
  for (const auto& b : blocks) {
    auto e = (*store)->Locate(b.cid.hash());
    REQUIRE(e);
    REQUIRE(*e);
    CHECK((*e)->size == b.data.size());
    auto bytes = (*e)->Read(0, b.data.size());
    REQUIRE(bytes);
    CHECK(*bytes == b.data);
    auto part = (*e)->Read(1000, 77);  // a piece, as a read's slice takes it
    REQUIRE(part);
    CHECK(*part == Bytes(b.data.begin() + 1000, b.data.begin() + 1077));
    extents.push_back(**e);
  }
  auto absent = (*store)->Locate(MakeRawBlock(1000, 9499).cid.hash());
  REQUIRE(absent);
  CHECK_FALSE(*absent);
  // The first pack's blocks go and so does the pack; an extent handed out
  // before still reads its bytes (its descriptor stays open).
  std::vector<ipld::Multihash> first;
  for (int i = 0; i < 4; ++i) first.push_back(blocks[i].cid.hash());
  REQUIRE((*store)->Delete(first));
  CHECK(PackPaths(dir.path).size() == 1);
  auto gone = (*store)->Locate(blocks[0].cid.hash());
  REQUIRE(gone);
  CHECK_FALSE(*gone);
  auto still = extents[0].Read(0, blocks[0].data.size());
  REQUIRE(still);
  CHECK(*still == blocks[0].data);
}

TEST_CASE("Locate: a pack cut short has no range for the blocks it lost") {
  StoreDir dir;
  auto a = MakeRawBlock(200000, 9500), b = MakeRawBlock(200000, 9501);
  {
    auto store = OpenRocksStore(dir.path);
    REQUIRE(store);
    REQUIRE((*store)->Put(a.cid.hash(), a.data, BlockMeta{a.data.size(), 1, 0}));
    REQUIRE((*store)->Put(b.cid.hash(), b.data, BlockMeta{b.data.size(), 1, 0}));
  }
  std::filesystem::resize_file(PackPaths(dir.path)[0], 300000);
  auto store = OpenRocksStore(dir.path);
  REQUIRE(store);
  auto got_a = (*store)->Locate(a.cid.hash());
  REQUIRE(got_a);
  CHECK(*got_a);
  auto got_b = (*store)->Locate(b.cid.hash());
  REQUIRE(got_b);
  CHECK_FALSE(*got_b);
}

TEST_CASE("GetExtent: blocks on disk come as ranges, not those in memory, unmoved format-1 or re-hashed on read") {
  StoreDir dir;
  std::vector<testing::TestBlock> blocks;
  for (int i = 0; i < 4; ++i) blocks.push_back(MakeRawBlock(70000, 9600 + i));
  WriteFormat1(dir.path, blocks, blocks[0].cid);
  {
    BlockCacheOptions o = Offline(dir.path);
    o.memory_cache_bytes = 0;
    auto c = BlockCache::Open(o);
    REQUIRE(c);
    auto legacy = (*c)->GetExtent(blocks[1].cid);  // still in a blob file
    REQUIRE(legacy);
    CHECK_FALSE(*legacy);
    REQUIRE((*c)->GetBlocking(blocks[1].cid));  // moves it into a pack
    auto moved = (*c)->GetExtent(blocks[1].cid);
    REQUIRE(moved);
    REQUIRE(*moved);
    auto bytes = (*moved)->Read(0, 70000);
    REQUIRE(bytes);
    CHECK(*bytes == blocks[1].data);
    auto absent = (*c)->GetExtent(MakeRawBlock(100, 9699).cid);
    REQUIRE(absent);
    CHECK_FALSE(*absent);
  }
  {
    auto c = BlockCache::Open(Offline(dir.path));  // with a memory tier
    REQUIRE(c);
    REQUIRE((*c)->GetBlocking(blocks[2].cid));  // moved, and now in memory too
    auto in_memory = (*c)->GetExtent(blocks[2].cid);
    REQUIRE(in_memory);
    CHECK_FALSE(*in_memory);
  }
  BlockCacheOptions o = Offline(dir.path);
  o.hash_on_read = true;
  auto c = BlockCache::Open(o);
  REQUIRE(c);
  auto rehashed = (*c)->GetExtent(blocks[1].cid);
  REQUIRE(rehashed);
  CHECK_FALSE(*rehashed);
}

TEST_CASE("a store opened and closed without a write leaves no empty pack behind") {
  StoreDir dir;
  auto a = MakeRawBlock(50000, 9700);
  {
    auto store = OpenRocksStore(dir.path);
    REQUIRE(store);
    REQUIRE((*store)->Put(a.cid.hash(), a.data, BlockMeta{a.data.size(), 1, 0}));
  }
  REQUIRE(PackPaths(dir.path).size() == 1);
  for (int i = 0; i < 3; ++i) {  // read-only opens, as an offline mount's
    auto store = OpenRocksStore(dir.path);
    REQUIRE(store);
    auto got = (*store)->GetData(a.cid.hash());
    REQUIRE(got);
    CHECK(Same(**got, a.data));
  }
  auto packs = PackPaths(dir.path);
  REQUIRE(packs.size() == 1);
  CHECK(std::filesystem::file_size(packs[0]) == a.data.size());
}

TEST_CASE("the live-byte count at open skips blocks appended since, so a pack they leave empty is deleted") {
  StoreDir dir;
  auto packs = internal::PackFiles::Open(dir.path + "/packs", 1 << 20);
  REQUIRE(packs);
  auto loc = (*packs)->Append(MakeRawBlock(4096, 9800).data);
  REQUIRE(loc);
  (*packs)->Count(*loc);  // the index scan at open saw the new block too
  REQUIRE((*packs)->Rotate());
  (*packs)->Release(*loc);
  auto left = (*packs)->Packs();
  REQUIRE(left.size() == 1);
  CHECK(left[0].active);
  CHECK(left[0].id != loc->pack);
  CHECK(PackPaths(dir.path).size() == 1);
}
