// store_open_bench DIR [BLOCKS]: how long a cache of BLOCKS blocks (default
// 1,000,000) takes to open: BlockCache::Open, which loads the whole index
// (the quota's LRU), as a mount does before it answers. Fills DIR first when
// it holds no cache (small blocks: the index is what is measured), then opens
// it three times with the page cache dropped (when run as root) and three
// times warm. Goal: under 1 s.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "blockcache/block_cache.h"
#include "blockcache/store.h"
#include "ipld/multihash.h"

using namespace ipfsfs;

namespace {
double Seconds(std::chrono::steady_clock::duration d) { return std::chrono::duration<double>(d).count(); }

bool DropCaches() {
  std::ofstream drop("/proc/sys/vm/drop_caches");
  if (!drop) return false;
  drop << "3\n";
  return bool(drop);
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: store_open_bench DIR [BLOCKS]\n");
    return 2;
  }
  const std::string dir = argv[1];
  const uint64_t n = argc > 2 ? std::stoull(argv[2]) : 1000000;
  if (!std::filesystem::exists(dir + "/CURRENT")) {
    auto t0 = std::chrono::steady_clock::now();
    auto store = blockcache::OpenRocksStore(dir);
    if (!store) {
      std::fprintf(stderr, "%s\n", store.error().message.c_str());
      return 1;
    }
    Bytes data(100);
    for (uint64_t i = 0; i < n; ++i) {
      for (int b = 0; b < 8; ++b) data[b] = static_cast<std::byte>((i >> (8 * b)) & 0xff);
      auto mh = ipld::Multihash::Sha256(data);
      if (auto s = (*store)->Put(mh, data, blockcache::BlockMeta{data.size(), 1000 + i, 0}); !s) {
        std::fprintf(stderr, "%s\n", s.error().message.c_str());
        return 1;
      }
    }
    std::printf("   filled with %llu blocks in %.1f s\n", static_cast<unsigned long long>(n),
                Seconds(std::chrono::steady_clock::now() - t0));
  }
  for (int round = 0; round < 6; ++round) {
    const bool cold = round < 3;
    if (cold && !DropCaches()) continue;
    blockcache::BlockCacheOptions o;
    o.cache_dir = dir;
    o.offline = true;
    auto t0 = std::chrono::steady_clock::now();
    auto cache = blockcache::BlockCache::Open(o);
    double t = Seconds(std::chrono::steady_clock::now() - t0);
    if (!cache) {
      std::fprintf(stderr, "%s\n", cache.error().message.c_str());
      return 1;
    }
    std::printf("   open (%s): %.3f s, %llu blocks (goal < 1 s)\n", cold ? "page cache dropped" : "warm", t,
                static_cast<unsigned long long>((*cache)->Stats().stored_blocks));
  }
  return 0;
}
