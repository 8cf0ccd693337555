// The kubo target without a node: its Authorization header and its errors
// when the node is not there (the js-ipfs node tests are in publish_peer_test).
#include "publish/kubo_target.h"

#include <catch2/catch.hpp>

#include "tests/publish/fixture.h"

namespace ipfsfs::publish {
namespace {

TEST_CASE("kubo auth: the header kubo derives from an API.Authorizations secret", "[publish]") {
  CHECK(*KuboAuthorization("basic:alice:secret") == "Basic YWxpY2U6c2VjcmV0");
  CHECK(*KuboAuthorization("basic:YWxpY2U6c2VjcmV0") == "Basic YWxpY2U6c2VjcmV0");
  CHECK(*KuboAuthorization("bearer:tok") == "Bearer tok");
  CHECK(*KuboAuthorization("tok") == "Bearer tok");
  CHECK_FALSE(KuboAuthorization(""));
  CHECK_FALSE(KuboAuthorization("basic:"));
  CHECK_FALSE(KuboAuthorization("bearer:"));
}

TEST_CASE("kubo target: a node that is not there is one clear, retryable error", "[publish]") {
  testing::TempDir t;
  auto cache = testing::MemoryCache();
  auto engine = net::HttpEngine::Create();
  REQUIRE(engine);
  // Port 9 (discard) on loopback: nothing listens there.
  KuboTarget target({"http://127.0.0.1:9", "", t.path + "/pins.json"}, **engine, *cache);
  auto r = target.Publish({ipld::Cid::V1(ipld::Codec::kRaw, ipld::Multihash::Sha256(AsBytes("x"))), std::nullopt});
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::kUnavailable);
  CHECK(r.error().message.rfind("version: http://127.0.0.1:9/api/v0/version: ", 0) == 0);
  CHECK(r.error().message.find('\n') == std::string::npos);
}

}  // namespace
}  // namespace ipfsfs::publish
