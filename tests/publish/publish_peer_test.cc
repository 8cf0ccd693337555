// The publish targets against peers we did not write: @ipld/car (via
// tests/peers/car_check.mjs) reads the car: target's file; js-ipfs 0.66.1 as
// a kubo RPC node (tests/peers/publish) receives the kubo target's blocks.
#include <catch2/catch.hpp>

#include "net/http_engine.h"
#include "publish/car_target.h"
#include "publish/kubo_target.h"
#include "tests/publish/fixture.h"
#include "tests/publish/js_ipfs_node.h"

namespace ipfsfs::publish {
namespace {

using namespace testing;

const std::string kPeers = IPFSFS_PEERS_DIR;

void RequireCarCheck() {
  INFO("the js reference peers are missing: run `npm ci --prefix tests/peers` (needs node >= 18)");
  REQUIRE(Shell("node --version >/dev/null 2>&1").status == 0);
  REQUIRE(fs::exists(kPeers + "/node_modules/@ipld/car/package.json"));
}

TEST_CASE("car target: @ipld/car reads the file back, one root, every block, the same tree", "[publish]") {
  RequireCarCheck();
  TempDir t;
  MakeTree(t.path + "/site");
  auto cache = MemoryCache();
  const ipld::Cid root = Import(*cache, t.path + "/site");
  const std::string out = t.path + "/site.car";
  CarTarget target(*cache, out);
  auto r = target.Publish({root, std::nullopt});
  REQUIRE(r);
  Run check = Shell("node " + Quote(kPeers + "/car_check.mjs") + " " + Quote(out) + " " + Quote(t.path + "/site") +
                    " " + root.ToString() + " 2>&1");
  INFO(check.out);
  REQUIRE(check.status == 0);
  // "ok <blocks> blocks …" agrees with the target's own count.
  const std::string blocks = check.out.substr(3, check.out.find(" blocks") - 3);
  CHECK(r->find("(" + blocks + " blocks, ") != std::string::npos);
}

std::unique_ptr<net::HttpEngine> MakeEngine() {
  auto e = net::HttpEngine::Create();
  REQUIRE(e);
  return std::move(*e);
}

struct KuboFixture {
  TempDir t;
  std::unique_ptr<JsIpfsNode> node = JsIpfsNode::StartOrSkip(kPeers + "/publish");
  std::unique_ptr<blockcache::BlockCache> cache = MemoryCache();
  std::unique_ptr<net::HttpEngine> engine = MakeEngine();
  KuboTarget target{{node->url(), "", t.path + "/kubo-pins.json"}, *engine, *cache};

  bool Pinned(const ipld::Cid& root) const {
    Run r = node->Rpc("pin/ls?arg=" + root.ToString() + "&type=recursive");
    return r.status == 0 && r.out.find(root.ToString()) != std::string::npos && r.out.find("Message") == std::string::npos;
  }
  // The node's own export of `root` must unpack to `dir`: it holds every block.
  void CheckHas(const ipld::Cid& root, const std::string& dir) const {
    const std::string car = t.path + "/export.car";
    Run exported = Shell("curl -sS -f -X POST -o " + Quote(car) + " " +
                         Quote(node->url() + "/api/v0/dag/export?arg=" + root.ToString()) + " 2>&1");
    INFO(exported.out);
    REQUIRE(exported.status == 0);
    Run check = Shell("node " + Quote(kPeers + "/car_check.mjs") + " " + Quote(car) + " " + Quote(dir) + " " +
                      root.ToString() + " 2>&1");
    INFO(check.out);
    REQUIRE(check.status == 0);
  }
};

TEST_CASE("kubo target: js-ipfs gets every block and pins the root, then only what changed and the old root is unpinned", "[publish]") {
  KuboFixture f;
  MakeTree(f.t.path + "/site");
  const ipld::Cid one = Import(*f.cache, f.t.path + "/site");
  auto r1 = f.target.Publish({one, std::nullopt});
  INFO((r1 ? *r1 : r1.error().message));
  REQUIRE(r1);
  f.CheckHas(one, f.t.path + "/site");
  CHECK(f.Pinned(one));
  CHECK(r1->find("pinned " + one.ToString()) != std::string::npos);
  const uint64_t first_blocks = std::stoull(r1->substr(0, r1->find(' ')));

  // One small file changes: the big file's blocks are not sent again.
  WriteFile(f.t.path + "/site/a/b/note.txt", "changed\n");
  const ipld::Cid two = Import(*f.cache, f.t.path + "/site");
  REQUIRE_FALSE(two == one);
  auto r2 = f.target.Publish({two, one});
  INFO((r2 ? *r2 : r2.error().message));
  REQUIRE(r2);
  f.CheckHas(two, f.t.path + "/site");
  CHECK(f.Pinned(two));
  CHECK_FALSE(f.Pinned(one));
  CHECK(r2->find("unpinned " + one.ToString()) != std::string::npos);
  const uint64_t second_blocks = std::stoull(r2->substr(0, r2->find(' ')));
  CHECK(second_blocks == 4);  // the root, a/, a/b/, note.txt
  CHECK(second_blocks < first_blocks);
  // The pins ipfsfs made are remembered per node.
  const std::string state = ReadFile(f.t.path + "/kubo-pins.json");
  CHECK(state.find(two.ToString()) != std::string::npos);
  CHECK(state.find(one.ToString()) == std::string::npos);
}

TEST_CASE("kubo target: a root pinned by hand is never unpinned", "[publish]") {
  KuboFixture f;
  MakeTree(f.t.path + "/site");
  const ipld::Cid one = Import(*f.cache, f.t.path + "/site");
  REQUIRE(f.target.Publish({one, std::nullopt}));
  // Someone else's pin of another root on the node, which ipfsfs did not make.
  WriteFile(f.t.path + "/site/extra.txt", "extra\n");
  const ipld::Cid two = Import(*f.cache, f.t.path + "/site");
  KuboTarget other{{f.node->url(), "", f.t.path + "/someone-else.json"}, *f.engine, *f.cache};
  REQUIRE(other.Publish({two, std::nullopt}));
  // ipfsfs moves on to a third root: it unpins `one` (its own), not `two`.
  WriteFile(f.t.path + "/site/extra.txt", "more\n");
  const ipld::Cid three = Import(*f.cache, f.t.path + "/site");
  auto r = f.target.Publish({three, one});
  INFO((r ? *r : r.error().message));
  REQUIRE(r);
  CHECK(f.Pinned(three));
  CHECK(f.Pinned(two));
  CHECK_FALSE(f.Pinned(one));
}

TEST_CASE("kubo target: id reports the node's peer ID", "[publish]") {
  KuboFixture f;
  auto id = f.target.Identify();
  REQUIRE(id);
  CHECK(id->peer_id.rfind("12D3KooW", 0) == 0);
}

}  // namespace
}  // namespace ipfsfs::publish
