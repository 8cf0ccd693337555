#include "publish/car_target.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <set>

#include "blockcache/dag_tools.h"
#include "ipld/car.h"
#include "tests/publish/fixture.h"

namespace ipfsfs::publish {
namespace {

using namespace testing;

TEST_CASE("car target: the DAG as ipfs dag export writes it, atomically, readable by others", "[publish]") {
  TempDir t;
  MakeTree(t.path + "/site");
  auto cache = MemoryCache();
  const ipld::Cid root = Import(*cache, t.path + "/site");
  const std::string out = t.path + "/out/site.car";
  fs::create_directories(t.path + "/out");
  WriteFile(out, "old contents");

  CarTarget target(*cache, out);
  CHECK(target.Name() == "car:" + out);
  auto r = target.Publish({root, std::nullopt});
  REQUIRE(r);
  // The reference order (dag_tools' ExportCar walks the same way): byte for byte.
  REQUIRE(blockcache::ExportCar(*cache, root, t.path + "/reference.car"));
  const std::string car = ReadFile(out);
  CHECK(car == ReadFile(t.path + "/reference.car"));
  // Header: one root; sections: every block once.
  ipld::CarParser parser;
  parser.Feed(AsBytes(car));
  parser.Finish();
  std::set<ipld::Multihash> seen;
  size_t blocks = 0;
  while (true) {
    auto next = parser.Next();
    REQUIRE(next);
    if (!*next) break;
    CHECK(seen.insert((**next).cid.hash()).second);
    if (blocks == 0) CHECK((**next).cid == root);  // root first
    ++blocks;
  }
  REQUIRE(parser.header());
  CHECK(parser.header()->roots == std::vector<ipld::Cid>{root});
  CHECK(r->rfind("wrote " + out + " (" + std::to_string(blocks) + " blocks, ", 0) == 0);
  CHECK(blocks > 5);
  // No temporary file is left, and the file is readable by others (0644).
  CHECK(std::distance(fs::directory_iterator(t.path + "/out"), fs::directory_iterator()) == 1);
  struct stat st {};
  REQUIRE(::stat(out.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0644);
}

TEST_CASE("car target: a missing block fails the target and leaves the old file and no temporary", "[publish]") {
  TempDir t;
  auto cache = MemoryCache();
  // A root the offline cache does not hold.
  const ipld::Cid missing = ipld::Cid::V1(ipld::Codec::kDagPb, ipld::Multihash::Sha256(AsBytes("absent")));
  const std::string out = t.path + "/site.car";
  WriteFile(out, "old contents");
  CarTarget target(*cache, out);
  auto r = target.Publish({missing, std::nullopt});
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find(missing.ToString()) != std::string::npos);
  CHECK(ReadFile(out) == "old contents");
  CHECK(std::distance(fs::directory_iterator(t.path), fs::directory_iterator()) == 1);
}

TEST_CASE("car target: an unwritable directory is one clear error", "[publish]") {
  auto cache = MemoryCache();
  CarTarget target(*cache, "/nonexistent-dir/site.car");
  auto r = target.Publish({ipld::Cid::V1(ipld::Codec::kRaw, ipld::Multihash::Sha256(AsBytes("x"))), std::nullopt});
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("creating a temporary file in /nonexistent-dir") != std::string::npos);
}

}  // namespace
}  // namespace ipfsfs::publish
