#include "blockcache/provider_source.h"

#include <catch2/catch.hpp>

#include "blockcache/block_cache.h"
#include "tests/support/test_dag.h"
#include "tests/support/test_gateway.h"

namespace ipfsfs::blockcache {
namespace {

using testing::TestGateway;

std::unique_ptr<TestGateway> Gateway() {
  auto g = TestGateway::Start({});
  REQUIRE(g);
  return std::move(*g);
}

// A cache whose only source is the delegated router `routing`.
std::unique_ptr<BlockCache> ProvidersOnly(const TestGateway& routing) {
  BlockCacheOptions o;
  o.fetch_timeout = std::chrono::milliseconds(5000);
  o.request_timeout = std::chrono::milliseconds(2000);
  o.connect_timeout = std::chrono::milliseconds(1000);
  o.sources.push_back({SourceSpec::Kind::kProviders, routing.url()});
  auto c = BlockCache::Open(o);
  REQUIRE(c);
  return std::move(*c);
}

TEST_CASE("provider multiaddrs become gateway URLs, plain http only on private addresses", "[providers]") {
  CHECK(*GatewayUrlFromMultiaddr("/dns/gw.example/tcp/443/https") == "https://gw.example");
  CHECK(*GatewayUrlFromMultiaddr("/dns4/gw.example/tcp/8443/tls/http") == "https://gw.example:8443");
  CHECK(*GatewayUrlFromMultiaddr("/ip4/1.2.3.4/tcp/443/tls/sni/gw.example/http") == "https://1.2.3.4");
  CHECK(*GatewayUrlFromMultiaddr("/ip6/2001:db8::1/tcp/443/https") == "https://[2001:db8::1]");
  CHECK(*GatewayUrlFromMultiaddr("/ip4/127.0.0.1/tcp/8080/http") == "http://127.0.0.1:8080");
  CHECK(*GatewayUrlFromMultiaddr("/ip4/192.168.1.5/tcp/80/http/p2p/12D3KooWA") == "http://192.168.1.5");
  CHECK(*GatewayUrlFromMultiaddr("/ip6/::1/tcp/8080/http") == "http://[::1]:8080");
  for (const char* bad : {"/ip4/8.8.8.8/tcp/80/http", "/dns/gw.example/tcp/80/http", "/ip4/1.2.3.4/tcp/4001",
                          "/ip4/1.2.3.4/udp/4001/quic-v1", "/ip4/1.2.3.4/tcp/x/https", "ip4/1.2.3.4/tcp/443/https",
                          "", "/unix/tmp/sock"}) {
    auto r = GatewayUrlFromMultiaddr(bad);
    INFO(bad);
    CHECK_FALSE(r);
  }
}

TEST_CASE("providers responses: JSON and NDJSON, gateway protocol only, each URL once", "[providers]") {
  auto urls = ParseProviders(R"({"Providers":[
    {"Schema":"peer","ID":"a","Addrs":["/ip4/1.2.3.4/tcp/4001"],"Protocols":["transport-bitswap"]},
    {"Schema":"peer","ID":"b","Addrs":["/dns/b.example/tcp/443/https","/ip4/9.9.9.9/tcp/80/http"],
     "Protocols":["transport-bitswap","transport-ipfs-gateway-http"],"Extra":1},
    {"Schema":"peer","ID":"c","Addrs":["/dns/b.example/tcp/443/https"]},
    {"Schema":"bitswap","ID":"d","Protocol":"transport-bitswap","Addrs":["/dns/d.example/tcp/443/https"]},
    {"Schema":"peer","ID":"e"}]})");
  REQUIRE(urls);
  CHECK(*urls == std::vector<std::string>{"https://b.example"});
  auto nd = ParseProviders(
      "{\"Schema\":\"peer\",\"ID\":\"x\",\"Addrs\":[\"/dns/x.example/tcp/443/https\"]}\n"
      "{\"Schema\":\"peer\",\"ID\":\"y\",\"Addrs\":[\"/ip4/127.0.0.1/tcp/9/http\"],"
      "\"Protocols\":[\"transport-ipfs-gateway-http\"]}\n");
  REQUIRE(nd);
  CHECK(*nd == std::vector<std::string>{"https://x.example", "http://127.0.0.1:9"});
  CHECK(ParseProviders(R"({"Providers":[]})")->empty());
  CHECK(ParseProviders("")->empty());
  CHECK(ParseProviders("<html>").error().code == ErrorCode::kCorrupt);
}

TEST_CASE("with only a routing endpoint, blocks come from the providers it names", "[providers]") {
  auto holder = Gateway();  // has the DAG
  auto empty = Gateway();   // a provider without it, named first
  auto routing = Gateway();
  auto dag = testing::MakeFileDag(600000, 100000, 4, 7);
  for (const auto& b : dag.blocks) holder->AddBlock(b.cid, b.data);
  // A dead provider, one without the blocks, then the one with them.
  routing->SetProviders({"http://127.0.0.1:1", empty->url(), holder->url()});
  auto cache = ProvidersOnly(*routing);
  for (const auto& b : dag.blocks) {
    auto got = cache->GetBlocking(b.cid);
    REQUIRE(got);
    CHECK(std::equal(got->bytes().begin(), got->bytes().end(), b.data.begin(), b.data.end()));
  }
  // The root's lookup found the holder; the other blocks went to it directly.
  CHECK(routing->ProviderRequests() == 1);
  CHECK(holder->TotalRequests() == dag.blocks.size());
  CHECK(routing->TotalRequests() == routing->ProviderRequests());  // the router was asked for no block
}

TEST_CASE("a block no provider has is not found, and routing is asked once for it", "[providers]") {
  auto holder = Gateway();
  auto routing = Gateway();
  routing->SetProviders({holder->url()});
  auto cache = ProvidersOnly(*routing);
  auto missing = testing::MakeRawBlock(1000, 99);
  auto r = cache->GetBlocking(missing.cid);
  REQUIRE_FALSE(r);
  CHECK(routing->ProviderRequests() >= 1);
  auto present = testing::MakeRawBlock(1000, 98);
  holder->AddBlock(present.cid, present.data);
  CHECK(cache->GetBlocking(present.cid));
}

TEST_CASE("a provider serving wrong bytes is dropped alone: the provider source keeps its standing", "[providers]") {
  auto liar = Gateway();    // has every block, sends other blocks' bytes
  auto holder = Gateway();  // has them right
  auto routing = Gateway();
  auto dag = testing::MakeFileDag(600000, 100000, 4, 8);
  for (const auto& b : dag.blocks) {
    liar->AddBlock(b.cid, b.data);
    holder->AddBlock(b.cid, b.data);
  }
  liar->SetFault(testing::Fault::kWrongBlock);
  routing->SetProviders({liar->url(), holder->url()});  // the liar first
  auto cache = ProvidersOnly(*routing);
  for (const auto& b : dag.blocks) {
    auto got = cache->GetBlocking(b.cid);
    REQUIRE(got);
    CHECK(std::equal(got->bytes().begin(), got->bytes().end(), b.data.begin(), b.data.end()));
  }
  CHECK(liar->TotalRequests() == 1);  // its first answer was its last
  CHECK(holder->TotalRequests() == dag.blocks.size());
  auto stats = cache->Stats().sources;
  REQUIRE(stats.size() == 1);
  CHECK(stats[0].corrupt == 1);
  CHECK_FALSE(stats[0].demoted);  // the source as a whole: one bad provider is not its fault
}

TEST_CASE("a router that names no provider: a clear not-found", "[providers]") {
  auto routing = Gateway();  // no providers: 404
  auto cache = ProvidersOnly(*routing);
  auto b = testing::MakeRawBlock(1000, 5);
  auto r = cache->GetBlocking(b.cid);
  REQUIRE_FALSE(r);
  CHECK(routing->ProviderRequests() >= 1);
}

}  // namespace
}  // namespace ipfsfs::blockcache
