#include "resolver/file_reader.h"

#include <atomic>
#include <filesystem>
#include <future>
#include <random>
#include <thread>

#include <catch2/catch.hpp>

#include "blockcache/block_cache.h"
#include "tests/support/memory_block_getter.h"

namespace ipfsfs::resolver {
namespace {

using testing::DagBuilder;
using testing::MemoryBlockGetter;

NodePtr GetRoot(Resolver& r, const ipld::Cid& cid) {
  std::promise<Result<NodePtr>> p;
  r.GetNode(cid, [&](Result<NodePtr> n) { p.set_value(std::move(n)); });
  auto n = p.get_future().get();
  REQUIRE(n);
  return *n;
}

Result<Bytes> ReadRange(FileReader& reader, uint64_t offset, size_t length) {
  std::promise<Result<std::vector<Slice>>> p;
  reader.Read(offset, length, [&](Result<std::vector<Slice>> s) { p.set_value(std::move(s)); });
  auto slices = p.get_future().get();
  if (!slices) return tl::unexpected(slices.error());
  Bytes out;
  for (const auto& s : *slices) Append(out, s.span());
  return out;
}

// The leaf holding byte `offset`, found by following blocksizes.
ipld::Cid LeafAt(Resolver& r, NodePtr node, uint64_t offset) {
  while (!node->links.empty()) {
    size_t i = 0;
    while (offset >= node->blocksizes[i]) offset -= node->blocksizes[i++];
    if (node->links[i].hash.codec() == static_cast<uint64_t>(ipld::Codec::kRaw)) return node->links[i].hash;
    node = GetRoot(r, node->links[i].hash);
  }
  return node->info.cid;
}

Bytes Expect(const Bytes& content, uint64_t offset, size_t length) {
  if (offset >= content.size()) return {};
  size_t n = std::min<size_t>(length, content.size() - offset);
  return Bytes(content.begin() + offset, content.begin() + offset + n);
}

TEST_CASE("FileReader reads any range of multi-level files") {
  auto leaves = GENERATE(true, false);
  auto version = GENERATE(0, 1);
  if (leaves && version == 0) return;  // covered by the v1 case: raw leaves are CIDv1 anyway
  MemoryBlockGetter store;
  DagBuilder dag(store);
  DagBuilder::FileOptions o;
  o.chunk = 1000;
  o.max_links = 3;  // 100 leaves -> 4 levels
  o.raw_leaves = leaves;
  o.cid_version = version;
  Bytes content = testing::PatternBytes(100'000, 7);
  auto file = dag.File("f", content, o);
  Resolver r(store);
  auto reader = FileReader::Open(r, GetRoot(r, file.cid));
  REQUIRE(reader);
  CHECK((*reader)->size() == content.size());

  auto whole = ReadRange(**reader, 0, content.size());
  REQUIRE(whole);
  CHECK(*whole == content);
  std::mt19937_64 rng(42);
  for (int i = 0; i < 200; ++i) {
    uint64_t off = rng() % (content.size() + 2000);
    size_t len = rng() % 9000;
    auto got = ReadRange(**reader, off, len);
    REQUIRE(got);
    CHECK(*got == Expect(content, off, len));
  }
  auto last = ReadRange(**reader, content.size() - 1, 100);
  REQUIRE(last);
  CHECK(last->size() == 1);
  auto past = ReadRange(**reader, content.size() + 5, 100);
  REQUIRE(past);
  CHECK(past->empty());
}

TEST_CASE("FileReader reads only the leaves that cover a range") {
  MemoryBlockGetter store;
  DagBuilder dag(store);
  DagBuilder::FileOptions o;
  o.chunk = 1000;
  o.max_links = 10;
  Bytes content = testing::PatternBytes(100'000, 9);
  auto file = dag.File("f", content, o);
  Resolver r(store);
  auto root = GetRoot(r, file.cid);
  FileReaderOptions ro;
  ro.initial_window = 0;  // no prefetch: count exactly
  ro.max_window = 0;
  auto reader = FileReader::Open(r, root, ro);
  REQUIRE(reader);
  store.ResetCounts();
  // Bytes 55'500..56'499 lie in leaves 55 and 56, under the 6th internal node.
  auto got = ReadRange(**reader, 55'500, 1000);
  REQUIRE(got);
  CHECK(*got == Expect(content, 55'500, 1000));
  CHECK(store.TotalGets() == 3);  // one internal node + two leaves
}

TEST_CASE("FileReader prefetch window doubles on sequential reads / resets on seek / stays bounded") {
  MemoryBlockGetter store;
  DagBuilder dag(store);
  DagBuilder::FileOptions o;
  o.chunk = 4096;
  o.max_links = 16;
  Bytes content = testing::PatternBytes(4 << 20, 11);
  auto file = dag.File("f", content, o);
  store.SetDelay(std::chrono::milliseconds(1));
  Resolver r(store);
  FileReaderOptions ro;
  ro.initial_window = 64 << 10;
  ro.max_window = 512 << 10;
  ro.sequential_slack = 64 << 10;
  std::atomic<int> posted{0};
  ro.executor = [&posted](std::function<void()> job) {
    ++posted;
    job();
  };
  auto reader = FileReader::Open(r, GetRoot(r, file.cid), ro);
  REQUIRE(reader);
  std::vector<uint64_t> windows;
  size_t max_held = 0;
  for (uint64_t off = 0; off < (2u << 20); off += 32 << 10) {
    auto got = ReadRange(**reader, off, 32 << 10);
    REQUIRE(got);
    REQUIRE(*got == Expect(content, off, 32 << 10));
    windows.push_back((*reader)->window());
    max_held = std::max(max_held, (*reader)->held_nodes());
  }
  CHECK(windows[0] == (64u << 10));
  CHECK(windows[1] == (128u << 10));
  CHECK(windows[2] == (256u << 10));
  CHECK(windows[3] == (512u << 10));
  CHECK(windows.back() == (512u << 10));
  CHECK(store.prefetches() == 0);  // the file is too small for a CAR prefetch to pay
  CHECK(posted > 100);              // prefetch fetches went through the executor
  // Window + slack + one read of 4 KiB leaves, plus internal nodes: far below
  // the 1024 leaves of the file.
  CHECK(max_held < (512 + 64 + 32) / 4 + 40);
  // Let the last prefetches land first: one still descending when the seek
  // comes may add a slot or two after it (they are dropped by later reads).
  store.WaitIdle();
  auto seek = ReadRange(**reader, 3 << 20, 4096);
  REQUIRE(seek);
  CHECK((*reader)->window() == 0);
  CHECK((*reader)->held_nodes() < 10);
  // Sequential reads find the prefetched leaves: the next read fetches nothing new.
  auto a = ReadRange(**reader, (3 << 20) + 4096, 4096);
  REQUIRE(a);
  ipld::Cid next_leaf = LeafAt(r, GetRoot(r, file.cid), (3 << 20) + 8192);
  store.WaitIdle();  // the prefetches the first read started have landed
  store.ResetCounts();
  auto b = ReadRange(**reader, (3 << 20) + 8192, 4096);
  REQUIRE(b);
  CHECK(*b == Expect(content, (3 << 20) + 8192, 4096));
  CHECK(store.GetCount(next_leaf) == 0);
}

TEST_CASE("FileReader: sustained sequential reading asks for ranged CARs ahead and awaits their blocks") {
  MemoryBlockGetter store;
  DagBuilder dag(store);
  DagBuilder::FileOptions o;
  o.chunk = 4096;
  o.max_links = 16;
  Bytes content = testing::PatternBytes(4 << 20, 12);
  auto file = dag.File("f", content, o);
  Resolver r(store);
  FileReaderOptions ro;
  ro.initial_window = 16 << 10;
  ro.max_window = 64 << 10;
  ro.sequential_slack = 4096;
  ro.car_range = 512 << 10;
  ro.car_min_remaining = 1 << 20;
  ro.car_pipeline = false;  // one range at a time (the pipeline has its own test)
  ro.car_from_start = false;  // the ramp to ranges (the start at offset 0 has its own test)
  auto reader = FileReader::Open(r, GetRoot(r, file.cid), ro);
  REQUIRE(reader);
  uint64_t off = 0;
  for (; off < (256u << 10); off += 16 << 10) {
    auto got = ReadRange(**reader, off, 16 << 10);
    REQUIRE(got);
    CHECK(*got == Expect(content, off, 16 << 10));
    CHECK(store.ranges_in_flight() <= 1);
  }
  auto ranges = store.ranges();
  REQUIRE(ranges.size() == 1);  // one at a time: no other until it ends
  CHECK(ranges[0].to - ranges[0].from == (512u << 10));
  CHECK(ranges[0].from <= (16u << 10) * 4);  // began as soon as the window was at its cap
  CHECK(store.expected_gets() > 0);  // blocks inside the range are awaited, not asked for again
  store.CompleteRanges();
  for (; off < (2u << 20); off += 16 << 10) {
    REQUIRE(ReadRange(**reader, off, 16 << 10));
    store.CompleteRanges();
  }
  ranges = store.ranges();
  REQUIRE(ranges.size() >= 3);
  for (size_t i = 1; i < ranges.size(); ++i) CHECK(ranges[i].from == ranges[i - 1].to);  // contiguous, ahead

  SECTION("random readers never ask") {
    auto random = FileReader::Open(r, GetRoot(r, file.cid), ro);
    REQUIRE(random);
    std::mt19937_64 rng(3);
    size_t before = store.ranges().size();
    for (int i = 0; i < 50; ++i) REQUIRE(ReadRange(**random, rng() % content.size(), 100));
    CHECK(store.ranges().size() == before);
  }
  SECTION("a source that cannot serve ranges turns them off for the reader") {
    store.CompleteRanges();
    store.SetSupportsRanges(false);
    auto plain = FileReader::Open(r, GetRoot(r, file.cid), ro);
    REQUIRE(plain);
    size_t before = store.ranges().size();
    for (uint64_t p = 0; p < (2u << 20); p += 16 << 10) REQUIRE(ReadRange(**plain, p, 16 << 10));
    CHECK(store.ranges().size() == before + 1);  // asked once, told no, never again
  }
  SECTION("closing a reader cancels its ranged CAR in flight") {
    store.CompleteRanges();
    auto closing = FileReader::Open(r, GetRoot(r, file.cid), ro);
    REQUIRE(closing);
    for (uint64_t p = 0; p < (256u << 10); p += 16 << 10) REQUIRE(ReadRange(**closing, p, 16 << 10));
    REQUIRE(store.ranges_in_flight() == 1);
    auto asked = store.ranges().back();
    closing->reset();
    for (int i = 0; i < 200 && store.cancelled().empty(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    auto cancelled = store.cancelled();
    REQUIRE(cancelled.size() == 1);
    CHECK(cancelled[0].from == asked.from);
    CHECK(cancelled[0].to == asked.to);
    CHECK(store.ranges_in_flight() == 0);
  }
  SECTION("a range answered at once (nothing missing) is asked for again later, from where the reader is") {
    store.CompleteRanges();
    store.SetRangesAnswerAtOnce(true);
    auto warm = FileReader::Open(r, GetRoot(r, file.cid), ro);
    REQUIRE(warm);
    size_t before = store.ranges().size();
    uint64_t p = 0;
    for (; p < (2u << 20); p += 16 << 10) REQUIRE(ReadRange(**warm, p, 16 << 10));
    auto after = store.ranges();
    REQUIRE(after.size() > before + 10);  // asked again and again: each time nothing was missing
    CHECK(after.back().from + (16u << 10) >= p);  // not run ahead of the reader
    CHECK(after.back().from <= p);
  }
  store.CompleteRanges();
}

TEST_CASE("FileReader: a read from offset 0 starts ranged CARs at once, and one source keeps the next in flight") {
  MemoryBlockGetter store;
  DagBuilder dag(store);
  DagBuilder::FileOptions o;
  o.chunk = 4096;
  o.max_links = 16;
  Bytes content = testing::PatternBytes(4 << 20, 14);
  auto file = dag.File("f", content, o);
  Resolver r(store);
  FileReaderOptions ro;
  ro.initial_window = 16 << 10;
  ro.max_window = 64 << 10;
  ro.sequential_slack = 4096;
  ro.car_range = 512 << 10;
  ro.car_min_remaining = 1 << 20;

  SECTION("the first read asks for the read-ahead window as one CAR, then two ranges of half car_range") {
    auto reader = FileReader::Open(r, GetRoot(r, file.cid), ro);
    REQUIRE(reader);
    auto got = ReadRange(**reader, 0, 16 << 10);
    REQUIRE(got);
    CHECK(*got == Expect(content, 0, 16 << 10));
    auto ranges = store.ranges();
    REQUIRE(ranges.size() == 1);  // a reader of the header alone costs one window
    CHECK(ranges[0].from == (16u << 10));  // right after the first read, no ramp
    CHECK(ranges[0].to - ranges[0].from == (64u << 10));
    // Sequential for a window's worth: car_range ahead, the next range asked
    // before the previous ends, never more than car_range ahead of the reader.
    uint64_t off = 16 << 10;
    for (; off < (64u << 10); off += 16 << 10) REQUIRE(ReadRange(**reader, off, 16 << 10));
    CHECK(store.ranges_in_flight() == 2);  // the next asked while the previous is in flight
    store.CompleteRanges();
    REQUIRE(ReadRange(**reader, off, 16 << 10));
    off += 16 << 10;
    ranges = store.ranges();
    REQUIRE(ranges.size() >= 4);
    for (size_t i = 1; i < ranges.size(); ++i) CHECK(ranges[i].from == ranges[i - 1].to);  // contiguous
    // Sequential for the window's length now: two of car_range / 2, no more than car_range ahead.
    CHECK(store.ranges_in_flight() == 2);
    CHECK(ranges.back().to - ranges.back().from == (256u << 10));
    CHECK(ranges[ranges.size() - 2].to - ranges[ranges.size() - 2].from == (256u << 10));
    CHECK(ranges.back().from < off + (512u << 10));  // none begins more than car_range ahead
    store.CompleteRanges();
    for (; off < (1u << 20); off += 16 << 10) {
      got = ReadRange(**reader, off, 16 << 10);
      REQUIRE(got);
      CHECK(*got == Expect(content, off, 16 << 10));
      CHECK(store.ranges_in_flight() <= 2);
      store.CompleteRanges();
    }
    ranges = store.ranges();
    REQUIRE(ranges.size() >= 4);
    for (size_t i = 1; i < ranges.size(); ++i) CHECK(ranges[i].from == ranges[i - 1].to);  // contiguous
  }
  SECTION("a first read elsewhere, or car_from_start off, keeps the ramp") {
    auto middle = FileReader::Open(r, GetRoot(r, file.cid), ro);
    REQUIRE(middle);
    REQUIRE(ReadRange(**middle, 1 << 20, 16 << 10));
    CHECK(store.ranges().empty());
    ro.car_from_start = false;
    auto ramp = FileReader::Open(r, GetRoot(r, file.cid), ro);
    REQUIRE(ramp);
    REQUIRE(ReadRange(**ramp, 0, 16 << 10));
    CHECK(store.ranges().empty());
  }
  store.CompleteRanges();
}

TEST_CASE("FileReader: with several sources serving ranges, stripes go out together and a failed one stops nothing") {
  MemoryBlockGetter store;
  store.SetRangeSources(3);
  DagBuilder dag(store);
  DagBuilder::FileOptions o;
  o.chunk = 4096;
  o.max_links = 16;
  Bytes content = testing::PatternBytes(4 << 20, 13);
  auto file = dag.File("f", content, o);
  Resolver r(store);
  FileReaderOptions ro;
  ro.initial_window = 16 << 10;
  ro.max_window = 64 << 10;
  ro.sequential_slack = 4096;
  ro.car_range = 512 << 10;
  ro.car_stripe = 128 << 10;
  ro.car_min_remaining = 1 << 20;
  ro.car_from_start = false;  // stripes after the ramp, as many as sources
  auto reader = FileReader::Open(r, GetRoot(r, file.cid), ro);
  REQUIRE(reader);
  uint64_t off = 0;
  for (; off < (128u << 10); off += 16 << 10) REQUIRE(ReadRange(**reader, off, 16 << 10));
  auto ranges = store.ranges();
  REQUIRE(ranges.size() == 3);  // one per source, no more until one ends
  CHECK(store.ranges_in_flight() == 3);
  for (size_t i = 0; i < ranges.size(); ++i) {
    CHECK(ranges[i].to - ranges[i].from == (128u << 10));
    if (i > 0) CHECK(ranges[i].from == ranges[i - 1].to);  // contiguous stripes
  }
  store.CompleteRanges(MakeError(ErrorCode::kUnavailable, "one gateway went away"));
  for (; off < (1u << 20); off += 16 << 10) {
    auto got = ReadRange(**reader, off, 16 << 10);
    REQUIRE(got);
    CHECK(*got == Expect(content, off, 16 << 10));  // the failed stripes' blocks came alone
  }
  CHECK(store.ranges().size() > 3);  // still striping after the failure
  store.CompleteRanges();
}

TEST_CASE("FileReader: with stripes in flight, the prefetch window asks for nothing past them") {
  MemoryBlockGetter store;
  store.SetRangeSources(3);
  DagBuilder dag(store);
  DagBuilder::FileOptions o;
  o.chunk = 4096;
  o.max_links = 16;
  Bytes content = testing::PatternBytes(4 << 20, 15);
  auto file = dag.File("f", content, o);
  Resolver r(store);
  FileReaderOptions ro;
  ro.initial_window = 16 << 10;
  ro.max_window = 64 << 10;
  ro.sequential_slack = 4096;
  ro.car_range = 512 << 10;
  ro.car_stripe = 128 << 10;
  ro.car_min_remaining = 1 << 20;
  auto reader = FileReader::Open(r, GetRoot(r, file.cid), ro);
  REQUIRE(reader);
  uint64_t off = 0;
  REQUIRE(ReadRange(**reader, off, 16 << 10));
  off += 16 << 10;
  for (; off < (64u << 10); off += 16 << 10) REQUIRE(ReadRange(**reader, off, 16 << 10));
  auto ranges = store.ranges();
  REQUIRE(!ranges.empty());
  const uint64_t until = ranges.back().to;  // none ends: no other is planned
  // Read up to just before the last range's end; the window (64 KiB) would reach past it.
  for (; off + (16u << 10) <= until; off += 16 << 10) {
    auto got = ReadRange(**reader, off, 16 << 10);
    REQUIRE(got);
    CHECK(*got == Expect(content, off, 16 << 10));
  }
  CHECK(store.ranges().size() == ranges.size());
  auto past = LeafAt(r, GetRoot(r, file.cid), until);
  CHECK(store.GetCount(past) == 0);  // it comes with the next stripe, not alone and then again
  store.CompleteRanges();
}

TEST_CASE("FileReader errors: missing leaf / lying source / wrong sizes / concurrent readers") {
  MemoryBlockGetter store;
  DagBuilder dag(store);
  DagBuilder::FileOptions o;
  o.chunk = 100;
  o.max_links = 4;
  Bytes content = testing::PatternBytes(10'000, 3);
  auto file = dag.File("f", content, o);
  Resolver r(store);
  auto root = GetRoot(r, file.cid);
  FileReaderOptions ro;
  ro.max_window = 0;
  ro.initial_window = 0;

  SECTION("a leaf nobody has") {
    ipld::Cid leaf = LeafAt(r, root, 150);  // bytes 100..199
    store.Remove(leaf);
    auto reader = FileReader::Open(r, root, ro);
    REQUIRE(reader);
    auto ok = ReadRange(**reader, 0, 100);
    REQUIRE(ok);
    auto bad = ReadRange(**reader, 150, 10);
    REQUIRE_FALSE(bad);
    CHECK(bad.error().code == ErrorCode::kNotFound);
    CHECK(bad.error().message.find(leaf.ToString()) != std::string::npos);
  }
  SECTION("a transient failure is retried by the next read") {
    ipld::Cid leaf = LeafAt(r, root, 5000);
    store.SetFailure(leaf, ErrorCode::kUnavailable);
    auto reader = FileReader::Open(r, root, ro);
    REQUIRE(reader);
    auto bad = ReadRange(**reader, 4990, 20);
    REQUIRE_FALSE(bad);
    CHECK(bad.error().code == ErrorCode::kUnavailable);
    store.ClearFailures();
    auto good = ReadRange(**reader, 4990, 20);
    REQUIRE(good);
    CHECK(*good == Expect(content, 4990, 20));
  }
  SECTION("a source sending other bytes") {
    store.PutWrong(LeafAt(r, root, 1600), testing::PatternBytes(100, 99));
    auto reader = FileReader::Open(r, root, ro);
    REQUIRE(reader);
    auto bad = ReadRange(**reader, 1600, 10);
    REQUIRE_FALSE(bad);
    CHECK(bad.error().code == ErrorCode::kCorrupt);
  }
  SECTION("a parent whose blocksizes lie about a child") {
    ipld::UnixfsData d;
    d.type = ipld::UnixfsType::kFile;
    d.blocksizes = {50, 100};
    d.filesize = 150;
    ipld::PbNode n;
    n.data = ipld::EncodeUnixfsData(d);
    auto a = store.Put(testing::PatternBytes(100, 1), ipld::Codec::kRaw);
    auto b = store.Put(testing::PatternBytes(100, 2), ipld::Codec::kRaw);
    n.links = {ipld::PbLink{a, std::string(), 100}, ipld::PbLink{b, std::string(), 100}};
    auto liar = store.Put(ipld::EncodePbNode(n));
    auto reader = FileReader::Open(r, GetRoot(r, liar), ro);
    REQUIRE(reader);
    auto bad = ReadRange(**reader, 0, 150);
    REQUIRE_FALSE(bad);
    CHECK(bad.error().code == ErrorCode::kCorrupt);
  }
  SECTION("16 threads reading one reader with delays") {
    store.SetDelay(std::chrono::milliseconds(1));
    auto reader = FileReader::Open(r, root);
    REQUIRE(reader);
    std::vector<std::thread> threads;
    std::atomic<int> bad{0};
    for (int t = 0; t < 16; ++t) {
      threads.emplace_back([&, t] {
        std::mt19937_64 rng(t);
        for (int i = 0; i < 30; ++i) {
          uint64_t off = rng() % content.size();
          size_t len = 1 + rng() % 700;
          auto got = ReadRange(**reader, off, len);
          if (!got || *got != Expect(content, off, len)) ++bad;
        }
      });
    }
    for (auto& th : threads) th.join();
    CHECK(bad == 0);
  }
}

}  // namespace
}  // namespace ipfsfs::resolver

namespace ipfsfs::resolver {
namespace {

TEST_CASE("FileReader with extents: cached leaves come as their ranges in the packs, the same bytes, raw or dag-pb") {
  char tmpl[] = "/tmp/ipfsfs-extents-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  struct Cleanup {
    std::string d;
    ~Cleanup() { std::filesystem::remove_all(d); }
  } cleanup{dir};
  blockcache::BlockCacheOptions o;
  o.cache_dir = dir;
  o.offline = true;
  o.memory_cache_bytes = 0;
  auto cache = blockcache::BlockCache::Open(o);
  REQUIRE(cache);
  DagBuilder dag([&](Bytes bytes, ipld::Codec codec, int version) {
    auto hash = ipld::Multihash::Sha256(bytes);
    ipld::Cid cid = version == 0 ? ipld::Cid::V0(hash) : ipld::Cid::V1(codec, hash);
    auto block = blockcache::Block::Verify(cid, std::move(bytes));
    REQUIRE(block);
    REQUIRE((*cache)->Put(*block));
    return cid;
  });
  Bytes content = testing::RandomBytes(3 * 100000 + 12345, 77);
  DagBuilder::FileOptions fo;
  fo.chunk = 100000;  // leaves not a multiple of a page: ranges start mid-page
  fo.raw_leaves = GENERATE(true, false);
  fo.cid_version = fo.raw_leaves ? 1 : 0;
  auto file = dag.File("f", content, fo);
  Resolver resolver(**cache);
  FileReaderOptions ro;
  ro.extents = true;
  auto reader = FileReader::Open(resolver, GetRoot(resolver, file.cid), ro);
  REQUIRE(reader);
  for (auto [offset, length] : std::vector<std::pair<uint64_t, size_t>>{
           {0, 131072}, {99990, 20}, {100000, 100000}, {150001, 200000}, {290000, 1u << 20}}) {
    std::promise<Result<std::vector<Slice>>> p;
    (*reader)->Read(offset, length, [&](Result<std::vector<Slice>> s) { p.set_value(std::move(s)); });
    auto slices = p.get_future().get();
    REQUIRE(slices);
    Bytes got;
    size_t ranges = 0;
    for (const auto& s : *slices) {
      if (!s.extent) {
        Append(got, s.span());
        continue;
      }
      ++ranges;
      CHECK_FALSE(s.owner);
      auto bytes = s.extent->Read(s.offset, s.length);
      REQUIRE(bytes);
      REQUIRE(bytes->size() == s.length);
      Append(got, *bytes);
    }
    CHECK(ranges > 0);  // every leaf is over 16 KiB: none read into memory
    uint64_t end = std::min<uint64_t>(content.size(), offset + length);
    CHECK(got == Bytes(content.begin() + offset, content.begin() + end));
  }
}

}  // namespace
}  // namespace ipfsfs::resolver
