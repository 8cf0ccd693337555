// The fetcher's jobs (coalescing, failover, hedging, demotion, deadlines,
// the in-flight count) through BlockCache over FakeSources: no socket.
#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <memory>
#include <vector>

#include "blockcache/block_cache.h"
#include "blockcache/dag_tools.h"
#include "tests/support/fake_source.h"
#include "tests/support/test_dag.h"

namespace ipfsfs::blockcache {
namespace {

using namespace std::chrono_literals;
using testing::FakeSource;
using testing::MakeRawBlock;
using Clock = std::chrono::steady_clock;

BlockCacheOptions Options() {
  BlockCacheOptions o;
  o.fetch_timeout = 3000ms;
  o.hedge_min = 100ms;
  return o;
}

// A cache over the given fakes, which the test keeps pointers to.
std::unique_ptr<BlockCache> Over(std::vector<FakeSource*>& fakes, int n, BlockCacheOptions o = Options()) {
  std::vector<std::unique_ptr<Source>> sources;
  for (int i = 0; i < n; ++i) {
    auto s = std::make_unique<FakeSource>("fake" + std::to_string(i));
    fakes.push_back(s.get());
    sources.push_back(std::move(s));
  }
  auto c = BlockCache::Create(o, NewMemoryStore(), std::move(sources));
  REQUIRE(c);
  return std::move(*c);
}

TEST_CASE("fetcher: concurrent misses of one block send one request; in_flight counts it until it lands") {
  std::vector<FakeSource*> fakes;
  auto cache = Over(fakes, 1);
  auto b = MakeRawBlock(1000, 1);
  fakes[0]->Add(b.cid, b.data);
  fakes[0]->SetDelay(b.cid, 300ms);
  std::vector<std::future<Result<Block>>> gets;
  for (int i = 0; i < 8; ++i) {
    auto p = std::make_shared<std::promise<Result<Block>>>();
    gets.push_back(p->get_future());
    cache->Get(b.cid, [p](Result<Block> r) { p->set_value(std::move(r)); });
  }
  CHECK(cache->Stats().in_flight == 1);
  for (auto& g : gets) REQUIRE(g.get());
  CHECK(fakes[0]->Requests(b.cid) == 1);
  auto s = cache->Stats();
  CHECK(s.in_flight == 0);
  CHECK(s.coalesced == 7);
  CHECK(s.fetched_blocks == 1);
}

TEST_CASE("fetcher: an error from one source fails over to the next") {
  std::vector<FakeSource*> fakes;
  auto cache = Over(fakes, 2);
  auto b = MakeRawBlock(1000, 2);
  for (auto* f : fakes) f->Add(b.cid, b.data);
  fakes[0]->SetError(b.cid, ErrorCode::kUnavailable);
  auto r = cache->GetBlocking(b.cid);
  REQUIRE(r);
  CHECK(fakes[0]->Requests(b.cid) == 1);  // equal health: asked first
  CHECK(fakes[1]->Requests(b.cid) == 1);
}

TEST_CASE("fetcher: a slow source is hedged to the next; the fast answer wins") {
  std::vector<FakeSource*> fakes;
  auto cache = Over(fakes, 2);
  auto b = MakeRawBlock(1000, 3);
  for (auto* f : fakes) f->Add(b.cid, b.data);
  fakes[0]->SetDelay(b.cid, 2500ms);
  fakes[1]->SetDelay(b.cid, 2500ms);
  // Whichever is asked first is slow; the hedge goes to the other, made fast now.
  auto started = Clock::now();
  auto p = std::make_shared<std::promise<Result<Block>>>();
  auto f = p->get_future();
  cache->Get(b.cid, [p](Result<Block> r) { p->set_value(std::move(r)); });
  FakeSource* first = fakes[0]->Requests(b.cid) == 1 ? fakes[0] : fakes[1];
  FakeSource* second = first == fakes[0] ? fakes[1] : fakes[0];
  second->SetDelay(b.cid, 0ms);
  REQUIRE(f.get());
  CHECK(Clock::now() - started < 2000ms);
  CHECK(first->Requests(b.cid) == 1);
  CHECK(second->Requests(b.cid) == 1);
}

TEST_CASE("fetcher: bad bytes are never returned; the source is demoted and the next one asked first later") {
  std::vector<FakeSource*> fakes;
  auto cache = Over(fakes, 2);
  auto a = MakeRawBlock(1000, 4);
  auto b = MakeRawBlock(1000, 5);
  for (auto* f : fakes) {
    f->Add(a.cid, a.data);
    f->Add(b.cid, b.data);
  }
  fakes[0]->SetCorrupt(a.cid);
  fakes[1]->SetCorrupt(a.cid);
  auto bad = cache->GetBlocking(a.cid);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == ErrorCode::kCorrupt);
  CHECK_FALSE(cache->Has(a.cid));
  auto stats = cache->Stats();
  CHECK(stats.sources.at(0).corrupt + stats.sources.at(1).corrupt >= 2);
  // Both demoted: still served, from either.
  REQUIRE(cache->GetBlocking(b.cid));
}

TEST_CASE("fetcher: a source that never answers fails the get at fetch_timeout, not later") {
  std::vector<FakeSource*> fakes;
  auto o = Options();
  o.fetch_timeout = 300ms;
  auto cache = Over(fakes, 1, o);
  auto b = MakeRawBlock(1000, 6);
  fakes[0]->Add(b.cid, b.data);
  fakes[0]->SetDelay(b.cid, 60s);
  auto started = Clock::now();
  auto r = cache->GetBlocking(b.cid);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::kTimeout);
  CHECK(Clock::now() - started < 2s);
  CHECK(cache->Stats().in_flight == 0);
}

TEST_CASE("fetcher: missing everywhere is kNotFound after each source said so") {
  std::vector<FakeSource*> fakes;
  auto cache = Over(fakes, 2);
  auto b = MakeRawBlock(1000, 7);
  auto r = cache->GetBlocking(b.cid);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::kNotFound);
  CHECK(fakes[0]->Requests(b.cid) == 1);
  CHECK(fakes[1]->Requests(b.cid) == 1);
}

TEST_CASE("fetcher: a block a CAR brings answers the get waiting for it") {
  std::vector<FakeSource*> fakes;
  auto cache = Over(fakes, 1);
  auto dag = testing::MakeFileDag(64 << 10, 16 << 10, 4, 8);
  for (auto& blk : dag.blocks) fakes[0]->Add(blk.cid, blk.data);
  const auto& leaf = dag.blocks.back();
  fakes[0]->SetDelay(leaf.cid, 60s);  // alone it would never come
  auto p = std::make_shared<std::promise<Result<Block>>>();
  auto f = p->get_future();
  cache->Get(leaf.cid, [p](Result<Block> r) { p->set_value(std::move(r)); });
  auto fetched = FetchDag(*cache, dag.root, true);
  REQUIRE(fetched);
  REQUIRE(f.wait_for(2s) == std::future_status::ready);
  REQUIRE(f.get());
  CHECK(fakes[0]->Requests(leaf.cid) == 1);
}

TEST_CASE("fetcher: a block a CAR brings reaches its waiter under the CID the waiter asked for") {
  std::vector<FakeSource*> fakes;
  auto cache = Over(fakes, 1);
  auto dag = testing::MakeFileDag(64 << 10, 16 << 10, 4, 8);
  for (auto& blk : dag.blocks) fakes[0]->Add(blk.cid, blk.data);
  const auto& leaf = dag.blocks.back();
  REQUIRE(leaf.cid.codec() == static_cast<uint64_t>(ipld::Codec::kRaw));
  // The same bytes under another codec: a node is decoded by its CID's codec,
  // so the waiter must get the block under the CID it asked for.
  ipld::Cid asked = ipld::Cid::V1(ipld::Codec::kDagPb, leaf.cid.hash());
  fakes[0]->Add(asked, leaf.data);
  fakes[0]->SetDelay(asked, 60s);  // alone it would never come
  auto p = std::make_shared<std::promise<Result<Block>>>();
  auto f = p->get_future();
  cache->Get(asked, [p](Result<Block> r) { p->set_value(std::move(r)); });
  auto fetched = FetchDag(*cache, dag.root, true);
  REQUIRE(fetched);
  REQUIRE(f.wait_for(2s) == std::future_status::ready);
  auto got = f.get();
  REQUIRE(got);
  CHECK(got->cid() == asked);
}

// A fake that claims byte ranges (and answers them kUnsupported): a head CAR that fails.
class RangeClaimingFake : public FakeSource {
 public:
  using FakeSource::FakeSource;
  bool SupportsByteRanges() const override { return true; }
};

TEST_CASE("fetcher: a head CAR that fails wakes the block awaiting it, even with another CAR in flight") {
  auto owned = std::make_unique<RangeClaimingFake>("fake0");
  FakeSource* fake = owned.get();
  std::vector<std::unique_ptr<Source>> sources;
  sources.push_back(std::move(owned));
  auto c = BlockCache::Create(Options(), NewMemoryStore(), std::move(sources));
  REQUIRE(c);
  auto& cache = *c;
  auto other = MakeRawBlock(1000, 40);  // another DAG's CAR: in flight the whole test
  auto root = MakeRawBlock(1000, 41);
  fake->Add(other.cid, other.data);
  fake->Add(root.cid, root.data);
  fake->SetDelay(other.cid, 60s);
  std::promise<Status> other_done;
  cache->PrefetchDag(other.cid, PrefetchScope::kAll, 0, [&](Status s) { other_done.set_value(std::move(s)); });
  std::promise<Status> head_done;
  cache->PrefetchHead(root.cid, 1 << 20, 4 << 20, [&](Status s) { head_done.set_value(std::move(s)); });
  std::promise<Result<Block>> got;
  cache->GetExpected(root.cid, 120s, [&](Result<Block> b) { got.set_value(std::move(b)); });
  auto head = head_done.get_future().get();
  CHECK_FALSE(head);  // the fake serves no ranges
  auto f = got.get_future();
  REQUIRE(f.wait_for(30s) == std::future_status::ready);  // bounded: never a hang
  auto b = f.get();
  REQUIRE(b);
  CHECK(fake->Requests(root.cid) == 2);  // the CAR, then the block alone
  auto o = other_done.get_future();
  CHECK(o.wait_for(0s) == std::future_status::timeout);  // woken by its own CAR's end, not the other's
  cache.reset();  // cancels the other CAR
}

}  // namespace
}  // namespace ipfsfs::blockcache
