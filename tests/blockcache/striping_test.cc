// Striping (issue 17): CAR streams go where they will finish first, so one
// file's ranges spread over every source by its speed.
#include <catch2/catch.hpp>
#include <future>

#include "blockcache/block_cache.h"
#include "blockcache/sources.h"
#include "tests/support/fake_source.h"
#include "tests/support/test_dag.h"
#include "tests/support/test_gateway.h"

namespace ipfsfs::blockcache {
namespace {

constexpr uint64_t kMiB = 1u << 20;

Sources ThreeSources() {
  std::vector<std::unique_ptr<Source>> v;
  for (const char* n : {"a", "b", "c"}) v.push_back(std::make_unique<testing::FakeSource>(n));
  return Sources(std::move(v), std::chrono::milliseconds(100));
}

TEST_CASE("striping: unmeasured sources each get a stream, then the faster gets more in proportion", "[striping]") {
  auto sources = ThreeSources();
  auto all = [](size_t) { return true; };
  CHECK(sources.BeginStream(16 * kMiB, all) == 0);
  CHECK(sources.BeginStream(16 * kMiB, all) == 1);
  CHECK(sources.BeginStream(16 * kMiB, all) == 2);
  CHECK(sources.Stats()[1].streams == 1);
  // a: 32 MiB/s, b and c: 8 MiB/s.
  sources.EndStream(0, 16 * kMiB, 16 * kMiB, 0.5);
  sources.EndStream(1, 16 * kMiB, 16 * kMiB, 2.0);
  sources.EndStream(2, 16 * kMiB, 16 * kMiB, 2.0);
  CHECK(sources.Stats()[0].throughput == Approx(32.0 * kMiB));
  CHECK(sources.Stats()[1].streams == 0);
  std::vector<int> picks(3);
  for (int i = 0; i < 12; ++i) ++picks[sources.BeginStream(16 * kMiB, all)];
  // Expected finish times balance at 4:1:1.
  CHECK(picks == std::vector<int>{8, 2, 2});
}

TEST_CASE("striping: a demoted source and an ineligible one get no stream while others can take it", "[striping]") {
  auto sources = ThreeSources();
  sources.NoteCorrupt(0);
  CHECK(sources.BeginStream(kMiB, [](size_t) { return true; }) == 1);
  CHECK(sources.BeginStream(kMiB, [](size_t i) { return i != 1 && i != 2; }) == 0);  // only it can
  CHECK(sources.BeginStream(kMiB, [](size_t i) { return i == 2; }) == 2);
  CHECK(sources.BeginStream(kMiB, [](size_t) { return false; }) == SIZE_MAX);
  CHECK(sources.Stats()[0].demoted);
}

std::vector<testing::TestBlock> Leaves(const testing::TestDag& dag) {
  std::vector<testing::TestBlock> out;
  for (const auto& b : dag.blocks) {
    if (b.cid.codec() == static_cast<uint64_t>(ipld::Codec::kRaw)) out.push_back(b);
  }
  return out;
}

TEST_CASE("striping: ranges in flight together go to different gateways, and a CAR cut short costs no byte",
          "[striping]") {
  std::vector<std::unique_ptr<testing::TestGateway>> gws;
  auto dag = testing::MakeFileDag(6 * kMiB, 256 << 10, 8, 61);
  BlockCacheOptions o;
  o.fetch_timeout = std::chrono::milliseconds(5000);
  o.request_timeout = std::chrono::milliseconds(2000);
  o.connect_timeout = std::chrono::milliseconds(1000);
  for (int i = 0; i < 3; ++i) {
    auto g = testing::TestGateway::Start({});
    REQUIRE(g);
    for (auto& b : dag.blocks) (*g)->AddBlock(b.cid, b.data);
    o.sources.push_back({SourceSpec::Kind::kGateway, (*g)->url()});
    gws.push_back(std::move(*g));
  }
  auto cache = BlockCache::Open(o);
  REQUIRE(cache);
  REQUIRE((*cache)->RangeSources() == 3);
  REQUIRE((*cache)->GetBlocking(dag.root));
  // The second gateway's CARs break off halfway.
  gws[1]->SetFault(dag.root, testing::Fault::kTruncate);
  for (auto& g : gws) g->ResetCounts();
  std::vector<std::future<Status>> ranges;
  for (uint64_t from = 0; from < 6 * kMiB; from += 2 * kMiB) {
    auto p = std::make_shared<std::promise<Status>>();
    ranges.push_back(p->get_future());
    (*cache)->PrefetchRange(dag.root, ByteRange{from, from + 2 * kMiB}, [p](Status s) { p->set_value(std::move(s)); });
  }
  int failed = 0;
  for (auto& r : ranges) failed += r.get() ? 0 : 1;
  CHECK(failed == 1);  // the cut one
  for (auto& g : gws) CHECK(g->RequestCount(dag.root) == 1);  // one range each
  for (const auto& leaf : Leaves(dag)) {
    auto b = (*cache)->GetBlocking(leaf.cid);  // what the cut CAR did not bring comes alone
    REQUIRE(b);
    CHECK(std::equal(b->bytes().begin(), b->bytes().end(), leaf.data.begin(), leaf.data.end()));
  }
}

}  // namespace
}  // namespace ipfsfs::blockcache
