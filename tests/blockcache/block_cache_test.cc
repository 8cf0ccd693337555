#include "blockcache/block_cache.h"
#include "blockcache/dag_tools.h"

#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "ipld/car.h"
#include "net/http_engine.h"
#include "tests/support/test_dag.h"
#include "tests/support/test_gateway.h"

namespace ipfsfs::blockcache {
namespace {

using testing::Fault;
using testing::MakeRawBlock;
using testing::TestGateway;
using Clock = std::chrono::steady_clock;

std::unique_ptr<TestGateway> NewGateway() {
  testing::TestGatewayOptions o;
  o.slow_chunk = 1024;
  o.slow_delay = std::chrono::milliseconds(10);
  auto g = TestGateway::Start(o);
  REQUIRE(g);
  return std::move(*g);
}

BlockCacheOptions FastOptions() {
  BlockCacheOptions o;
  o.fetch_timeout = std::chrono::milliseconds(3000);
  o.request_timeout = std::chrono::milliseconds(1000);
  o.connect_timeout = std::chrono::milliseconds(500);
  o.hedge_min = std::chrono::milliseconds(200);
  return o;
}

std::unique_ptr<BlockCache> OpenCache(std::vector<TestGateway*> gateways, BlockCacheOptions o = FastOptions()) {
  for (auto* g : gateways) o.sources.push_back({SourceSpec::Kind::kGateway, g->url()});
  auto c = BlockCache::Open(o);
  REQUIRE(c);
  return std::move(*c);
}

bool Same(ByteSpan a, const Bytes& b) { return std::equal(a.begin(), a.end(), b.begin(), b.end()); }

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/ipfsfs-blockcache-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

TEST_CASE("get fetches, verifies and caches: the second get is a hit") {
  auto gw = NewGateway();
  auto cache = OpenCache({gw.get()});
  auto b = MakeRawBlock(50000, 1);
  gw->AddBlock(b.cid, b.data);
  auto r = cache->GetBlocking(b.cid);
  REQUIRE(r);
  CHECK(Same(r->bytes(), b.data));
  r = cache->GetBlocking(b.cid);
  REQUIRE(r);
  CHECK(gw->RequestCount(b.cid) == 1);
  auto s = cache->Stats();
  CHECK(s.hits == 1);
  CHECK(s.misses == 1);
  CHECK(s.stored_blocks == 1);
  CHECK(s.stored_bytes == 50000);
}

TEST_CASE("identity CIDs never touch the network") {
  auto gw = NewGateway();
  auto cache = OpenCache({gw.get()});
  Bytes data = ToBytes("hello");
  ipld::Cid cid = ipld::Cid::V1(ipld::Codec::kRaw, ipld::Multihash(0, data));
  auto r = cache->GetBlocking(cid);
  REQUIRE(r);
  CHECK(AsText(r->bytes()) == "hello");
  CHECK(gw->TotalRequests() == 0);
}

TEST_CASE("v0 and v1 of the same bytes share one entry") {
  auto gw = NewGateway();
  auto cache = OpenCache({gw.get()});
  auto dag = testing::MakeFileDag(1000, 1000, 2, 2);  // a dag-pb root over one raw leaf
  const auto& root = dag.blocks[0];
  gw->AddBlock(root.cid, root.data);
  auto v0 = root.cid.ToV0();
  REQUIRE(v0);
  REQUIRE(cache->GetBlocking(root.cid));
  auto r = cache->GetBlocking(*v0);
  REQUIRE(r);
  CHECK(r->cid() == *v0);
  CHECK(gw->RequestCount(root.cid) == 1);
  CHECK(cache->Stats().stored_blocks == 1);
}

TEST_CASE("32 threads getting one CID make one request") {
  auto gw = NewGateway();
  auto cache = OpenCache({gw.get()});
  auto b = MakeRawBlock(64 << 10, 3);
  gw->AddBlock(b.cid, b.data);
  gw->SetFault(b.cid, Fault::kSlow);  // ~0.6 s: every thread arrives while it is in flight
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 32; ++i) {
    threads.emplace_back([&] {
      auto r = cache->GetBlocking(b.cid);
      if (r && Same(r->bytes(), b.data)) ++good;
    });
  }
  for (auto& t : threads) t.join();
  CHECK(good == 32);
  CHECK(gw->RequestCount(b.cid) == 1);
  CHECK(cache->Stats().coalesced == 31);
}

struct FaultCase {
  Fault fault;
  ErrorCode alone;  // the error with only the faulty source
};

TEST_CASE("fault matrix: the right bytes from another source, or a clear error in bounded time") {
  auto fc = GENERATE(FaultCase{Fault::kCorrupt, ErrorCode::kCorrupt}, FaultCase{Fault::kWrongBlock, ErrorCode::kCorrupt},
                     FaultCase{Fault::kTruncate, ErrorCode::kUnavailable},
                     FaultCase{Fault::kStatus500, ErrorCode::kUnavailable},
                     FaultCase{Fault::kStatus404, ErrorCode::kNotFound}, FaultCase{Fault::kStall, ErrorCode::kTimeout},
                     FaultCase{Fault::kWrongContentType, ErrorCode::kUnavailable});
  CAPTURE(testing::FaultName(fc.fault));
  auto bad = NewGateway();
  auto good = NewGateway();
  auto b = MakeRawBlock(20000, 4);
  auto other = MakeRawBlock(20000, 5);
  for (auto* g : {bad.get(), good.get()}) {
    g->AddBlock(b.cid, b.data);
    g->AddBlock(other.cid, other.data);
  }
  bad->SetFault(fc.fault);

  SECTION("with a good second source") {
    auto cache = OpenCache({bad.get(), good.get()});
    auto start = Clock::now();
    auto r = cache->GetBlocking(b.cid);
    REQUIRE(r);
    CHECK(Same(r->bytes(), b.data));
    CHECK(Clock::now() - start < std::chrono::seconds(3));
    // What is stored is the right block.
    auto local = cache->GetLocal(b.cid);
    REQUIRE(local);
    REQUIRE(local->has_value());
    CHECK(Same((*local)->bytes(), b.data));
  }
  SECTION("alone") {
    auto cache = OpenCache({bad.get()});
    auto start = Clock::now();
    auto r = cache->GetBlocking(b.cid);
    auto took = Clock::now() - start;
    REQUIRE_FALSE(r);
    CHECK(r.error().code == fc.alone);
    CHECK(r.error().message.find(b.cid.ToString()) != std::string::npos);
    CHECK(took < std::chrono::milliseconds(3500));
    CHECK_FALSE(cache->Has(b.cid));
    CHECK(cache->Stats().stored_blocks == 0);  // a wrong block is never stored either
  }
}

TEST_CASE("a slow source still yields the right bytes") {
  auto gw = NewGateway();
  auto cache = OpenCache({gw.get()});
  auto b = MakeRawBlock(30000, 6);
  gw->AddBlock(b.cid, b.data);
  gw->SetFault(Fault::kSlow);
  auto r = cache->GetBlocking(b.cid);
  REQUIRE(r);
  CHECK(Same(r->bytes(), b.data));
}

TEST_CASE("a stalled first source is hedged to the second") {
  auto slow = NewGateway();
  auto fast = NewGateway();
  auto b = MakeRawBlock(1000, 7);
  slow->AddBlock(b.cid, b.data);
  fast->AddBlock(b.cid, b.data);
  slow->SetFault(Fault::kStall);
  auto o = FastOptions();
  o.fetch_timeout = std::chrono::milliseconds(10000);
  o.request_timeout = std::chrono::milliseconds(8000);
  auto cache = OpenCache({slow.get(), fast.get()}, o);
  auto start = Clock::now();
  auto r = cache->GetBlocking(b.cid);
  auto took = Clock::now() - start;
  REQUIRE(r);
  CHECK(took >= std::chrono::milliseconds(190));
  CHECK(took < std::chrono::milliseconds(1500));  // the hedge, not the 8 s request timeout
  CHECK(slow->RequestCount(b.cid) == 1);
  CHECK(fast->RequestCount(b.cid) == 1);
}

TEST_CASE("a corrupting source is demoted: later gets go to the good one first") {
  auto bad = NewGateway();
  auto good = NewGateway();
  std::vector<testing::TestBlock> blocks;
  for (int i = 0; i < 10; ++i) {
    blocks.push_back(MakeRawBlock(1000, 100 + i));
    bad->AddBlock(blocks.back().cid, blocks.back().data);
    good->AddBlock(blocks.back().cid, blocks.back().data);
  }
  bad->SetFault(Fault::kCorrupt);
  auto cache = OpenCache({bad.get(), good.get()});
  for (auto& b : blocks) REQUIRE(cache->GetBlocking(b.cid));
  CHECK(bad->TotalRequests() == 1);
  auto s = cache->Stats();
  REQUIRE(s.sources.size() == 2);
  CHECK(s.sources[0].corrupt == 1);
  CHECK(s.sources[1].bytes == 10000);
}

TEST_CASE("offline: hits served, misses are kNotFound at once, no network") {
  auto gw = NewGateway();
  TempDir dir;
  auto b = MakeRawBlock(1000, 8);
  auto absent = MakeRawBlock(1000, 9);
  gw->AddBlock(b.cid, b.data);
  gw->AddBlock(absent.cid, absent.data);
  {
    auto o = FastOptions();
    o.cache_dir = dir.path;
    auto cache = OpenCache({gw.get()}, o);
    REQUIRE(cache->GetBlocking(b.cid));
  }
  auto o = FastOptions();
  o.cache_dir = dir.path;
  o.offline = true;
  auto cache = OpenCache({gw.get()}, o);
  gw->ResetCounts();
  REQUIRE(cache->GetBlocking(b.cid));
  auto r = cache->GetBlocking(absent.cid);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::kNotFound);
  CHECK(gw->TotalRequests() == 0);
}

TEST_CASE("gc gives back the disk space of evicted blocks that shared pack files with pinned ones") {
  TempDir dir;
  auto blob_bytes = [&] {
    uint64_t n = 0;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir.path)) {
      if (e.path().extension() == ".blob" || e.path().extension() == ".pack") n += e.file_size();
    }
    return n;
  };
  auto o = FastOptions();
  o.cache_dir = dir.path;
  auto c = BlockCache::Open(o);
  REQUIRE(c);
  auto& cache = **c;
  auto dag = testing::MakeFileDag(2 << 20, 256 << 10, 8, 41);
  size_t next_dag = 0;
  for (int i = 0; i < 96; ++i) {  // 24 MiB unpinned, the pinned DAG's blocks spread among them
    auto b = MakeRawBlock(256 << 10, 500 + i);
    REQUIRE(cache.Put(*Block::Verify(b.cid, b.data)));
    if (i % 8 == 0 && next_dag < dag.blocks.size()) {
      auto& d = dag.blocks[next_dag++];
      REQUIRE(cache.Put(*Block::Verify(d.cid, d.data)));
    }
  }
  while (next_dag < dag.blocks.size()) {
    auto& d = dag.blocks[next_dag++];
    REQUIRE(cache.Put(*Block::Verify(d.cid, d.data)));
  }
  REQUIRE(Pin(cache, dag.root));
  CHECK(blob_bytes() >= (24u << 20));
  auto gc = cache.Gc(0);
  REQUIRE(gc);
  CHECK(gc->evicted_blocks == 96);
  CHECK(blob_bytes() <= (4u << 20));  // the pinned 2 MiB and little else
  for (const auto& d : dag.blocks) CHECK(cache.Has(d.cid));
  auto again = cache.GetLocal(dag.root);
  REQUIRE(again);
  REQUIRE(*again);
}

TEST_CASE("a full disk: every block is still served, the cache keeps working, one log line") {
  if (geteuid() != 0) {
    WARN("needs root to mount a small tmpfs; skipped");
    return;
  }
  TempDir dir;
  REQUIRE(mount("tmpfs", dir.path.c_str(), "tmpfs", 0, "size=6m") == 0);
  struct Unmount {
    std::string path;
    ~Unmount() { umount2(path.c_str(), MNT_DETACH); }
  } unmount{dir.path};
  auto ring = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(1000);
  auto gw = NewGateway();
  std::vector<testing::TestBlock> blocks;
  for (int i = 0; i < 64; ++i) {  // 16 MiB through a 6 MiB disk
    blocks.push_back(MakeRawBlock(256 << 10, 700 + i));
    gw->AddBlock(blocks.back().cid, blocks.back().data);
  }
  // The block cache logs to the logger registered under its name (its own
  // on stderr unless someone registered one first).
  auto logger = spdlog::get("blockcache");
  if (!logger) logger = spdlog::stderr_color_mt("blockcache");
  {
    auto o = FastOptions();
    o.cache_dir = dir.path;
    o.memory_cache_bytes = 0;
    auto cache = OpenCache({gw.get()}, o);
    logger->sinks().push_back(ring);
    for (int round = 0; round < 2; ++round) {
      for (const auto& b : blocks) {
        auto r = cache->GetBlocking(b.cid);
        REQUIRE(r);
        CHECK(Same(r->bytes(), b.data));
      }
    }
    CHECK(cache->Stats().fetched_blocks >= blocks.size());
    logger->sinks().pop_back();
  }
  int lines = 0;
  for (const auto& line : ring->last_formatted()) lines += line.find("cannot store block") != std::string::npos;
  CHECK(lines == 1);
}

namespace {
// The raw leaves of a MakeFileDag file in file order (DFS lists them so).
std::vector<testing::TestBlock> Leaves(const testing::TestDag& dag) {
  std::vector<testing::TestBlock> out;
  for (const auto& b : dag.blocks) {
    if (b.cid.codec() == static_cast<uint64_t>(ipld::Codec::kRaw)) out.push_back(b);
  }
  return out;
}

Status AwaitStatus(const std::function<void(std::function<void(Status)>)>& start) {
  auto p = std::make_shared<std::promise<Status>>();
  auto f = p->get_future();
  start([p](Status s) { p->set_value(std::move(s)); });
  return f.get();
}
}  // namespace

TEST_CASE("a ranged CAR brings only the blocks of its bytes; gets that expect them send no request of their own") {
  auto gw = NewGateway();
  auto dag = testing::MakeFileDag(4 << 20, 256 << 10, 4, 51);
  for (auto& b : dag.blocks) gw->AddBlock(b.cid, b.data);
  auto leaves = Leaves(dag);
  REQUIRE(leaves.size() == 16);
  auto cache = OpenCache({gw.get()});
  REQUIRE(cache->GetBlocking(dag.root));  // a reader starts at the root: a miss, as on a cold read
  gw->ResetCounts();
  std::promise<Status> range_done;
  cache->PrefetchRange(dag.root, ByteRange{4u << 18, 8u << 18}, [&](Status s) { range_done.set_value(std::move(s)); });
  std::vector<std::future<Result<Block>>> gets;
  for (size_t i = 4; i < 8; ++i) {
    auto p = std::make_shared<std::promise<Result<Block>>>();
    gets.push_back(p->get_future());
    cache->GetExpected(leaves[i].cid, std::chrono::milliseconds(5000), [p](Result<Block> b) { p->set_value(std::move(b)); });
  }
  for (size_t i = 0; i < gets.size(); ++i) {
    auto b = gets[i].get();
    REQUIRE(b);
    CHECK(Same(b->bytes(), leaves[4 + i].data));
  }
  REQUIRE(range_done.get_future().get());
  for (size_t i = 0; i < leaves.size(); ++i) {
    INFO("leaf " << i);
    CHECK(gw->RequestCount(leaves[i].cid) == 0);  // none asked for alone
    CHECK(cache->Has(leaves[i].cid) == (i >= 4 && i < 8));  // exactly the range's leaves came
  }
}

TEST_CASE("a block the ranged CAR does not bring is asked for alone once the CAR ends, not after all the patience") {
  auto gw = NewGateway();
  auto dag = testing::MakeFileDag(4 << 20, 256 << 10, 4, 52);
  for (auto& b : dag.blocks) gw->AddBlock(b.cid, b.data);
  auto leaves = Leaves(dag);
  auto cache = OpenCache({gw.get()});
  REQUIRE(cache->GetBlocking(dag.root));
  auto started = std::chrono::steady_clock::now();
  std::promise<Status> range_done;
  cache->PrefetchRange(dag.root, ByteRange{0, 1u << 18}, [&](Status s) { range_done.set_value(std::move(s)); });
  std::promise<Result<Block>> got;
  cache->GetExpected(leaves[10].cid, std::chrono::milliseconds(20000), [&](Result<Block> b) { got.set_value(std::move(b)); });
  auto b = got.get_future().get();
  REQUIRE(b);
  CHECK(Same(b->bytes(), leaves[10].data));
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(5));
  REQUIRE(range_done.get_future().get());
  CHECK(gw->RequestCount(leaves[10].cid) == 1);
  // With no ranged CAR in flight, GetExpected is a plain Get.
  gw->ResetCounts();
  started = std::chrono::steady_clock::now();
  REQUIRE(cache->GetBlocking(leaves[11].cid));
  std::promise<Result<Block>> plain;
  cache->GetExpected(leaves[12].cid, std::chrono::milliseconds(20000), [&](Result<Block> r) { plain.set_value(std::move(r)); });
  REQUIRE(plain.get_future().get());
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(5));
  CHECK(gw->RequestCount(leaves[12].cid) == 1);
}

TEST_CASE("a DAG CAR brings every block once: gets that expect it send no request of their own") {
  auto gw = NewGateway();
  auto dag = testing::MakeFileDag(2 << 20, 256 << 10, 4, 53);
  for (auto& b : dag.blocks) gw->AddBlock(b.cid, b.data);
  auto cache = OpenCache({gw.get()});
  std::promise<Status> car_done;
  cache->PrefetchDag(dag.root, PrefetchScope::kAll, 0, [&](Status s) { car_done.set_value(std::move(s)); });
  std::vector<std::future<Result<Block>>> gets;
  for (const auto& b : dag.blocks) {
    auto p = std::make_shared<std::promise<Result<Block>>>();
    gets.push_back(p->get_future());
    cache->GetExpected(b.cid, std::chrono::milliseconds(20000), [p](Result<Block> r) { p->set_value(std::move(r)); });
  }
  for (size_t i = 0; i < gets.size(); ++i) {
    auto b = gets[i].get();
    REQUIRE(b);
    CHECK(Same(b->bytes(), dag.blocks[i].data));
  }
  REQUIRE(car_done.get_future().get());
  CHECK(gw->TotalRequests() == 1);
  CHECK(gw->RequestCount(dag.root) == 1);
}

TEST_CASE("a DAG CAR stops past its byte budget, and what it did not bring is asked for alone") {
  auto gw = NewGateway();
  auto dag = testing::MakeFileDag(4 << 20, 256 << 10, 4, 54);
  for (auto& b : dag.blocks) gw->AddBlock(b.cid, b.data);
  auto leaves = Leaves(dag);
  REQUIRE(leaves.size() == 16);
  auto cache = OpenCache({gw.get()});
  // The root and first inner node are small: two leaves fit in 600 KiB, the third does not.
  auto s = AwaitStatus([&](auto done) { cache->PrefetchDag(dag.root, PrefetchScope::kAll, 600u << 10, done); });
  REQUIRE(!s);
  CHECK(s.error().code == ErrorCode::kTooLarge);
  for (size_t i = 0; i < leaves.size(); ++i) {
    INFO("leaf " << i);
    CHECK(cache->Has(leaves[i].cid) == (i < 2));
  }
  gw->ResetCounts();
  std::promise<Result<Block>> got;
  cache->GetExpected(leaves[9].cid, std::chrono::milliseconds(20000),
                     [&](Result<Block> b) { got.set_value(std::move(b)); });
  auto b = got.get_future().get();
  REQUIRE(b);
  CHECK(Same(b->bytes(), leaves[9].data));
  CHECK(gw->RequestCount(leaves[9].cid) == 1);
}

TEST_CASE("a DAG CAR from a gateway without CARs: every awaited block comes alone, right, and no CAR is asked again") {
  testing::TestGatewayOptions o;
  o.serve_cars = false;
  auto g = TestGateway::Start(o);
  REQUIRE(g);
  auto& gw = *g;
  auto dag = testing::MakeFileDag(1 << 20, 256 << 10, 4, 55);
  for (auto& b : dag.blocks) gw->AddBlock(b.cid, b.data);
  auto cache = OpenCache({gw.get()});
  std::promise<Status> car_done;
  cache->PrefetchDag(dag.root, PrefetchScope::kAll, 0, [&](Status s) { car_done.set_value(std::move(s)); });
  std::vector<std::future<Result<Block>>> gets;
  for (const auto& b : dag.blocks) {
    auto p = std::make_shared<std::promise<Result<Block>>>();
    gets.push_back(p->get_future());
    cache->GetExpected(b.cid, std::chrono::milliseconds(20000), [p](Result<Block> r) { p->set_value(std::move(r)); });
  }
  for (size_t i = 0; i < gets.size(); ++i) {
    auto b = gets[i].get();
    REQUIRE(b);
    CHECK(Same(b->bytes(), dag.blocks[i].data));
  }
  auto car = car_done.get_future().get();
  REQUIRE(!car);
  CHECK(car.error().code == ErrorCode::kUnsupported);  // 501: the gateway says it serves none
  for (const auto& b : dag.blocks) CHECK(gw->RequestCount(b.cid) == (b.cid == dag.root ? 2 : 1));
  // It is not asked for a CAR again: the next answers at once, without a request.
  auto other = testing::MakeFileDag(1 << 20, 256 << 10, 4, 57);
  for (auto& b : other.blocks) gw->AddBlock(b.cid, b.data);
  auto again = AwaitStatus([&](auto done) { cache->PrefetchDag(other.root, PrefetchScope::kAll, 0, done); });
  REQUIRE(!again);
  CHECK(again.error().code == ErrorCode::kUnsupported);
  CHECK(gw->RequestCount(other.root) == 0);
}

TEST_CASE("a DAG CAR with a wrong block stops there: the bad bytes are never stored, the block comes alone") {
  auto gw = NewGateway();
  auto dag = testing::MakeFileDag(1 << 20, 256 << 10, 4, 56);
  for (auto& b : dag.blocks) gw->AddBlock(b.cid, b.data);
  auto leaves = Leaves(dag);
  auto cache = OpenCache({gw.get()});
  gw->SetFault(leaves[1].cid, Fault::kWrongBlock);
  auto s = AwaitStatus([&](auto done) { cache->PrefetchDag(dag.root, PrefetchScope::kAll, 0, done); });
  CHECK(!s);
  CHECK(cache->Has(leaves[0].cid));
  CHECK(!cache->Has(leaves[1].cid));
  gw->ClearFaults();
  auto b = cache->GetBlocking(leaves[1].cid);
  REQUIRE(b);
  CHECK(Same(b->bytes(), leaves[1].data));
}

TEST_CASE("closing the cache cancels a ranged CAR in flight at once") {
  auto gw = NewGateway();
  auto dag = testing::MakeFileDag(4 << 20, 256 << 10, 4, 54);
  for (auto& b : dag.blocks) gw->AddBlock(b.cid, b.data);
  auto cache = OpenCache({gw.get()});
  REQUIRE(cache->GetBlocking(dag.root));  // a recent miss: the range is asked for
  gw->SetFault(Fault::kSlow);             // 512 bytes every 20 ms: 4 MiB would take minutes
  auto p = std::make_shared<std::promise<Status>>();
  auto f = p->get_future();
  cache->PrefetchRange(dag.root, ByteRange{0, 4u << 20}, [p](Status s) { p->set_value(std::move(s)); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto started = std::chrono::steady_clock::now();
  cache.reset();
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(3));
  REQUIRE(f.wait_for(std::chrono::seconds(1)) == std::future_status::ready);
  auto s = f.get();
  REQUIRE_FALSE(s);
  CHECK(s.error().code == ErrorCode::kCancelled);
}

TEST_CASE("a reader's ranged CAR is cancelled by its range, at once; another range is left alone") {
  auto gw = NewGateway();
  auto dag = testing::MakeFileDag(4 << 20, 256 << 10, 4, 57);
  for (auto& b : dag.blocks) gw->AddBlock(b.cid, b.data);
  auto cache = OpenCache({gw.get()});
  REQUIRE(cache->GetBlocking(dag.root));  // a recent miss: the range is asked for
  gw->SetFault(Fault::kSlow);             // 4 MiB would take minutes
  auto p = std::make_shared<std::promise<Status>>();
  auto f = p->get_future();
  cache->PrefetchRange(dag.root, ByteRange{0, 4u << 20}, [p](Status s) { p->set_value(std::move(s)); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  cache->CancelRange(dag.root, ByteRange{0, 2u << 20});  // not its range
  CHECK(f.wait_for(std::chrono::milliseconds(300)) == std::future_status::timeout);
  auto started = std::chrono::steady_clock::now();
  cache->CancelRange(dag.root, ByteRange{0, 4u << 20});
  REQUIRE(f.wait_for(std::chrono::seconds(3)) == std::future_status::ready);
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(3));
  auto s = f.get();
  REQUIRE_FALSE(s);
  CHECK(s.error().code == ErrorCode::kCancelled);
}

TEST_CASE("ranged CARs: a kubo RPC cannot serve them (kUnsupported); offline neither") {
  auto gw = NewGateway();
  auto dag = testing::MakeFileDag(1 << 20, 256 << 10, 4, 53);
  for (auto& b : dag.blocks) gw->AddBlock(b.cid, b.data);
  auto o = FastOptions();
  o.sources.push_back({SourceSpec::Kind::kKuboRpc, gw->url()});
  auto c = BlockCache::Open(o);
  REQUIRE(c);
  auto s = AwaitStatus([&](auto done) { (*c)->PrefetchRange(dag.root, ByteRange{0, 1 << 20}, done); });
  REQUIRE_FALSE(s);
  CHECK(s.error().code == ErrorCode::kUnsupported);
  auto off = FastOptions();
  off.offline = true;
  auto oc = BlockCache::Open(off);
  REQUIRE(oc);
  auto s2 = AwaitStatus([&](auto done) { (*oc)->PrefetchRange(dag.root, ByteRange{0, 1 << 20}, done); });
  REQUIRE_FALSE(s2);
  CHECK(s2.error().code == ErrorCode::kUnsupported);
}

TEST_CASE("restart keeps blocks and pins (RocksDB)") {
  auto gw = NewGateway();
  TempDir dir;
  auto dag = testing::MakeFileDag(600000, 100000, 3, 10);
  for (auto& b : dag.blocks) gw->AddBlock(b.cid, b.data);
  {
    auto o = FastOptions();
    o.cache_dir = dir.path;
    auto cache = OpenCache({gw.get()}, o);
    REQUIRE(Pin(*cache, dag.root));
  }
  auto o = FastOptions();
  o.cache_dir = dir.path;
  o.offline = true;
  auto cache = OpenCache({}, o);
  for (auto& b : dag.blocks) {
    auto r = cache->GetBlocking(b.cid);
    REQUIRE(r);
    CHECK(Same(r->bytes(), b.data));
  }
  auto pins = cache->Pins();
  REQUIRE(pins);
  REQUIRE(pins->size() == 1);
  CHECK((*pins)[0] == dag.root);
  auto s = cache->Stats();
  CHECK(s.stored_blocks == dag.blocks.size());
  CHECK(s.pinned_blocks == dag.blocks.size());
}

TEST_CASE("quota holds under churn; least recently used go first") {
  auto gw = NewGateway();
  auto o = FastOptions();
  o.max_bytes = 1 << 20;
  auto cache = OpenCache({gw.get()}, o);
  std::vector<testing::TestBlock> blocks;
  for (int i = 0; i < 64; ++i) {
    blocks.push_back(MakeRawBlock(64 << 10, 200 + i));
    gw->AddBlock(blocks.back().cid, blocks.back().data);
  }
  auto hot = blocks[0];
  for (size_t i = 0; i < blocks.size(); ++i) {
    REQUIRE(cache->GetBlocking(blocks[i].cid));
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    REQUIRE(cache->GetBlocking(hot.cid));  // keeps block 0 recently used
    CHECK(cache->Stats().stored_bytes <= o.max_bytes);
  }
  auto s = cache->Stats();
  CHECK(s.evicted_blocks > 0);
  CHECK(s.stored_blocks <= 16);
  CHECK(cache->Has(hot.cid));
  CHECK(cache->Has(blocks.back().cid));
  CHECK_FALSE(cache->Has(blocks[1].cid));
  CHECK(gw->RequestCount(hot.cid) == 1);
}

TEST_CASE("an import larger than the quota keeps its blocks under a hold until its root is pinned") {
  auto o = FastOptions();
  o.max_bytes = 1 << 20;
  auto dag = testing::MakeFileDag(3 << 20, 64 << 10, 8, 17);  // three times the quota
  SECTION("without a hold the first blocks are evicted before the pin") {
    auto c = BlockCache::Create(o, NewMemoryStore(), {});
    REQUIRE(c);
    for (auto& b : dag.blocks) REQUIRE((*c)->Put(*Block::Verify(b.cid, b.data)));
    CHECK((*c)->Stats().stored_bytes <= o.max_bytes);
    CHECK_FALSE(Pin(**c, dag.root));  // no source to fetch the evicted ones again
  }
  SECTION("with a hold every block stays; after the pin they are pinned, and the hold's end evicts nothing pinned") {
    auto c = BlockCache::Create(o, NewMemoryStore(), {});
    REQUIRE(c);
    auto& cache = **c;
    auto unpinned = MakeRawBlock(64 << 10, 99);
    REQUIRE(cache.Put(*Block::Verify(unpinned.cid, unpinned.data)));  // before the hold: evictable
    {
      auto hold = cache.HoldNewBlocks();
      for (auto& b : dag.blocks) REQUIRE(cache.Put(*Block::Verify(b.cid, b.data)));
      for (auto& b : dag.blocks) CHECK(cache.Has(b.cid));
      CHECK(cache.Stats().stored_bytes > o.max_bytes);
      REQUIRE(Pin(cache, dag.root));
    }
    auto s = cache.Stats();
    CHECK(s.pinned_blocks == dag.blocks.size());
    for (auto& b : dag.blocks) CHECK(cache.Has(b.cid));
    CHECK_FALSE(cache.Has(unpinned.cid));  // the quota applies again once the hold ends
  }
}

TEST_CASE("overlapping holds: ending one lets go of its own blocks only") {
  auto o = FastOptions();
  o.max_bytes = 1 << 20;
  auto c = BlockCache::Create(o, NewMemoryStore(), {});
  REQUIRE(c);
  auto& cache = **c;
  auto put = [&](int first, int n) {
    std::vector<testing::TestBlock> out;
    for (int i = 0; i < n; ++i) {
      out.push_back(MakeRawBlock(128 << 10, first + i));
      REQUIRE(cache.Put(*Block::Verify(out.back().cid, out.back().data)));
    }
    return out;
  };
  auto a_hold = cache.HoldNewBlocks();
  auto a = put(800, 12);  // 1.5 MiB, over the quota, all kept
  auto b_hold = cache.HoldNewBlocks();
  auto b = put(900, 12);  // stored while both holds live: B keeps them after A ends
  for (auto& x : a) CHECK(cache.Has(x.cid));
  a_hold.reset();  // A's blocks go back under the quota; B's (held by B too) stay
  for (auto& x : b) CHECK(cache.Has(x.cid));
  size_t a_left = 0;
  for (auto& x : a) a_left += cache.Has(x.cid);
  CHECK(a_left < a.size());
  b_hold.reset();
  CHECK(cache.Stats().stored_bytes <= o.max_bytes);
}

TEST_CASE("pinned DAGs survive gc and churn; unpinned they go") {
  auto gw = NewGateway();
  auto o = FastOptions();
  o.max_bytes = 1 << 20;
  auto cache = OpenCache({gw.get()}, o);
  auto dag = testing::MakeFileDag(700 << 10, 64 << 10, 4, 11);
  for (auto& b : dag.blocks) gw->AddBlock(b.cid, b.data);
  REQUIRE(Pin(*cache, dag.root));
  REQUIRE(Pin(*cache, dag.root));  // twice is once
  for (int i = 0; i < 40; ++i) {
    auto b = MakeRawBlock(64 << 10, 300 + i);
    REQUIRE(cache->Put(*Block::Verify(b.cid, b.data)));
  }
  auto gc = cache->Gc(0);
  REQUIRE(gc);
  for (auto& b : dag.blocks) CHECK(cache->Has(b.cid));
  CHECK(cache->Stats().stored_blocks == dag.blocks.size());
  REQUIRE(Unpin(*cache, dag.root));
  auto again = Unpin(*cache, dag.root);
  REQUIRE_FALSE(again);
  CHECK(again.error().code == ErrorCode::kNotFound);
  REQUIRE(cache->Gc(0));
  CHECK(cache->Stats().stored_blocks == 0);
  CHECK(cache->Stats().pinned_blocks == 0);
}

TEST_CASE("a missing block fails a pin, which leaves nothing pinned") {
  auto gw = NewGateway();
  auto cache = OpenCache({gw.get()});
  auto dag = testing::MakeFileDag(300000, 100000, 2, 12);
  for (size_t i = 0; i + 1 < dag.blocks.size(); ++i) gw->AddBlock(dag.blocks[i].cid, dag.blocks[i].data);
  auto s = Pin(*cache, dag.root);
  REQUIRE_FALSE(s);
  CHECK(s.error().code == ErrorCode::kNotFound);
  CHECK(cache->Stats().pinned_blocks == 0);
  CHECK(cache->Pins()->empty());
}

TEST_CASE("fetch by CAR: one request, every block verified and stored") {
  auto gw = NewGateway();
  auto cache = OpenCache({gw.get()});
  auto dag = testing::MakeFileDag(2 << 20, 256 << 10, 3, 13);
  for (auto& b : dag.blocks) gw->AddBlock(b.cid, b.data);
  auto r = FetchDag(*cache, dag.root, true);
  REQUIRE(r);
  CHECK(r->blocks == dag.blocks.size());
  CHECK(gw->TotalRequests() == 1);
  for (auto& b : dag.blocks) CHECK(cache->Has(b.cid));
}

TEST_CASE("fetch block by block walks the DAG") {
  auto gw = NewGateway();
  auto cache = OpenCache({gw.get()});
  auto dag = testing::MakeFileDag(1 << 20, 64 << 10, 4, 14);
  for (auto& b : dag.blocks) gw->AddBlock(b.cid, b.data);
  auto r = FetchDag(*cache, dag.root, false);
  REQUIRE(r);
  CHECK(r->blocks == dag.blocks.size());
  uint64_t bytes = 0;
  for (auto& b : dag.blocks) bytes += b.data.size();
  CHECK(r->bytes == bytes);
  CHECK(gw->TotalRequests() == dag.blocks.size());
}

TEST_CASE("a corrupt block inside a CAR is never stored; the rest comes block by block") {
  auto bad = NewGateway();
  auto good = NewGateway();
  auto dag = testing::MakeFileDag(1 << 20, 128 << 10, 4, 15);
  for (auto& b : dag.blocks) {
    bad->AddBlock(b.cid, b.data);
    good->AddBlock(b.cid, b.data);
  }
  const auto& victim = dag.blocks[3];
  bad->SetFault(victim.cid, Fault::kCorrupt);
  auto cache = OpenCache({bad.get(), good.get()});
  auto r = FetchDag(*cache, dag.root, true);
  REQUIRE(r);
  CHECK(r->blocks == dag.blocks.size());
  for (auto& b : dag.blocks) {
    auto local = cache->GetLocal(b.cid);
    REQUIRE(local);
    REQUIRE(local->has_value());
    CHECK(Same((*local)->bytes(), b.data));
  }
  CHECK(cache->Stats().sources[0].corrupt == 1);
}

TEST_CASE("a truncated CAR is completed block by block") {
  auto gw = NewGateway();
  auto cache = OpenCache({gw.get()});
  auto dag = testing::MakeFileDag(2 << 20, 64 << 10, 8, 16);
  for (auto& b : dag.blocks) gw->AddBlock(b.cid, b.data);
  gw->SetFault(dag.root, Fault::kTruncate);  // the CAR request names the root
  auto r = FetchDag(*cache, dag.root, true);
  // The root's own raw request is truncated too: only a clear error is acceptable then.
  if (r) {
    CHECK(r->blocks == dag.blocks.size());
  } else {
    CHECK(r.error().code == ErrorCode::kUnavailable);
  }
  gw->ClearFaults();
  r = FetchDag(*cache, dag.root, false);
  REQUIRE(r);
  CHECK(r->blocks == dag.blocks.size());
}

TEST_CASE("prefetch hint fills the cache and completes waiting gets") {
  auto gw = NewGateway();
  auto cache = OpenCache({gw.get()});
  auto dag = testing::MakeFileDag(1 << 20, 128 << 10, 4, 17);
  for (auto& b : dag.blocks) gw->AddBlock(b.cid, b.data);
  cache->Prefetch(dag.root, PrefetchScope::kEntity);
  auto deadline = Clock::now() + std::chrono::seconds(5);
  while (Clock::now() < deadline && cache->Stats().stored_blocks < dag.blocks.size()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  CHECK(cache->Stats().stored_blocks == dag.blocks.size());
  cache->Prefetch(dag.root, PrefetchScope::kEntity);  // done already: no second request
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(gw->TotalRequests() == 1);
}

TEST_CASE("export then import a CAR round-trips every block") {
  auto gw = NewGateway();
  TempDir dir;
  auto cache = OpenCache({gw.get()});
  auto dag = testing::MakeFileDag(900000, 100000, 3, 18);
  for (auto& b : dag.blocks) gw->AddBlock(b.cid, b.data);
  std::string car = dir.path + "/out.car";
  REQUIRE(ExportCar(*cache, dag.root, car));
  // Depth-first, no duplicates: exactly these bytes.
  Bytes expected = ipld::EncodeCarV1Header({dag.root});
  for (auto& b : dag.blocks) ipld::AppendCarSection(expected, b.cid, b.data);
  std::ifstream in(car, std::ios::binary);
  std::string got((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(got == std::string(AsText(expected)));

  auto fresh = OpenCache({});
  auto roots = ImportCar(*fresh, car);
  REQUIRE(roots);
  REQUIRE(roots->size() == 1);
  CHECK((*roots)[0] == dag.root);
  for (auto& b : dag.blocks) CHECK(fresh->Has(b.cid));
  auto v = fresh->Verify();
  REQUIRE(v);
  CHECK(v->checked == dag.blocks.size());
  CHECK(v->removed == 0);
}

TEST_CASE("importing a CAR with a bad block fails and names it") {
  TempDir dir;
  auto b = MakeRawBlock(1000, 19);
  Bytes car = ipld::EncodeCarV1Header({b.cid});
  Bytes bad = b.data;
  bad[10] ^= std::byte{1};
  ipld::AppendCarSection(car, b.cid, bad);
  std::string path = dir.path + "/bad.car";
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(car.data()), car.size());
  auto cache = OpenCache({});
  auto r = ImportCar(*cache, path);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::kCorrupt);
  CHECK(r.error().message.find(b.cid.ToString()) != std::string::npos);
  CHECK_FALSE(cache->Has(b.cid));
}

TEST_CASE("kubo RPC source: block/get and dag/export") {
  auto gw = NewGateway();
  auto dag = testing::MakeFileDag(500000, 100000, 3, 20);
  for (auto& b : dag.blocks) gw->AddBlock(b.cid, b.data);
  auto o = FastOptions();
  o.sources.push_back({SourceSpec::Kind::kKuboRpc, gw->url()});
  auto c = BlockCache::Open(o);
  REQUIRE(c);
  auto& cache = *c;
  auto r = cache->GetBlocking(dag.blocks[1].cid);
  REQUIRE(r);
  CHECK(Same(r->bytes(), dag.blocks[1].data));
  auto f = FetchDag(*cache, dag.root, true);
  REQUIRE(f);
  CHECK(f->blocks == dag.blocks.size());
  CHECK(gw->TotalRequests() == 2);
  auto missing = MakeRawBlock(10, 21);
  auto m = cache->GetBlocking(missing.cid);
  REQUIRE_FALSE(m);
  CHECK(m.error().code == ErrorCode::kNotFound);
}

TEST_CASE("a source that is down fails over, and a dead only source errs in bounded time") {
  auto good = NewGateway();
  auto b = MakeRawBlock(1000, 22);
  good->AddBlock(b.cid, b.data);
  auto o = FastOptions();
  o.sources.push_back({SourceSpec::Kind::kGateway, "http://127.0.0.1:1"});
  o.sources.push_back({SourceSpec::Kind::kGateway, good->url()});
  auto c = BlockCache::Open(o);
  REQUIRE(c);
  REQUIRE((*c)->GetBlocking(b.cid));

  auto o2 = FastOptions();
  o2.sources.push_back({SourceSpec::Kind::kGateway, "http://127.0.0.1:1"});
  auto dead = BlockCache::Open(o2);
  REQUIRE(dead);
  auto start = Clock::now();
  auto r = (*dead)->GetBlocking(b.cid);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::kUnavailable);
  CHECK(Clock::now() - start < std::chrono::seconds(3));
}

}  // namespace
}  // namespace ipfsfs::blockcache

namespace ipfsfs::blockcache {
namespace {

// A Store over memory whose reads can be damaged: disk rot, seen from above.
class RottingStore : public Store {
 public:
  RottingStore() : inner_(NewMemoryStore()) {}
  Result<std::optional<std::shared_ptr<const Bytes>>> GetData(const ipld::Multihash& mh) override {
    auto r = inner_->GetData(mh);
    if (r && *r && rot_ && mh == *rot_) {
      Bytes copy = ***r;
      copy[0] ^= std::byte{0xff};
      return std::optional<std::shared_ptr<const Bytes>>(std::make_shared<const Bytes>(std::move(copy)));
    }
    return r;
  }
  Status Put(const ipld::Multihash& mh, ByteSpan data, const BlockMeta& meta) override {
    if (rot_ && mh == *rot_) rot_.reset();  // a fresh copy is healthy
    return inner_->Put(mh, data, meta);
  }
  Status PutMeta(const std::vector<std::pair<ipld::Multihash, BlockMeta>>& m) override { return inner_->PutMeta(m); }
  Status Delete(const std::vector<ipld::Multihash>& mhs) override { return inner_->Delete(mhs); }
  Status ForEachMeta(const std::function<void(ipld::Multihash, const BlockMeta&)>& fn) override {
    return inner_->ForEachMeta(fn);
  }
  Status AddRoot(const ipld::Cid& root) override { return inner_->AddRoot(root); }
  Status RemoveRoot(const ipld::Cid& root) override { return inner_->RemoveRoot(root); }
  Result<std::vector<ipld::Cid>> Roots() override { return inner_->Roots(); }

  std::optional<ipld::Multihash> rot_;

 private:
  std::unique_ptr<Store> inner_;
};

TEST_CASE("a block damaged on disk is never served: dropped, fetched again") {
  auto gw = NewGateway();
  net::HttpEngineOptions eo;
  auto engine = net::HttpEngine::Create(eo);
  REQUIRE(engine);
  auto b = MakeRawBlock(5000, 30);
  gw->AddBlock(b.cid, b.data);
  auto store = std::make_unique<RottingStore>();
  auto* rotting = store.get();
  std::vector<std::unique_ptr<Source>> sources;
  sources.push_back(NewGatewaySource(**engine, gw->url()));
  auto o = FastOptions();
  o.memory_cache_bytes = 0;  // every hit reads the store
  o.hash_on_read = true;
  auto c = BlockCache::Create(o, std::move(store), std::move(sources));
  REQUIRE(c);
  auto& cache = **c;
  REQUIRE(cache.GetBlocking(b.cid));
  rotting->rot_ = b.cid.hash();
  REQUIRE(Pin(cache, b.cid));
  auto r = cache.GetBlocking(b.cid);
  REQUIRE(r);
  CHECK(Same(r->bytes(), b.data));
  CHECK(gw->RequestCount(b.cid) == 2);
  CHECK(cache.Stats().pinned_blocks == 1);  // the fresh copy keeps the pin
  // Verify() finds rot too.
  rotting->rot_ = b.cid.hash();
  auto v = cache.Verify();
  REQUIRE(v);
  CHECK(v->checked == 1);
  CHECK(v->removed == 1);
  CHECK_FALSE(cache.Has(b.cid));
}

TEST_CASE("without hash_on_read, cache verify still finds a block damaged on disk and drops it") {
  auto b = MakeRawBlock(5000, 32);
  auto store = std::make_unique<RottingStore>();
  auto* rotting = store.get();
  auto o = FastOptions();
  o.memory_cache_bytes = 0;
  REQUIRE_FALSE(o.hash_on_read);  // the default
  auto c = BlockCache::Create(o, std::move(store), {});
  REQUIRE(c);
  auto& cache = **c;
  auto block = Block::Verify(b.cid, b.data);
  REQUIRE(block);
  REQUIRE(cache.Put(*block));
  auto hit = cache.GetBlocking(b.cid);  // a healthy store hit, not re-hashed
  REQUIRE(hit);
  CHECK(Same(hit->bytes(), b.data));
  rotting->rot_ = b.cid.hash();
  auto v = cache.Verify();
  REQUIRE(v);
  CHECK(v->removed == 1);
  CHECK_FALSE(cache.Has(b.cid));
  CHECK_FALSE(cache.GetBlocking(b.cid));  // no source: gone, never served damaged
}

TEST_CASE("closing the cache with gets in flight answers them, no hang") {
  auto gw = NewGateway();
  auto b = MakeRawBlock(100, 31);
  gw->AddBlock(b.cid, b.data);
  gw->SetFault(Fault::kStall);
  auto o = FastOptions();
  o.fetch_timeout = std::chrono::milliseconds(20000);
  o.request_timeout = std::chrono::milliseconds(20000);
  std::promise<Result<Block>> p;
  auto f = p.get_future();
  auto start = Clock::now();
  {
    auto cache = OpenCache({gw.get()}, o);
    cache->Get(b.cid, [&](Result<Block> r) { p.set_value(std::move(r)); });
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  REQUIRE(f.wait_for(std::chrono::seconds(1)) == std::future_status::ready);
  auto r = f.get();
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::kCancelled);
  CHECK(Clock::now() - start < std::chrono::seconds(2));
}

TEST_CASE("GetLocal and Has never touch the network") {
  auto gw = NewGateway();
  auto cache = OpenCache({gw.get()});
  auto b = MakeRawBlock(100, 32);
  gw->AddBlock(b.cid, b.data);
  CHECK_FALSE(cache->Has(b.cid));
  auto local = cache->GetLocal(b.cid);
  REQUIRE(local);
  CHECK_FALSE(local->has_value());
  CHECK(gw->TotalRequests() == 0);
}

TEST_CASE("a small quota while reading: evicted packs go as the reader moves on, every byte right") {
  auto gw = NewGateway();
  TempDir dir;
  std::vector<testing::TestBlock> blocks;
  for (int i = 0; i < 96; ++i) {  // 24 MiB through a 4 MiB cache
    blocks.push_back(MakeRawBlock(256 << 10, 9600 + i));
    gw->AddBlock(blocks.back().cid, blocks.back().data);
  }
  auto pack_bytes = [&] {
    uint64_t n = 0;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir.path)) {
      if (e.path().extension() == ".pack") n += e.file_size();
    }
    return n;
  };
  auto o = FastOptions();
  o.cache_dir = dir.path;
  o.max_bytes = 4 << 20;
  o.memory_cache_bytes = 0;
  auto cache = OpenCache({gw.get()}, o);
  uint64_t most = 0;
  for (int round = 0; round < 2; ++round) {
    for (const auto& b : blocks) {
      auto r = cache->GetBlocking(b.cid);
      REQUIRE(r);
      CHECK(Same(r->bytes(), b.data));
      CHECK(cache->Stats().stored_bytes <= o.max_bytes);
      most = std::max(most, pack_bytes());
    }
  }
  // Packs of 1 MiB (a sixteenth of the quota, at least 1 MiB): at most the
  // quota plus the active pack and one partly evicted.
  CHECK(most <= o.max_bytes + (2u << 20));
  CHECK(cache->Stats().evicted_blocks >= 2 * blocks.size() - 16);
  CHECK(gw->TotalRequests() >= 2 * blocks.size());  // nothing served from a block it had evicted
}

}  // namespace
}  // namespace ipfsfs::blockcache

namespace ipfsfs::blockcache {
namespace {

TEST_CASE("fault matrix, CAR prefetch: every block right in the end, in bounded time") {
  auto fault = GENERATE(Fault::kCorrupt, Fault::kWrongBlock, Fault::kTruncate, Fault::kStatus500, Fault::kStatus404,
                        Fault::kStall, Fault::kSlow, Fault::kWrongContentType);
  CAPTURE(testing::FaultName(fault));
  auto bad = NewGateway();
  auto good = NewGateway();
  auto dag = testing::MakeFileDag(90000, 30000, 4, 40);
  for (auto& b : dag.blocks) {
    bad->AddBlock(b.cid, b.data);
    good->AddBlock(b.cid, b.data);
  }
  bad->SetFault(fault);
  auto cache = OpenCache({bad.get(), good.get()});  // the faulty one is asked first
  auto start = Clock::now();
  auto r = FetchDag(*cache, dag.root, true);
  REQUIRE(r);
  CHECK(r->blocks == dag.blocks.size());
  CHECK(Clock::now() - start < std::chrono::seconds(6));
  for (auto& b : dag.blocks) {
    auto local = cache->GetLocal(b.cid);
    REQUIRE(local);
    REQUIRE(local->has_value());
    CHECK(Same((*local)->bytes(), b.data));
  }
}

}  // namespace
}  // namespace ipfsfs::blockcache
