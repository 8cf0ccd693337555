// cache_read_bench CACHE_DIR CID [THREADS] [WINDOW_MIB]: reads a cached file
// through the resolver's FileReader straight from the RocksDB cache (offline,
// no FUSE), as the mount's warm path does, with THREADS prefetch threads.
// Run as root to drop the page cache first (so the blocks come from disk), as
// bench/mount.sh's warm read does. Prints MiB/s; compare with `cat` of a
// local copy after dropping caches.
#include <malloc.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <future>
#include <vector>

#include "blockcache/block_cache.h"
#include "blockcache/executor.h"
#include "resolver/file_reader.h"
#include "resolver/node.h"

using namespace ipfsfs;

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: cache_read_bench CACHE_DIR CID [THREADS] [WINDOW_MIB]\n");
    return 2;
  }
  // As tools/main.cc sets for the mount: block buffers stay on the heap.
  mallopt(M_MMAP_THRESHOLD, 4 << 20);
  mallopt(M_TRIM_THRESHOLD, 16 << 20);
  mallopt(M_ARENA_MAX, 1);
  unsigned threads = argc > 3 ? std::stoul(argv[3]) : 4;
  uint64_t window = (argc > 4 ? std::stoull(argv[4]) : 16) << 20;
  auto cid = ipld::Cid::Parse(argv[2]);
  if (!cid) return 2;
  blockcache::BlockCacheOptions o;
  o.cache_dir = argv[1];
  o.offline = true;
  o.memory_cache_bytes = 4 << 20;
  auto cache = blockcache::BlockCache::Open(o);
  if (!cache) {
    std::fprintf(stderr, "%s\n", cache.error().message.c_str());
    return 1;
  }
  {
    std::ofstream drop("/proc/sys/vm/drop_caches");
    drop << "3\n";
  }
  // The pool blockcache/ runs its own work on: FIFO, joins at the end.
  blockcache::WorkerPool pool(static_cast<int>(threads));
  resolver::Resolver resolver(**cache);
  std::promise<Result<resolver::NodePtr>> got;
  resolver.GetNode(*cid, [&](Result<resolver::NodePtr> n) { got.set_value(std::move(n)); });
  auto root = got.get_future().get();
  if (!root) return 1;
  resolver::FileReaderOptions ro;
  ro.max_window = window;
  if (threads > 0) ro.executor = [&pool](std::function<void()> job) { pool.Post(std::move(job)); };
  auto reader = resolver::FileReader::Open(resolver, *root, ro);
  if (!reader) return 1;
  std::vector<std::byte> buf(1 << 20);
  auto t0 = std::chrono::steady_clock::now();
  uint64_t total = 0;
  for (uint64_t off = 0; off < (*reader)->size(); off += buf.size()) {
    std::promise<uint64_t> done;
    (*reader)->Read(off, buf.size(), [&](Result<std::vector<resolver::Slice>> slices) {
      uint64_t n = 0;
      if (slices) {
        for (const auto& s : *slices) {
          std::memcpy(buf.data() + n, s.owner->data() + s.offset, s.length);
          n += s.length;
        }
      }
      done.set_value(n);
    });
    uint64_t n = done.get_future().get();
    if (n == 0) return 1;
    total += n;
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("%u threads, window %llu MiB: %.0f MiB/s (%.3f s)\n", threads,
              static_cast<unsigned long long>(window >> 20), total / 1048576.0 / secs, secs);
  return 0;
}
