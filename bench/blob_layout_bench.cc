// blob_layout_bench DIR [MiB]: how the order of blocks inside RocksDB blob files
// changes the warm read path. Writes the same blocks (256 KiB, random bytes)
// into two stores with the cache's settings (integrated blob files, 8 MiB
// memtables, no compression, no WAL): one keyed by a hash of the block, as
// the cache keys by multihash (a flush writes blobs in key order, so a file's
// blocks land shuffled), and one keyed by insertion sequence (blobs in arrival
// order). Then, with the page cache dropped (root), reads every block back in
// insertion order, as a sequential file read does, with 1 and 4 threads, and
// prints wall and CPU time; the ratio is hash-keyed CPU ÷ sequence-keyed CPU.
#include <openssl/sha.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <rocksdb/db.h>

namespace {

constexpr uint64_t kBlock = 256 << 10;

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

std::string Key(bool by_sequence, uint64_t i) {
  std::string key(32, '\0');
  if (by_sequence) {
    for (int b = 0; b < 8; ++b) key[b] = static_cast<char>(i >> (56 - 8 * b));
  } else {
    SHA256(reinterpret_cast<const unsigned char*>(&i), sizeof(i), reinterpret_cast<unsigned char*>(key.data()));
  }
  return key;
}

rocksdb::DB* Open(const std::string& dir) {
  rocksdb::Options o;
  o.create_if_missing = true;
  o.enable_blob_files = true;
  o.min_blob_size = 4096;
  o.blob_compression_type = rocksdb::kNoCompression;
  o.compression = rocksdb::kNoCompression;
  o.write_buffer_size = 8 << 20;
  o.max_write_buffer_number = 2;
  o.advise_random_on_open = false;
  rocksdb::DB* db = nullptr;
  auto s = rocksdb::DB::Open(o, dir, &db);
  if (!s.ok()) {
    std::fprintf(stderr, "open %s: %s\n", dir.c_str(), s.ToString().c_str());
    std::exit(1);
  }
  return db;
}

void Write(rocksdb::DB* db, bool by_sequence, uint64_t blocks) {
  std::string value(kBlock, '\0');
  std::mt19937_64 rng(1);
  rocksdb::WriteOptions wo;
  wo.disableWAL = true;
  for (uint64_t i = 0; i < blocks; ++i) {
    for (size_t j = 0; j + 8 <= value.size(); j += 8) {
      uint64_t r = rng();
      std::memcpy(value.data() + j, &r, 8);
    }
    if (!db->Put(wo, Key(by_sequence, i), value).ok()) std::exit(1);
  }
  if (!db->Flush(rocksdb::FlushOptions()).ok()) std::exit(1);
}

struct Timing {
  double wall;
  double cpu;
};

Timing Read(rocksdb::DB* db, bool by_sequence, uint64_t blocks, int threads) {
  sync();
  std::ofstream("/proc/sys/vm/drop_caches") << "3\n";
  const double cpu0 = CpuSeconds();
  const auto t0 = std::chrono::steady_clock::now();
  std::atomic<uint64_t> next{0}, bytes{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      rocksdb::ReadOptions ro;
      ro.verify_checksums = false;  // as the cache reads
      rocksdb::PinnableSlice value;
      for (uint64_t i; (i = next++) < blocks;) {
        value.Reset();
        if (db->Get(ro, db->DefaultColumnFamily(), Key(by_sequence, i), &value).ok()) bytes += value.size();
      }
    });
  }
  for (auto& t : pool) t.join();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (bytes != blocks * kBlock) {
    std::fprintf(stderr, "read %llu of %llu bytes\n", static_cast<unsigned long long>(bytes.load()),
                 static_cast<unsigned long long>(blocks * kBlock));
    std::exit(1);
  }
  return {wall, CpuSeconds() - cpu0};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: blob_layout_bench DIR [MiB]   (root: drops the page cache)\n");
    return 2;
  }
  const std::string dir = argv[1];
  const uint64_t mib = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1024;
  const uint64_t blocks = mib * (1 << 20) / kBlock;
  if (geteuid() != 0) std::fprintf(stderr, "not root: the page cache is not dropped, reads are warm\n");
  std::filesystem::remove_all(dir + "/hash");
  std::filesystem::remove_all(dir + "/seq");
  std::filesystem::create_directories(dir);
  rocksdb::DB* hash = Open(dir + "/hash");
  rocksdb::DB* seq = Open(dir + "/seq");
  Write(hash, false, blocks);
  Write(seq, true, blocks);
  std::printf("%llu MiB in %llu blocks of 256 KiB, read in insertion order, page cache dropped\n",
              static_cast<unsigned long long>(mib), static_cast<unsigned long long>(blocks));
  for (int threads : {1, 4}) {
    Timing h = Read(hash, false, blocks, threads);
    Timing s = Read(seq, true, blocks, threads);
    std::printf("  %d thread%s: keyed by hash %.3f s wall %.3f CPU-s; by sequence %.3f s wall %.3f CPU-s"
                " -> CPU ratio %.2f, wall ratio %.2f\n",
                threads, threads == 1 ? " " : "s", h.wall, h.cpu, s.wall, s.cpu, h.cpu / s.cpu, h.wall / s.wall);
  }
  delete hash;
  delete seq;
  std::filesystem::remove_all(dir + "/hash");
  std::filesystem::remove_all(dir + "/seq");
  return 0;
}
