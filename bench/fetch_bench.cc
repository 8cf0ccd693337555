// fetch_bench: the block layer's fetch benchmark pieces (driven by bench/fetch.sh).
//
//   fetch_bench gen SIZE OUT.car     balanced UnixFS file DAG (256 KiB raw leaves,
//                                    174 links per node) as a CAR; prints the root
//   fetch_bench fetch URL ROOT car|blocks [CACHE_DIR]
//                                    prefetch the whole DAG through BlockCache from
//                                    a gateway; prints "seconds bytes blocks"
//   fetch_bench hit CACHE_DIR ROOT FILE MEMORY_TIER_BYTES
//                                    get() every cached block (twice) vs reading FILE;
//                                    prints "get_MBps file_MBps ratio"
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "blockcache/block_cache.h"
#include "blockcache/dag_tools.h"
#include "ipld/car.h"
#include "ipld/dag_pb.h"
#include "ipld/unixfs.h"

using namespace ipfsfs;
using Clock = std::chrono::steady_clock;

namespace {

constexpr size_t kChunk = 256 << 10;
constexpr size_t kFanout = 174;

void Leaf(uint64_t index, size_t len, Bytes& out) {
  std::mt19937_64 rng(index * 0x9E3779B97F4A7C15ull + 1);
  out.resize(len);
  size_t i = 0;
  for (; i + 8 <= len; i += 8) {
    uint64_t v = rng();
    std::memcpy(out.data() + i, &v, 8);
  }
  for (; i < len; ++i) out[i] = static_cast<std::byte>(rng());
}

double Seconds(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

int Gen(uint64_t size, const std::string& out_path) {
  uint64_t leaves = std::max<uint64_t>(1, (size + kChunk - 1) / kChunk);
  struct Item {
    ipld::Cid cid;
    uint64_t size;
    uint64_t tsize;
  };
  std::vector<Item> layer;
  Bytes buf;
  for (uint64_t i = 0; i < leaves; ++i) {
    size_t len = static_cast<size_t>(std::min<uint64_t>(kChunk, size - i * kChunk));
    Leaf(i, len, buf);
    layer.push_back({ipld::Cid::V1(ipld::Codec::kRaw, ipld::Multihash::Sha256(buf)), len, len});
  }
  std::vector<std::pair<ipld::Cid, Bytes>> parents;
  while (layer.size() > 1 || parents.empty()) {
    std::vector<Item> next;
    for (size_t i = 0; i < layer.size(); i += kFanout) {
      ipld::PbNode pb;
      ipld::UnixfsData fs;
      fs.type = ipld::UnixfsType::kFile;
      Item parent{{}, 0, 0};
      for (size_t j = i; j < std::min(layer.size(), i + kFanout); ++j) {
        pb.links.push_back({layer[j].cid, std::string(), layer[j].tsize});
        fs.blocksizes.push_back(layer[j].size);
        parent.size += layer[j].size;
        parent.tsize += layer[j].tsize;
      }
      fs.filesize = parent.size;
      pb.data = ipld::EncodeUnixfsData(fs);
      Bytes node = ipld::EncodePbNode(pb);
      parent.tsize += node.size();
      parent.cid = ipld::Cid::V1(ipld::Codec::kDagPb, ipld::Multihash::Sha256(node));
      parents.emplace_back(parent.cid, std::move(node));
      next.push_back(parent);
    }
    layer = std::move(next);
  }
  const ipld::Cid root = layer[0].cid;
  std::ofstream out(out_path, std::ios::binary | std::ios::trunc);
  auto write = [&](const Bytes& b) { out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size())); };
  write(ipld::EncodeCarV1Header({root}));
  for (auto it = parents.rbegin(); it != parents.rend(); ++it) write(ipld::EncodeCarSection(it->first, it->second));
  Bytes section;
  for (uint64_t i = 0; i < leaves; ++i) {
    size_t len = static_cast<size_t>(std::min<uint64_t>(kChunk, size - i * kChunk));
    Leaf(i, len, buf);
    section.clear();
    ipld::AppendCarSection(section, ipld::Cid::V1(ipld::Codec::kRaw, ipld::Multihash::Sha256(buf)), buf);
    write(section);
  }
  out.close();
  if (!out) {
    fprintf(stderr, "fetch_bench: writing %s failed\n", out_path.c_str());
    return 1;
  }
  printf("%s\n", root.ToString().c_str());
  return 0;
}

int Fetch(const std::string& url, const std::string& root_text, const std::string& mode, const std::string& dir) {
  auto root = ipld::Cid::Parse(root_text);
  if (!root) return fprintf(stderr, "fetch_bench: %s\n", root.error().message.c_str()), 1;
  blockcache::BlockCacheOptions o;
  o.cache_dir = dir;
  o.max_bytes = 64ull << 30;
  o.sources.push_back({blockcache::SourceSpec::Kind::kGateway, url});
  auto cache = blockcache::BlockCache::Open(o);
  if (!cache) return fprintf(stderr, "fetch_bench: %s\n", cache.error().message.c_str()), 1;
  auto start = Clock::now();
  auto r = blockcache::FetchDag(**cache, *root, mode == "car");
  double secs = Seconds(start);
  if (!r) return fprintf(stderr, "fetch_bench: %s\n", r.error().message.c_str()), 1;
  printf("%.3f %llu %llu\n", secs, static_cast<unsigned long long>(r->bytes), static_cast<unsigned long long>(r->blocks));
  return 0;
}

int Hit(const std::string& dir, const std::string& root_text, const std::string& file, uint64_t memory_tier) {
  auto root = ipld::Cid::Parse(root_text);
  if (!root) return fprintf(stderr, "fetch_bench: %s\n", root.error().message.c_str()), 1;
  blockcache::BlockCacheOptions o;
  o.cache_dir = dir;
  o.offline = true;
  o.max_bytes = 64ull << 30;
  o.memory_cache_bytes = memory_tier;
  auto opened = blockcache::BlockCache::Open(o);
  if (!opened) return fprintf(stderr, "fetch_bench: %s\n", opened.error().message.c_str()), 1;
  auto& cache = **opened;
  // The leaves' CIDs, in file order, from the root's links (two levels at most here).
  std::vector<ipld::Cid> cids;
  std::vector<ipld::Cid> stack{*root};
  while (!stack.empty()) {
    auto cid = stack.back();
    stack.pop_back();
    cids.push_back(cid);
    auto b = cache.GetBlocking(cid);
    if (!b) return fprintf(stderr, "fetch_bench: %s\n", b.error().message.c_str()), 1;
    if (cid.codec() == static_cast<uint64_t>(ipld::Codec::kDagPb)) {
      auto node = ipld::DecodePbNode(b->bytes());
      if (!node) return 1;
      for (auto it = node->links.rbegin(); it != node->links.rend(); ++it) stack.push_back(it->hash);
    }
  }
  // get(): each block whole. One untimed pass warms the memory tier (if on).
  for (const auto& cid : cids) {
    if (!cache.GetBlocking(cid)) return 1;
  }
  uint64_t bytes = 0;
  auto start = Clock::now();
  for (int round = 0; round < 2; ++round) {
    for (const auto& cid : cids) {
      auto b = cache.GetBlocking(cid);
      if (!b) return fprintf(stderr, "fetch_bench: %s\n", b.error().message.c_str()), 1;
      bytes += b->size();
    }
  }
  double get_secs = Seconds(start);
  // Baseline: the same number of bytes read from a local file, 256 KiB at a time.
  std::vector<char> buf(kChunk);
  uint64_t read_bytes = 0;
  start = Clock::now();
  while (read_bytes < bytes) {
    int fd = open(file.c_str(), O_RDONLY);
    if (fd < 0) return fprintf(stderr, "fetch_bench: cannot open %s\n", file.c_str()), 1;
    ssize_t n;
    while (read_bytes < bytes && (n = read(fd, buf.data(), buf.size())) > 0) read_bytes += static_cast<uint64_t>(n);
    close(fd);
  }
  double file_secs = Seconds(start);
  double get_mbps = bytes / get_secs / 1e6, file_mbps = read_bytes / file_secs / 1e6;
  printf("%.1f %.1f %.3f\n", get_mbps, file_mbps, get_mbps / file_mbps);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> a(argv + 1, argv + argc);
  if (a.size() == 3 && a[0] == "gen") return Gen(std::strtoull(a[1].c_str(), nullptr, 10), a[2]);
  if ((a.size() == 4 || a.size() == 5) && a[0] == "fetch") return Fetch(a[1], a[2], a[3], a.size() == 5 ? a[4] : "");
  if (a.size() == 5 && a[0] == "hit") return Hit(a[1], a[2], a[3], std::strtoull(a[4].c_str(), nullptr, 10));
  fprintf(stderr,
          "usage: fetch_bench gen SIZE OUT.car | fetch URL ROOT car|blocks [CACHE_DIR] | hit CACHE_DIR ROOT FILE MEMORY_TIER_BYTES\n");
  return 2;
}
