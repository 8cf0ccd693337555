// The remote:SERVICE target and the Pinning Service API client against
// mock-ipfs-pinning-service (tests/peers/publish/pinning_service.cjs).
#include <catch2/catch.hpp>
#include <thread>

#include "publish/pinning_client.h"
#include "publish/remote_target.h"
#include "tests/publish/pinning_service_peer.h"

namespace ipfsfs::publish {
namespace {

using namespace testing;

const std::string kPeers = IPFSFS_PEERS_DIR;
const std::string kOrigin = "/ip4/198.51.100.7/tcp/4001/p2p/12D3KooWSM5yVUkrRRHHxSK8dKw2EqwLub8qxYvY6gYfipFg85sw";

ipld::Cid CidOf(const std::string& text) {
  return ipld::Cid::V1(ipld::Codec::kRaw, ipld::Multihash::Sha256(AsBytes(text)));
}

std::unique_ptr<net::HttpEngine> Engine() {
  auto e = net::HttpEngine::Create();
  REQUIRE(e);
  return std::move(*e);
}

RemoteTargetOptions Options(const PinningServicePeer& peer, const std::string& key) {
  RemoteTargetOptions o;
  o.service = "mock";
  o.endpoint = peer.url();
  o.key = key;
  o.poll_min = std::chrono::milliseconds(5);
  o.poll_max = std::chrono::milliseconds(20);
  return o;
}

void WaitForProgress(const RemoteTarget& target, const std::string& prefix) {
  for (int i = 0; i < 6000 && target.Progress().rfind(prefix, 0) != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  INFO(target.Progress());
  REQUIRE(target.Progress().rfind(prefix, 0) == 0);
}

TEST_CASE("remote target: POST /pins with the root, a name and the node's origins, bearer auth, then the status followed until pinned", "[publish]") {
  auto peer = PinningServicePeer::StartOrSkip(kPeers + "/publish", "secret");
  auto engine = Engine();
  RemoteTarget target(Options(*peer, "secret"), *engine,
                      [] { return Result<std::vector<std::string>>(std::vector<std::string>{kOrigin}); });
  CHECK(target.Name() == "remote:mock");
  const ipld::Cid one = CidOf("one");
  auto r = target.Publish({one, std::nullopt});
  REQUIRE(r);
  CHECK(*r == "requested " + one.ToString() + ": queued (request req-1)");
  WaitForProgress(target, "pinned " + one.ToString());
  auto requests = peer->Requests();
  REQUIRE(requests.size() >= 3);  // the add, then a poll per status change
  CHECK(requests[0]["method"] == "POST");
  CHECK(requests[0]["url"] == "/pins");
  CHECK(requests[0]["authorization"] == "Bearer secret");
  CHECK(requests[0]["contentType"].get<std::string>().rfind("application/json", 0) == 0);
  CHECK(requests[0]["body"] == nlohmann::json{{"cid", one.ToString()}, {"name", "ipfsfs staging"}, {"origins", {kOrigin}}});
  for (size_t i = 1; i < requests.size(); ++i) {
    CHECK(requests[i]["method"] == "GET");
    CHECK(requests[i]["url"] == "/pins/req-1");
    CHECK(requests[i]["authorization"] == "Bearer secret");
  }

  // The next root replaces the pin in one step.
  const ipld::Cid two = CidOf("two");
  auto r2 = target.Publish({two, one});
  REQUIRE(r2);
  CHECK(*r2 == "replaced the pin with " + two.ToString() + ": queued (request req-2)");
  auto after = peer->Requests();
  CHECK(after[requests.size()]["method"] == "POST");
  CHECK(after[requests.size()]["url"] == "/pins/req-1");
  WaitForProgress(target, "pinned " + two.ToString());
  PinningClient client(peer->url(), "secret", *engine);
  auto pinned = client.List({});
  REQUIRE(pinned);
  REQUIRE(pinned->size() == 1);
  CHECK((*pinned)[0].cid == two.ToString());
}

TEST_CASE("remote target: without a node holding the blocks the pin is still asked, with a warning", "[publish]") {
  auto peer = PinningServicePeer::StartOrSkip(kPeers + "/publish", "secret");
  auto engine = Engine();
  RemoteTarget target(Options(*peer, "secret"), *engine, nullptr);
  auto r = target.Publish({CidOf("x"), std::nullopt});
  REQUIRE(r);
  CHECK(r->find("the service cannot fetch them") != std::string::npos);
  CHECK_FALSE(peer->Requests()[0]["body"].contains("origins"));
}

TEST_CASE("remote target: the service's errors are one line each: 401, 409, 5xx, 404", "[publish]") {
  auto peer = PinningServicePeer::StartOrSkip(kPeers + "/publish", "secret");
  auto engine = Engine();
  RemoteTarget wrong_key(Options(*peer, "nope"), *engine, nullptr);
  auto unauthorized = wrong_key.Publish({CidOf("x"), std::nullopt});
  REQUIRE_FALSE(unauthorized);
  CHECK(unauthorized.error().code == ErrorCode::kInvalidArgument);
  CHECK(unauthorized.error().message ==
        "POST /pins: HTTP 401 access token is invalid (check the service's access token)");

  PinningClient client(peer->url(), "secret", *engine);
  auto funds = client.Add(CidOf("x").ToString(), "funds-x", {});
  REQUIRE_FALSE(funds);
  CHECK(funds.error().code == ErrorCode::kInvalidArgument);
  CHECK(funds.error().message == "POST /pins: HTTP 409 INSUFFICIENT_FUNDS: top up your account");
  auto broken = client.Add(CidOf("x").ToString(), "broken-x", {});
  REQUIRE_FALSE(broken);
  CHECK(broken.error().code == ErrorCode::kUnavailable);
  CHECK(broken.error().message == "POST /pins: HTTP 500 INTERNAL_SERVER_ERROR: database on fire");
  auto missing = client.Get("req-999");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == ErrorCode::kNotFound);
  CHECK(missing.error().message.rfind("GET /pins/req-999: HTTP 404", 0) == 0);
}

TEST_CASE("pinning client: list by status and cid, remove", "[publish]") {
  auto peer = PinningServicePeer::StartOrSkip(kPeers + "/publish", "secret");
  auto engine = Engine();
  PinningClient client(peer->url() + "/", "secret", *engine);  // a trailing slash is dropped
  auto a = client.Add(CidOf("a").ToString(), "pinned-a", {});
  auto b = client.Add(CidOf("b").ToString(), "stuck-b", {});
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a->status == "pinned");
  CHECK(a->delegates.size() == 4);
  auto queued = client.List({{}, "", {"queued"}, 0});
  REQUIRE(queued);
  REQUIRE(queued->size() == 1);
  CHECK((*queued)[0].cid == CidOf("b").ToString());
  auto by_cid = client.List({{CidOf("a").ToString()}, "", {"queued", "pinning", "pinned", "failed"}, 0});
  REQUIRE(by_cid);
  REQUIRE(by_cid->size() == 1);
  CHECK((*by_cid)[0].name == "pinned-a");
  REQUIRE(client.Remove(a->requestid));
  auto gone = client.Get(a->requestid);
  REQUIRE_FALSE(gone);
  CHECK(gone.error().code == ErrorCode::kNotFound);
}

}  // namespace
}  // namespace ipfsfs::publish
