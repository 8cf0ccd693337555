// mount_reader_bench [MiB]: the resolver's FileReader (the mount's read path
// without FUSE and network) against memcpy of the same bytes, in one run.
//
// A balanced UnixFS file (256 KiB leaves, 174 links per node: kubo's default
// layout, dag-pb leaves and raw leaves) sits in an in-memory BlockGetter that
// answers inline. Prints sequential 128 KiB reads and random 4 KiB reads as
// MiB/s and as ratios to copying the same bytes out of one buffer.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <future>
#include <random>

#include "resolver/file_reader.h"
#include "tests/support/memory_block_getter.h"

using namespace ipfsfs;

namespace {

double Seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

uint64_t ReadInto(resolver::FileReader& reader, uint64_t off, size_t len, std::byte* out) {
  std::promise<uint64_t> done;
  reader.Read(off, len, [&](Result<std::vector<resolver::Slice>> slices) {
    uint64_t n = 0;
    if (slices) {
      for (const auto& s : *slices) {
        std::memcpy(out + n, s.owner->data() + s.offset, s.length);
        n += s.length;
      }
    }
    done.set_value(n);
  });
  return done.get_future().get();
}

}  // namespace

int main(int argc, char** argv) {
  size_t mib = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 256;
  Bytes content = testing::PatternBytes(mib << 20, 1);
  std::vector<std::byte> buf(1 << 20);

  // Baseline: copy the same bytes out of one flat buffer.
  auto t0 = std::chrono::steady_clock::now();
  for (size_t off = 0; off < content.size(); off += 128 << 10) {
    std::memcpy(buf.data(), content.data() + off, std::min<size_t>(128 << 10, content.size() - off));
  }
  double base_seq = Seconds(t0);
  std::mt19937_64 rng(7);
  const int kRandom = 200'000;
  t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < kRandom; ++i) {
    uint64_t off = rng() % (content.size() - 4096);
    std::memcpy(buf.data(), content.data() + off, 4096);
  }
  double base_rand = Seconds(t0);
  printf("baseline memcpy: sequential %.0f MiB/s, random 4 KiB %.0f MiB/s\n", mib / base_seq,
         kRandom * 4096.0 / 1048576 / base_rand);

  for (bool raw : {false, true}) {
    testing::MemoryBlockGetter store;
    testing::DagBuilder dag(store);
    testing::DagBuilder::FileOptions o;
    o.chunk = 256 << 10;
    o.max_links = 174;
    o.raw_leaves = raw;
    o.cid_version = raw ? 1 : 0;
    auto link = dag.File("f", content, o);
    resolver::Resolver resolver(store);
    auto root = store.GetBlocking(link.cid);
    auto node = resolver::DecodeNode(*root);
    auto reader = resolver::FileReader::Open(resolver, std::make_shared<const resolver::Node>(std::move(*node)));
    if (!reader) return 1;
    t0 = std::chrono::steady_clock::now();
    uint64_t total = 0;
    for (size_t off = 0; off < content.size(); off += 128 << 10) total += ReadInto(**reader, off, 128 << 10, buf.data());
    double seq = Seconds(t0);
    if (total != content.size()) return 1;
    auto rreader = resolver::FileReader::Open(resolver, (*reader)->root());
    std::mt19937_64 r2(7);
    t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < kRandom; ++i) ReadInto(**rreader, r2() % (content.size() - 4096), 4096, buf.data());
    double rnd = Seconds(t0);
    printf("FileReader, %s leaves: sequential 128 KiB %.0f MiB/s (ratio %.3f), random 4 KiB %.0f MiB/s (ratio %.3f)\n",
           raw ? "raw" : "dag-pb", mib / seq, base_seq / seq, kRandom * 4096.0 / 1048576 / rnd, base_rand / rnd);
  }
  return 0;
}
