// tools/internal/cache_ops: each `ipfsfs cache` operation on an in-memory
// cache, with its exact output, error lines and exit code, and the request
// form the mount receives.
#include "tools/internal/cache_ops.h"

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>

#include "blockcache/store.h"
#include "tools/internal/control.h"

namespace ipfsfs::tools {
namespace {

// go-car's CARv2 test vector (tests/data/car/README.md): one root, 5 blocks,
// its inner CARv1 at bytes 51..499 is the DAG walk our export must reproduce.
const std::string kCarV2 = std::string(IPFSFS_TESTDATA_DIR) + "/car/carv2-basic.car";
constexpr const char* kRoot = "QmfEoLyB5NndqeKieExd1rtJzTduQUPEV8TwAYcUiy3H5Z";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

struct Run {
  int exit;
  std::string out;
  std::string err;
};

class Fixture {
 public:
  Fixture() {
    char tmpl[] = "/tmp/ipfsfs-cache-ops-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    dir_ = tmpl;
    blockcache::BlockCacheOptions options;
    options.offline = true;  // no source: a missing block is kNotFound at once
    auto cache = blockcache::BlockCache::Create(options, blockcache::NewMemoryStore(), {});
    REQUIRE(cache);
    cache_ = std::move(*cache);
  }
  ~Fixture() {
    cache_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  Run Do(CacheOp op) {
    std::ostringstream out, err;
    int rc = RunCacheOp(*cache_, op, out, err);
    return {rc, out.str(), err.str()};
  }
  Run Do(const std::string& name, bool json = false) {
    CacheOp op;
    op.name = name;
    op.json = json;
    return Do(op);
  }
  Run Import(const std::string& file) {
    CacheOp op;
    op.name = "import";
    op.file = file;
    return Do(op);
  }
  const std::string& dir() const { return dir_; }
  blockcache::BlockCache& cache() { return *cache_; }

 private:
  std::string dir_;
  std::unique_ptr<blockcache::BlockCache> cache_;
};

TEST_CASE("cache ops: import pins the CAR's roots and stat and pin ls show them") {
  Fixture f;
  auto r = f.Do("stat");
  CHECK(r.exit == 0);
  CHECK(r.out == "blocks:  0 (0 pinned, under 0 roots)\nsize:    0 B of 10.0 GiB\n");
  r = f.Import(kCarV2);
  CHECK(r.exit == 0);
  CHECK(r.out == std::string("imported and pinned ") + kRoot + "\n");
  CHECK(r.err.empty());
  r = f.Do("stat", true);
  CHECK(r.out == R"({"blocks":5,"bytes":211,"max_bytes":10737418240,"pinned_blocks":5,"pinned_roots":1})" "\n");
  r = f.Do("stat");
  CHECK(r.out == "blocks:  5 (5 pinned, under 1 roots)\nsize:    211 B of 10.0 GiB\n");
  r = f.Do("pin-ls");
  CHECK(r.out == std::string(kRoot) + " recursive\n");
  r = f.Do("pin-ls", true);
  CHECK(r.out == std::string(R"({"cid":")") + kRoot + R"(","type":"recursive"})" "\n");
}

TEST_CASE("cache ops: import --no-pin stores without pinning and gc then drops it") {
  Fixture f;
  CacheOp op;
  op.name = "import";
  op.file = kCarV2;
  op.pin_roots = false;
  auto r = f.Do(op);
  CHECK(r.exit == 0);
  CHECK(r.out == std::string("imported ") + kRoot + "\n");
  CHECK(f.Do("pin-ls").out.empty());
  op = {};
  op.name = "gc";
  op.all = true;
  op.json = true;
  r = f.Do(op);
  CHECK(r.exit == 0);
  CHECK(r.out == R"({"evicted_blocks":5,"evicted_bytes":211})" "\n");
  op.json = false;
  CHECK(f.Do(op).out == "removed 0 blocks (0 B)\n");
}

TEST_CASE("cache ops: export writes go-car's DAG walk byte for byte") {
  Fixture f;
  REQUIRE(f.Import(kCarV2).exit == 0);
  CacheOp op;
  op.name = "export";
  op.cid = std::string("/ipfs/") + kRoot;  // a /ipfs/ path is taken too
  op.file = f.dir() + "/out.car";
  auto r = f.Do(op);
  CHECK(r.exit == 0);
  CHECK(r.out.empty());
  CHECK(ReadFile(op.file) == ReadFile(kCarV2).substr(51, 448));
}

TEST_CASE("cache ops: pin add and pin rm") {
  Fixture f;
  REQUIRE(f.Import(kCarV2).exit == 0);
  CacheOp op;
  op.name = "pin-rm";
  op.cid = kRoot;
  auto r = f.Do(op);
  CHECK(r.exit == 0);
  CHECK(r.out == std::string("unpinned ") + kRoot + "\n");
  r = f.Do(op);
  CHECK(r.exit == 1);
  CHECK(r.out.empty());
  CHECK(r.err.rfind(std::string("ipfsfs: pin rm ") + kRoot + ": ", 0) == 0);
  op.name = "pin-add";
  r = f.Do(op);  // every block is there: no source needed
  CHECK(r.exit == 0);
  CHECK(r.out == std::string("pinned ") + kRoot + " recursively\n");
}

TEST_CASE("cache ops: failures are one line on err with the exit code") {
  Fixture f;
  CacheOp op;
  op.name = "pin-add";
  op.cid = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy";  // nothing has it
  auto r = f.Do(op);
  CHECK(r.exit == 1);
  CHECK(r.out.empty());
  CHECK(r.err.rfind("ipfsfs: pin add bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy: ", 0) == 0);
  CHECK(r.err.find('\n') == r.err.size() - 1);

  // The message names the file as the user typed it.
  op = {};
  op.name = "import";
  op.file = f.dir() + "/missing.car";
  op.shown_file = "missing.car";
  r = f.Do(op);
  CHECK(r.exit == 1);
  CHECK(r.err.rfind("ipfsfs: import missing.car: ", 0) == 0);
  CHECK(CacheOpWhat(op) == "import missing.car");

  op = {};
  op.name = "prefetch";
  op.cid = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy";
  r = f.Do(op);
  CHECK(r.exit == 1);
  CHECK(r.err.rfind("ipfsfs: prefetch bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy: ", 0) == 0);
}

TEST_CASE("cache ops: usage errors exit 2 before touching the cache") {
  Fixture f;
  CacheOp op;
  op.name = "pin-add";
  op.cid = "notacid";
  auto r = f.Do(op);
  CHECK(r.exit == 2);
  CHECK(r.err == "ipfsfs: invalid CID 'notacid': unknown multibase prefix 'n'\nRun with --help for more information.\n");
  op = {};
  op.name = "gc";
  op.gc_target = "10X";
  r = f.Do(op);
  CHECK(r.exit == 2);
  CHECK(r.err.rfind("ipfsfs: bad size unit in '10X'", 0) == 0);
  op = {};
  op.name = "format";
  CHECK(f.Do(op).exit == 2);
  op.name = "export";
  op.cid = kRoot;  // no OUT
  CHECK(f.Do(op).exit == 2);
  std::ostringstream err;
  op.name = "verify";
  CHECK(CheckCacheOp(op, err) == 0);
  CHECK(err.str().empty());
}

TEST_CASE("cache ops: verify counts the blocks") {
  Fixture f;
  REQUIRE(f.Import(kCarV2).exit == 0);
  auto r = f.Do("verify");
  CHECK(r.exit == 0);
  CHECK(r.out == "verified 5 blocks, removed 0 damaged\n");
  r = f.Do("verify", true);
  CHECK(r.out == R"({"checked":5,"removed":0})" "\n");
}

TEST_CASE("cache ops: run by a mount over its control socket") {
  Fixture f;
  std::string cache_dir = f.dir() + "/cache";
  std::filesystem::create_directories(cache_dir);
  cache_dir = Absolute(cache_dir);
  std::string sock = f.dir() + "/m.sock";
  auto server = ControlServer::Start(
      sock, {{"cache", [&](const nlohmann::json& req) { return AnswerCacheRequest(f.cache(), cache_dir, req); }}},
      {"cache"});
  REQUIRE(server);

  CacheOp op;
  op.name = "import";
  op.file = kCarV2;
  auto r = AskMountToRun(sock, cache_dir, op);
  REQUIRE(r);
  CHECK(r->exit == 0);
  CHECK(r->out == std::string("imported and pinned ") + kRoot + "\n");
  CHECK(r->err.empty());

  op = {};
  op.name = "pin-rm";
  op.cid = kRoot;
  REQUIRE(AskMountToRun(sock, cache_dir, op));
  r = AskMountToRun(sock, cache_dir, op);
  REQUIRE(r);
  CHECK(r->exit == 1);
  CHECK(r->out.empty());
  CHECK(r->err.rfind(std::string("ipfsfs: pin rm ") + kRoot + ": ", 0) == 0);

  op = {};
  op.name = "stat";
  op.json = true;
  r = AskMountToRun(sock, cache_dir, op);
  REQUIRE(r);
  CHECK(r->out == R"({"blocks":5,"bytes":211,"max_bytes":10737418240,"pinned_blocks":0,"pinned_roots":0})" "\n");

  // A mount of another cache is not the one asked for.
  auto other = AskMountToRun(sock, f.dir(), op);
  REQUIRE_FALSE(other);
  CHECK(other.error().code == ErrorCode::kNotFound);
  // Nor is a socket nobody listens on.
  other = AskMountToRun(f.dir() + "/none.sock", cache_dir, op);
  REQUIRE_FALSE(other);
  CHECK(other.error().code == ErrorCode::kNotFound);
  // A malformed op is refused, not run.
  auto bad = AskSocket(sock, {{"command", "cache"}, {"cache_dir", cache_dir}, {"op", {{"name", 3}}}}, std::chrono::seconds(5));
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message == "cache request: a field has the wrong type");
}

TEST_CASE("cache ops: a request survives its JSON form") {
  CacheOp op;
  op.name = "import";
  op.json = true;
  op.cid = "c";
  op.file = "/abs/x.car";
  op.shown_file = "x.car";
  op.gc_target = "1G";
  op.all = true;
  op.no_car = true;
  op.pin_roots = false;
  op.progress = true;  // never sent: the mount has no terminal
  auto back = CacheOpFromJson(CacheOpToJson(op));
  REQUIRE(back);
  CHECK(back->name == "import");
  CHECK(back->json);
  CHECK(back->cid == "c");
  CHECK(back->file == "/abs/x.car");
  CHECK(back->shown_file == "x.car");
  CHECK(back->gc_target == "1G");
  CHECK(back->all);
  CHECK(back->no_car);
  CHECK_FALSE(back->pin_roots);
  CHECK_FALSE(back->progress);
  for (const char* bad : {R"({"name": 5})", R"({"json": "yes"})", R"({"pin_roots": null})", R"([1])"}) {
    INFO(bad);
    auto r = CacheOpFromJson(nlohmann::json::parse(bad));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace ipfsfs::tools
