// RangePlanner over a real BlockCache (memory store; FakeSource where a fetch
// must be in flight): which bytes of a file a ranged CAR should ask for.
#include "resolver/range_planner.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <memory>

#include "blockcache/block_cache.h"
#include "tests/support/fake_clock.h"
#include "tests/support/fake_source.h"
#include "tests/support/test_dag.h"

namespace ipfsfs::resolver {
namespace {

using namespace std::chrono_literals;
using blockcache::ByteRange;
using testing::FakeClock;
using testing::FakeSource;

constexpr uint64_t kLeaf = 256u << 10;

struct Fixture {
  FakeClock clock;
  FakeSource* source = nullptr;
  std::unique_ptr<blockcache::BlockCache> cache;
  testing::TestDag dag = testing::MakeFileDag(16 * kLeaf, kLeaf, 4, 55);  // 16 leaves under 4 inner nodes
  std::vector<testing::TestBlock> leaves;

  Fixture() {
    blockcache::BlockCacheOptions o;
    o.now = clock.AsFunction();
    std::vector<std::unique_ptr<blockcache::Source>> sources;
    auto s = std::make_unique<FakeSource>();
    source = s.get();
    sources.push_back(std::move(s));
    for (const auto& b : dag.blocks) {
      source->Add(b.cid, b.data);
      if (b.cid.codec() == static_cast<uint64_t>(ipld::Codec::kRaw)) leaves.push_back(b);
    }
    auto c = blockcache::BlockCache::Create(o, blockcache::NewMemoryStore(), std::move(sources));
    REQUIRE(c);
    cache = std::move(*c);
    REQUIRE(leaves.size() == 16);
  }
  // A reader's path: the inner nodes, each a miss (fetched).
  void GetInnerNodes() {
    for (const auto& b : dag.blocks) {
      if (b.cid.codec() != static_cast<uint64_t>(ipld::Codec::kRaw)) REQUIRE(cache->GetBlocking(b.cid));
    }
  }
  void GetLeaves(size_t from, size_t to) {
    for (size_t i = from; i < to; ++i) REQUIRE(cache->GetBlocking(leaves[i].cid));
  }
};

TEST_CASE("planner: only the bytes whose blocks the cache lacks; nothing when it has them all") {
  Fixture f;
  f.GetInnerNodes();
  f.GetLeaves(0, 8);
  RangePlanner planner(*f.cache, RangePlannerOptions{.now = f.clock.AsFunction()});
  CHECK_FALSE(planner.MissingBytes(f.dag.root, ByteRange{0, 8 * kLeaf}));
  auto m = planner.MissingBytes(f.dag.root, ByteRange{kLeaf, 12 * kLeaf});
  REQUIRE(m);
  CHECK(*m == ByteRange{8 * kLeaf, 12 * kLeaf});
  // A cold file: all of it.
  Fixture cold;
  REQUIRE(cold.cache->GetBlocking(cold.dag.root));  // a miss
  RangePlanner cold_planner(*cold.cache, RangePlannerOptions{.now = cold.clock.AsFunction()});
  m = cold_planner.MissingBytes(cold.dag.root, ByteRange{kLeaf, 3 * kLeaf});
  REQUIRE(m);
  CHECK(*m == ByteRange{kLeaf, 3 * kLeaf});
}

TEST_CASE("planner: a block being fetched alone already is left out") {
  Fixture f;
  f.GetInnerNodes();
  f.source->SetDelay(f.leaves[0].cid, 60s);  // a reader's window asked for leaf 0 alone
  f.cache->Get(f.leaves[0].cid, [](Result<blockcache::Block>) {});
  REQUIRE(f.cache->FetchingAlone(f.leaves[0].cid));
  RangePlanner planner(*f.cache, RangePlannerOptions{.now = f.clock.AsFunction()});
  auto m = planner.MissingBytes(f.dag.root, ByteRange{0, 4 * kLeaf});
  REQUIRE(m);
  CHECK(*m == ByteRange{kLeaf, 4 * kLeaf});
}

TEST_CASE("planner: after a second of nothing but hits, nothing is planned; a miss plans again") {
  Fixture f;
  f.GetInnerNodes();  // misses
  f.GetLeaves(4, 8);
  RangePlanner planner(*f.cache, RangePlannerOptions{.now = f.clock.AsFunction()});
  REQUIRE(planner.MissingBytes(f.dag.root, ByteRange{0, 8 * kLeaf}));  // leaves 0..3 lack, misses lately
  f.clock.Advance(1001ms);
  f.GetLeaves(4, 8);  // hits only
  CHECK_FALSE(planner.MissingBytes(f.dag.root, ByteRange{0, 8 * kLeaf}));
  f.GetLeaves(8, 9);  // a miss
  auto m = planner.MissingBytes(f.dag.root, ByteRange{0, 8 * kLeaf});
  REQUIRE(m);
  CHECK(*m == ByteRange{0, 4 * kLeaf});
}

TEST_CASE("planner: the walk stays bounded on a DAG that links one child many times") {
  // Each level links the level below 64 times, 4 KiB apart (more than a node
  // holds, so each is walked into): followed naively, six levels are 64^6
  // visits, all inside the range.
  Fixture f;
  auto leaf = testing::MakeRawBlock(1024, 58);
  auto put = [&](const ipld::Cid& cid, const Bytes& data) {
    auto b = blockcache::Block::Verify(cid, data);
    REQUIRE(b);
    REQUIRE(f.cache->Put(*b));
  };
  put(leaf.cid, leaf.data);
  ipld::Cid below = leaf.cid;
  for (int level = 0; level < 6; ++level) {
    ipld::PbNode pb;
    ipld::UnixfsData fs;
    for (int i = 0; i < 64; ++i) {
      pb.links.push_back({below, std::string(), 1024});
      fs.blocksizes.push_back(4096);
    }
    fs.filesize = 64 * 4096;
    pb.data = ipld::EncodeUnixfsData(fs);
    Bytes node = ipld::EncodePbNode(pb);
    below = ipld::Cid::V1(ipld::Codec::kDagPb, ipld::Multihash::Sha256(node));
    put(below, node);
  }
  REQUIRE(f.cache->GetBlocking(f.leaves[0].cid));  // a recent miss: the walk runs
  RangePlanner planner(*f.cache, RangePlannerOptions{.now = f.clock.AsFunction()});
  auto started = std::chrono::steady_clock::now();
  auto m = planner.MissingBytes(below, ByteRange{0, 64u << 20});
  CHECK(std::chrono::steady_clock::now() - started < 5s);
  CHECK_FALSE(m);  // every block is stored (children beyond their parent's bytes end each branch early)
}

}  // namespace
}  // namespace ipfsfs::resolver
