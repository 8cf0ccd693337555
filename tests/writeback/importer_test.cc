// The filesystem walk, the sinks and the file source.
#include "writeback/importer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include <catch2/catch.hpp>

#include "blockcache/block_cache.h"
#include "blockcache/store.h"
#include "ipld/car.h"
#include "tests/writeback/memory_sink.h"
#include "writeback/cache_sink.h"
#include "writeback/car_sink.h"
#include "writeback/file_source.h"

namespace ipfsfs::writeback {
namespace {
namespace fs = std::filesystem;

struct TempDir {
  TempDir() {
    char tmpl[] = "/tmp/ipfsfs-importer-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
  void Write(const std::string& rel, const std::string& text) const {
    fs::create_directories(fs::path(path + "/" + rel).parent_path());
    std::ofstream(path + "/" + rel, std::ios::binary) << text;
  }
  std::string path;
};

struct Added {
  std::vector<std::string> lines;
  AddedCallback callback() {
    return [this](const AddedEntry& e) { lines.push_back(e.cid.ToString() + " " + e.path); };
  }
};

void Moons(const TempDir& t) {
  t.Write("moons/jupiter/europa.txt", "Hello Europa!\n");
  t.Write("moons/saturn/titan.txt", "Hello Titan!\n");
  t.Write("moons/mercury.txt", "hey you are no moon!\n");
}

TEST_CASE("walk: kubo's order, names and dotfile rule") {
  TempDir t;
  Moons(t);
  t.Write("moons/.git/config", "x");
  NullSink sink;
  auto importer = Importer::Create({}, sink);
  REQUIRE(importer);
  Added added;
  auto roots = (*importer)->AddPaths({t.path + "/moons/"}, true, added.callback());
  REQUIRE(roots);
  REQUIRE(roots->size() == 1);
  CHECK(roots->at(0).cid.ToString() == "QmbGoaQZm8kjYfCiN1aBsgwhqfUBGDYTrDb91Mz7Dvq81B");
  CHECK(added.lines == std::vector<std::string>{
                           "Qmbjg7zWdqdMaK2BucPncJQDxiALExph5k3NkQv5RHpccu moons/jupiter/europa.txt",
                           "QmRsTB5CpEUvDUpDgHCzb3VftZ139zrk9zs5ZcgYh9TMPJ moons/mercury.txt",
                           "QmZzppb9WHn552rmRqpPfgU5FEiHH6gDwi3MrB9cTdPwdb moons/saturn/titan.txt",
                           "QmS5mZddhFPLWFX3w6FzAy9QxyYkaxvUpsWCtZ3r7jub9J moons/jupiter",
                           "QmaMagZT4rTE7Nonw8KGSK4oe1bh533yhZrCo1HihSG8FK moons/saturn",
                           "QmbGoaQZm8kjYfCiN1aBsgwhqfUBGDYTrDb91Mz7Dvq81B moons",
                       });
  ImportOptions hidden;
  hidden.hidden = true;
  auto with_hidden = Importer::Create(hidden, sink);
  REQUIRE(with_hidden);
  auto r2 = (*with_hidden)->AddPaths({t.path + "/moons"}, true, nullptr);
  REQUIRE(r2);
  // .git/config joins the tree (node tests/peers/js_add.mjs v0 moons --hidden).
  CHECK(r2->at(0).cid.ToString() == "QmdumqMvHFnQjQkA1ruofwBfm8natZo1TGnSDWjCTKvN1o");
}

TEST_CASE("walk: the argument itself is never filtered; -w wraps by base name") {
  TempDir t;
  t.Write(".dot", "");
  t.Write("example.jpg", "");
  ImportOptions o;
  o.wrap = true;
  NullSink sink;
  auto importer = Importer::Create(o, sink);
  REQUIRE(importer);
  Added added;
  auto roots = (*importer)->AddPaths({t.path + "/example.jpg"}, false, added.callback());
  REQUIRE(roots);
  CHECK(roots->at(0).cid.ToString() == "QmaG4FuMqEBnQNn3C8XJ5bpW8kLs7zq2ZXgHptJHbKDDVx");
  CHECK(added.lines.back() == "QmaG4FuMqEBnQNn3C8XJ5bpW8kLs7zq2ZXgHptJHbKDDVx ");
  auto dot = (*importer)->AddPaths({t.path + "/.dot"}, false, nullptr);
  REQUIRE(dot);
  auto twice = (*importer)->AddPaths({t.path + "/example.jpg", t.path + "/./example.jpg"}, false, nullptr);
  CHECK_FALSE(twice);
}

TEST_CASE("walk: symlinks are stored, not followed, even dangling") {
  TempDir t;
  t.Write("d/foo", "content\n");
  fs::create_symlink("foo", t.path + "/d/bar");
  fs::create_symlink("nowhere", t.path + "/dangling");
  NullSink sink;
  auto importer = Importer::Create({}, sink);
  REQUIRE(importer);
  auto roots = (*importer)->AddPaths({t.path + "/d", t.path + "/dangling"}, true, nullptr);
  REQUIRE(roots);
  CHECK(roots->at(0).cid.ToString() == "QmWvY6FaqFMS89YAQ9NAPjVP4WZKA1qbHbicc9HeSKQTgt");
  CHECK(roots->size() == 2);
}

TEST_CASE("walk: preserve mode and mtime from lstat") {
  TempDir t;
  t.Write("empty", "");
  ::chmod((t.path + "/empty").c_str(), 0640);
  struct timespec times[2] = {{1604320482, 0}, {1604320482, 0}};
  REQUIRE(::utimensat(AT_FDCWD, (t.path + "/empty").c_str(), times, 0) == 0);
  ImportOptions o;
  o.preserve_mode = true;
  o.preserve_mtime = true;
  NullSink sink;
  auto importer = Importer::Create(o, sink);
  REQUIRE(importer);
  auto roots = (*importer)->AddPaths({t.path + "/empty"}, false, nullptr);
  REQUIRE(roots);
  CHECK(roots->at(0).cid.ToString() == "QmYkvboLsvLFcSYmqVJRxvBdYRQLroLv9kELf3LRiCqBri");
}

TEST_CASE("walk: errors name the path") {
  TempDir t;
  t.Write("dir/ok", "x");
  REQUIRE(::mkfifo((t.path + "/dir/fifo").c_str(), 0600) == 0);
  NullSink sink;
  auto importer = Importer::Create({}, sink);
  REQUIRE(importer);
  auto r = (*importer)->AddPaths({t.path + "/dir"}, true, nullptr);
  REQUIRE_FALSE(r);
  CHECK(r.error().message == t.path + "/dir/fifo: fifo cannot be added");
  auto nodir = (*importer)->AddPaths({t.path + "/dir"}, false, nullptr);
  REQUIRE_FALSE(nodir);
  CHECK(nodir.error().message.find("is a directory") != std::string::npos);
  auto missing = (*importer)->AddPaths({t.path + "/none"}, false, nullptr);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == ErrorCode::kNotFound);
}

TEST_CASE("file source notices a file that changed while read") {
  TempDir t;
  t.Write("f", "0123456789");
  auto src = FileSource::Open(t.path + "/f");
  REQUIRE(src);
  Bytes buf(100);
  auto n = (*src)->Read(buf);
  REQUIRE(n);
  CHECK(*n == 10);
  CHECK((*src)->CheckUnchanged());
  std::ofstream(t.path + "/f", std::ios::app) << "more";
  CHECK_FALSE((*src)->CheckUnchanged());
  auto fresh = FileSource::Open(t.path + "/f");
  REQUIRE(fresh);
  Bytes small(4);
  REQUIRE((*fresh)->Read(small));
  CHECK_FALSE((*fresh)->CheckUnchanged());  // not read to the end
}

TEST_CASE("CAR sink: header root, every block once, temp file only until Finish") {
  TempDir t;
  Moons(t);
  t.Write("moons/again.txt", "Hello Titan!\n");  // a duplicate block
  std::string car = t.path + "/out.car";
  {
    auto sink = CarFileSink::Create(car, 1, 34);
    REQUIRE(sink);
    auto importer = Importer::Create({}, **sink);
    REQUIRE(importer);
    auto roots = (*importer)->AddPaths({t.path + "/moons"}, true, nullptr);
    REQUIRE(roots);
    CHECK(fs::exists(car + ".tmp"));
    CHECK_FALSE(fs::exists(car));
    REQUIRE((*sink)->Finish({roots->at(0).cid}));
    CHECK((*sink)->blocks() == 6);  // again.txt repeats titan.txt
  }
  CHECK_FALSE(fs::exists(car + ".tmp"));
  std::ifstream in(car, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  auto contents = ipld::ReadCar(AsBytes(bytes));
  REQUIRE(contents);
  REQUIRE(contents->header.roots.size() == 1);
  // Moons plus again.txt (node tests/peers/js_add.mjs v0 moons).
  CHECK(contents->header.roots[0].ToString() == "QmRDtzos88DvvfpmBh6revzHK5D5L7s1Q2PqYEGhMGxWbN");
  CHECK(contents->blocks.size() == 6);
  for (const auto& b : contents->blocks) CHECK(b.cid.Matches(b.data));
}

TEST_CASE("CAR sink: a root of another length than reserved still gives a valid CAR") {
  TempDir t;
  std::string car = t.path + "/inline.car";
  auto sink = CarFileSink::Create(car, 1, 34);
  REQUIRE(sink);
  ImportOptions o;
  o.cid_version = 1;  // 36-byte root, 34 reserved
  auto importer = Importer::Create(o, **sink);
  REQUIRE(importer);
  SpanSource s(AsBytes("hello world\n"));
  auto ref = (*importer)->AddStream(s);
  REQUIRE(ref);
  REQUIRE((*sink)->Finish({ref->cid}));
  std::ifstream in(car, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  auto contents = ipld::ReadCar(AsBytes(bytes));
  REQUIRE(contents);
  CHECK(contents->header.roots.at(0).ToString() == "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4");
  REQUIRE(contents->blocks.size() == 1);
  CHECK(AsText(contents->blocks[0].data) == "hello world\n");
}

TEST_CASE("CAR sink dropped without Finish leaves nothing") {
  TempDir t;
  std::string car = t.path + "/gone.car";
  {
    auto sink = CarFileSink::Create(car, 1, 34);
    REQUIRE(sink);
    REQUIRE((*sink)->Put(ipld::Cid(), AsBytes("x")));
  }
  CHECK_FALSE(fs::exists(car));
  CHECK_FALSE(fs::exists(car + ".tmp"));
}

TEST_CASE("cache sink stores every block and pins the root") {
  TempDir t;
  Moons(t);
  blockcache::BlockCacheOptions options;
  options.offline = true;
  auto cache = blockcache::BlockCache::Create(options, blockcache::NewMemoryStore(), {});
  REQUIRE(cache);
  CacheSink sink(**cache);
  auto importer = Importer::Create({}, sink);
  REQUIRE(importer);
  auto roots = (*importer)->AddPaths({t.path + "/moons"}, true, nullptr);
  REQUIRE(roots);
  REQUIRE(sink.Finish({roots->at(0).cid}));
  CHECK((*cache)->Has(roots->at(0).cid));
  auto pins = (*cache)->Pins();
  REQUIRE(pins);
  CHECK(*pins == std::vector<ipld::Cid>{roots->at(0).cid});
}

TEST_CASE("cache sink: an add three times the cache quota keeps every block and pins it") {
  TempDir t;
  {
    std::ofstream big(t.path + "/big.bin", std::ios::binary);
    std::mt19937_64 rng(5);
    std::string chunk(1 << 20, '\0');
    for (int i = 0; i < 3; ++i) {
      for (auto& c : chunk) c = static_cast<char>(rng());
      big << chunk;
    }
  }
  blockcache::BlockCacheOptions options;
  options.offline = true;
  options.max_bytes = 1 << 20;
  auto cache = blockcache::BlockCache::Create(options, blockcache::NewMemoryStore(), {});
  REQUIRE(cache);
  ipld::Cid root;
  {
    CacheSink sink(**cache);
    auto importer = Importer::Create({}, sink);
    REQUIRE(importer);
    auto roots = (*importer)->AddPaths({t.path + "/big.bin"}, false, nullptr);
    REQUIRE(roots);
    root = roots->back().cid;
    REQUIRE(sink.Finish({root}));  // offline: would fail if an early block had been evicted
  }
  auto s = (*cache)->Stats();
  CHECK(s.pinned_roots == 1);
  CHECK(s.pinned_blocks == s.stored_blocks);
  CHECK(s.stored_bytes > (3u << 20));  // over the quota, all of it pinned
}

}  // namespace
}  // namespace ipfsfs::writeback
