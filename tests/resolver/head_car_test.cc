// The first round trip of a cold file (issue 17, time to first byte): its
// lookup asks for the root and the first bytes as one CAR
// (Resolver::GetNodeAhead), so a reader's first reads wait for no other
// request. Over a real block cache and the loopback test gateway; the
// assertions count requests at the gateway (causal, no timing).
#include <future>

#include <catch2/catch.hpp>

#include "blockcache/block_cache.h"
#include "resolver/file_reader.h"
#include "resolver/resolver.h"
#include "tests/support/test_dag.h"
#include "tests/support/test_gateway.h"

namespace ipfsfs::resolver {
namespace {

NodePtr GetNode(Resolver& r, const ipld::Cid& cid) {
  std::promise<Result<NodePtr>> p;
  r.GetNode(cid, [&](Result<NodePtr> n) { p.set_value(std::move(n)); });
  auto n = p.get_future().get();
  REQUIRE(n);
  return *n;
}

struct Fixture {
  std::unique_ptr<testing::TestGateway> gw;
  std::unique_ptr<blockcache::BlockCache> cache;
  Bytes content;
  testing::TestLink file;

  explicit Fixture(testing::TestGatewayOptions go = {}) {
    auto g = testing::TestGateway::Start(go);
    REQUIRE(g);
    gw = std::move(*g);
    testing::DagBuilder dag([&](Bytes bytes, ipld::Codec codec, int version) {
      auto hash = ipld::Multihash::Sha256(bytes);
      ipld::Cid cid = version == 0 ? ipld::Cid::V0(hash) : ipld::Cid::V1(codec, hash);
      gw->AddBlock(cid, std::move(bytes));
      return cid;
    });
    // 1 MiB in 256 KiB leaves, two links per node: root -> 2 nodes -> 4 leaves.
    content = testing::PatternBytes(1 << 20, 17);
    testing::DagBuilder::FileOptions fo;
    fo.chunk = 256 << 10;
    fo.max_links = 2;
    file = dag.File("f", content, fo);
    blockcache::BlockCacheOptions o;
    o.sources.push_back({blockcache::SourceSpec::Kind::kGateway, gw->url()});
    auto c = blockcache::BlockCache::Open(o);
    REQUIRE(c);
    cache = std::move(*c);
  }

  // Lookup (ahead or not), open, then the whole file in 128 KiB reads as cat does.
  Bytes Cat(bool ahead) {
    Resolver r(*cache);
    std::promise<Result<NodePtr>> got;
    auto set = [&](Result<NodePtr> n) { got.set_value(std::move(n)); };
    if (ahead) {
      r.GetNodeAhead(file.cid, 1 << 20, set);
    } else {
      r.GetNode(file.cid, set);
    }
    auto root = got.get_future().get();
    REQUIRE(root);
    auto reader = FileReader::Open(r, *root);
    REQUIRE(reader);
    Bytes out;
    for (uint64_t off = 0; off < (*reader)->size(); off += 128 << 10) {
      std::promise<Result<std::vector<Slice>>> p;
      (*reader)->Read(off, 128 << 10, [&](Result<std::vector<Slice>> s) { p.set_value(std::move(s)); });
      auto slices = p.get_future().get();
      REQUIRE(slices);
      for (const auto& s : *slices) Append(out, s.span());
    }
    return out;
  }
};

TEST_CASE("head CAR: a cold lookup and cat of a 1 MiB file make exactly one request") {
  Fixture f;
  CHECK(f.Cat(true) == f.content);
  CHECK(f.gw->TotalRequests() == 1);  // root, both inner nodes and the 4 leaves in one CAR
  f.gw->ResetCounts();
  CHECK(f.Cat(true) == f.content);  // warm: nothing asked
  CHECK(f.gw->TotalRequests() == 0);
}

TEST_CASE("head CAR: without it the same cat walks the DAG, one request per block") {
  Fixture f;
  CHECK(f.Cat(false) == f.content);
  CHECK(f.gw->TotalRequests() == 7);  // root, 2 inner nodes, 4 leaves
}

TEST_CASE("head CAR: a gateway without CARs, or a bad block in the CAR, never gives a wrong byte") {
  SECTION("no CARs (501): each block alone after it") {
    testing::TestGatewayOptions go;
    go.serve_cars = false;
    Fixture f(go);
    CHECK(f.Cat(true) == f.content);
    CHECK(f.gw->TotalRequests() == 8);  // the refused CAR, then the 7 blocks
  }
  SECTION("a bad block in the CAR: the stream stops there, the rest comes alone, never a wrong byte") {
    // The third leaf's CID, learnt from a first gateway (same content, same CIDs).
    ipld::Cid leaf;
    {
      Fixture learn;
      Resolver r(*learn.cache);
      auto root = GetNode(r, learn.file.cid);
      leaf = GetNode(r, root->links[1].hash)->links[0].hash;
    }
    Fixture f;
    f.gw->SetFault(leaf, testing::Fault::kCorrupt);
    Resolver r(*f.cache);
    std::promise<Result<NodePtr>> got;
    r.GetNodeAhead(f.file.cid, 1 << 20, [&](Result<NodePtr> n) { got.set_value(std::move(n)); });
    auto root = got.get_future().get();
    REQUIRE(root);
    auto reader = FileReader::Open(r, *root);
    REQUIRE(reader);
    auto read = [&] {
      std::promise<Result<std::vector<Slice>>> p;
      (*reader)->Read(0, 1 << 20, [&](Result<std::vector<Slice>> s) { p.set_value(std::move(s)); });
      return p.get_future().get();
    };
    auto bad = read();
    REQUIRE_FALSE(bad);  // the one source serves that leaf corrupt, alone too
    CHECK(bad.error().code == ErrorCode::kCorrupt);
    f.gw->ClearFaults();
    auto good = read();
    REQUIRE(good);
    Bytes out;
    for (const auto& s : *good) Append(out, s.span());
    CHECK(out == f.content);
  }
}

TEST_CASE("head CAR: a lookup of a block already being fetched or cached asks for no CAR") {
  Fixture f;
  Resolver r(*f.cache);
  std::promise<Result<NodePtr>> a;
  r.GetNode(f.file.cid, [&](Result<NodePtr> n) { a.set_value(std::move(n)); });
  REQUIRE(a.get_future().get());
  f.gw->ResetCounts();
  Resolver fresh(*f.cache);  // its own node cache: only the block cache has the root
  std::promise<Result<NodePtr>> b;
  fresh.GetNodeAhead(f.file.cid, 1 << 20, [&](Result<NodePtr> n) { b.set_value(std::move(n)); });
  REQUIRE(b.get_future().get());
  CHECK(f.gw->TotalRequests() == 0);
  CHECK(fresh.HeadInFlight(f.file.cid) == 0);
}

}  // namespace
}  // namespace ipfsfs::resolver
