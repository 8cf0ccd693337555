// Shared by the publish tests: a temp dir, a memory block cache holding a
// small tree imported as `ipfs add -r` would (root pinned), and a shell runner
// for the reference peers.
#ifndef IPFSFS_TESTS_PUBLISH_FIXTURE_H_
#define IPFSFS_TESTS_PUBLISH_FIXTURE_H_

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include <catch2/catch.hpp>

#include "blockcache/block_cache.h"
#include "blockcache/store.h"
#include "writeback/cache_sink.h"
#include "writeback/importer.h"

namespace ipfsfs::publish::testing {
namespace fs = std::filesystem;

struct TempDir {
  TempDir() {
    char tmpl[] = "/tmp/ipfsfs-publish-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string path;
};

inline void WriteFile(const std::string& path, const std::string& bytes) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
}

// A tree with a multi-block file (1 MiB of pseudo-random bytes, 256 KiB chunks), a nested dir, a symlink.
inline void MakeTree(const std::string& dir, const std::string& salt = "") {
  std::string big(1 << 20, '\0');
  uint64_t x = 88172645463325252ULL + salt.size();
  for (auto& c : big) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    c = static_cast<char>(x);
  }
  WriteFile(dir + "/big.bin", big);
  WriteFile(dir + "/a/b/note.txt", "hello publish" + salt + "\n");
  WriteFile(dir + "/a/same.txt", "unchanged\n");
  fs::create_symlink("a/b/note.txt", dir + "/link");
}

inline std::unique_ptr<blockcache::BlockCache> MemoryCache() {
  blockcache::BlockCacheOptions options;
  options.offline = true;
  auto cache = blockcache::BlockCache::Create(options, blockcache::NewMemoryStore(), {});
  REQUIRE(cache);
  return std::move(*cache);
}

// Imports `dir` (its contents as the root directory) into the cache, pinned.
inline ipld::Cid Import(blockcache::BlockCache& cache, const std::string& dir) {
  writeback::CacheSink sink(cache);
  auto importer = writeback::Importer::Create({}, sink);
  REQUIRE(importer);
  auto roots = (*importer)->AddPaths({dir}, true, nullptr);
  REQUIRE(roots);
  ipld::Cid root = roots->back().cid;
  REQUIRE(sink.Finish({root}));
  return root;
}

struct Run {
  int status = -1;
  std::string out;
};

inline Run Shell(const std::string& command) {
  Run run;
  FILE* p = ::popen(command.c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) run.out.append(buf, n);
  int status = ::pclose(p);
  run.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

inline std::string Quote(const std::string& s) { return "'" + s + "'"; }

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace ipfsfs::publish::testing

#endif  // IPFSFS_TESTS_PUBLISH_FIXTURE_H_
