// Source::FetchIpnsRecord over real HTTP on loopback: a trustless gateway, a
// delegated router and a kubo RPC, each against the test gateway.
#include <catch2/catch.hpp>
#include <future>

#include "blockcache/source.h"
#include "ipld/ipns_name.h"
#include "net/http_engine.h"
#include "tests/support/test_gateway.h"

namespace ipfsfs::blockcache {
namespace {

// A 36-byte identity peer ID (Ed25519 key inlined): any bytes do for transport.
const char* kName = "k51qzi5uqu5dlvj2baxnqndepeb86cbk3ng7n3i46uzyxzyqj2xjonzllnv0v8";

Result<std::shared_ptr<Bytes>> FetchRecord(Source& s, const std::string& name) {
  std::promise<Result<std::shared_ptr<Bytes>>> p;
  auto f = p.get_future();
  auto handle = s.FetchIpnsRecord(name, [&p](Result<std::shared_ptr<Bytes>> r) { p.set_value(std::move(r)); });
  return f.get();
}

TEST_CASE("IPNS records come from gateways, delegated routers and kubo, absence is kNotFound", "[ipns]") {
  auto gw = testing::TestGateway::Start();
  REQUIRE(gw);
  auto engine = net::HttpEngine::Create({});
  REQUIRE(engine);
  Bytes record = ToBytes(std::string(300, 'r') + std::string("\x00\xff\x10", 3));
  auto mh = ipld::ParseIpnsName(kName);
  REQUIRE(mh);
  // Stored under the base58 form: the gateway matches any form of the name.
  (*gw)->SetIpnsRecord(ipld::FormatPeerIdBase58(*mh), record);
  auto gateway = NewGatewaySource(**engine, (*gw)->url());
  auto routing = NewRoutingSource(**engine, (*gw)->url());
  auto kubo = NewKuboSource(**engine, (*gw)->url());
  CHECK_FALSE(routing->ServesBlocks());
  CHECK(gateway->ServesBlocks());
  for (Source* s : {gateway.get(), routing.get(), kubo.get()}) {
    INFO(s->name());
    auto r = FetchRecord(*s, kName);
    REQUIRE(r);
    CHECK(**r == record);
  }
  (*gw)->RemoveIpnsRecord(kName);
  for (Source* s : {gateway.get(), routing.get(), kubo.get()}) {
    INFO(s->name());
    auto r = FetchRecord(*s, kName);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::kNotFound);
  }
  SECTION("over 10 KiB is refused") {
    (*gw)->SetIpnsRecord(kName, Bytes(10241, std::byte{1}));
    for (Source* s : {gateway.get(), routing.get(), kubo.get()}) {
      INFO(s->name());
      auto r = FetchRecord(*s, kName);
      REQUIRE_FALSE(r);
      CHECK(r.error().code == ErrorCode::kTooLarge);
    }
  }
  SECTION("a routing source serves no blocks") {
    std::promise<ErrorCode> p;
    auto cid = ipld::Cid::Parse("bafkqaaa");
    REQUIRE(cid);
    routing->FetchBlock(
        *cid, [&p](Result<std::shared_ptr<Bytes>> r) { p.set_value(r ? ErrorCode::kInternal : r.error().code); });
    CHECK(p.get_future().get() == ErrorCode::kUnsupported);
  }
}

}  // namespace
}  // namespace ipfsfs::blockcache
