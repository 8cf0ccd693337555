// DnsLinkResolver over the c-ares client against a real DNS server (dnsmasq)
// on loopback: the whole path a DNSLink lookup takes, without the network.
#include <catch2/catch.hpp>

#include <future>
#include <string>
#include <vector>

#include "net/dns_client.h"
#include "resolver/dnslink.h"
#include "tests/support/dnsmasq.h"

namespace ipfsfs::resolver {
namespace {

constexpr const char* kCid = "bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354";
constexpr const char* kKey = "k51qzi5uqu5dldhbzu8n103rk9vogs98jlyiek9ab95nby355ejzh0marmmurb";

std::string Ipfs(const std::string& rest = "") { return std::string("/ipfs/") + kCid + rest; }

std::vector<std::string> Zone() {
  return {
      "--txt-record=_dnslink.example.test,dnslink=" + Ipfs(),
      "--cname=_dnslink.alias.test,_dnslink.alias2.test",
      "--cname=_dnslink.alias2.test,_dnslink.example.test",
      "--cname=_dnslink.dangling.test,_dnslink.nothing.test",
      "--txt-record=_dnslink.two.test,dnslink=" + Ipfs(),
      std::string("--txt-record=_dnslink.two.test,dnslink=/ipns/") + kKey,
      "--txt-record=_dnslink.mixed.test,v=spf1 -all",
      "--txt-record=_dnslink.mixed.test,dnslink=" + Ipfs("/mixed"),
      std::string("--txt-record=_dnslink.split.test,dnslink=/ipfs/,") + kCid,
      "--txt-record=_dnslink.loop1.test,dnslink=/ipns/loop2.test",
      "--txt-record=_dnslink.loop2.test,dnslink=/ipns/loop1.test",
      std::string("--txt-record=_dnslink.key.test,dnslink=/ipns/") + kKey + "/docs",
      "--txt-record=_dnslink.a.test,dnslink=/ipns/b.test/path-b",
      "--txt-record=_dnslink.b.test,dnslink=" + Ipfs("/path-c"),
      "--txt-record=bare.test,dnslink=" + Ipfs("/bare"),
  };
}

class Fixture {
 public:
  Fixture() : server_(Zone()) {
    REQUIRE(server_.ok());
    auto dns = net::CreateDnsClient(net::DnsClientOptions{server_.address(), std::chrono::milliseconds(1000), 2});
    REQUIRE(dns);
    dns_ = std::move(*dns);
  }

  Result<DnsLinkResult> Resolve(std::string_view name, DnsLinkOptions options = {}) {
    std::promise<Result<DnsLinkResult>> p;
    auto f = p.get_future();
    DnsLinkResolver(*dns_, options).Resolve(name, [&p](Result<DnsLinkResult> r) { p.set_value(std::move(r)); });
    return f.get();
  }

 private:
  testing::Dnsmasq server_;  // declared first: outlives the client
  std::unique_ptr<net::DnsClient> dns_;
};

TEST_CASE("dnslink over dnsmasq: a record, its TTL, CNAME chains") {
  Fixture f;
  auto r = f.Resolve("/ipns/example.test/a/b");
  REQUIRE(r);
  CHECK(r->path == Ipfs("/a/b"));
  CHECK(r->ttl == std::chrono::seconds(60));

  auto alias = f.Resolve("alias.test");
  REQUIRE(alias);
  CHECK(alias->path == Ipfs());

  // dnsmasq answers the alias alone; the target is asked next: NXDOMAIN.
  auto dangling = f.Resolve("dangling.test");
  REQUIRE_FALSE(dangling);
  CHECK(dangling.error().code == ErrorCode::kNotFound);
}

TEST_CASE("dnslink over dnsmasq: several TXT records, split strings") {
  Fixture f;
  auto two = f.Resolve("two.test");
  REQUIRE_FALSE(two);
  CHECK(two.error().code == ErrorCode::kCorrupt);
  auto mixed = f.Resolve("mixed.test");
  REQUIRE(mixed);
  CHECK(mixed->path == Ipfs("/mixed"));
  auto split = f.Resolve("split.test");
  REQUIRE(split);
  CHECK(split->path == Ipfs());
}

TEST_CASE("dnslink over dnsmasq: loops, missing records, the bare domain") {
  Fixture f;
  auto loop = f.Resolve("loop1.test");
  REQUIRE_FALSE(loop);
  CHECK(loop.error().code == ErrorCode::kCorrupt);
  CHECK(loop.error().message == "dnslink loop: loop1.test -> loop2.test -> loop1.test");

  auto missing = f.Resolve("missing.test");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == ErrorCode::kNotFound);
  CHECK(missing.error().message.find("_dnslink.missing.test") != std::string::npos);

  DnsLinkOptions strict;
  strict.bare_domain_fallback = false;
  CHECK(f.Resolve("bare.test", strict).error().code == ErrorCode::kNotFound);
  auto bare = f.Resolve("bare.test");  // the fallback is on by default
  REQUIRE(bare);
  CHECK(bare->path == Ipfs("/bare"));
}

TEST_CASE("dnslink over dnsmasq: to an IPNS name, and to another domain") {
  Fixture f;
  auto key = f.Resolve("key.test/index.html");
  REQUIRE(key);
  CHECK(key->path == std::string("/ipns/") + kKey + "/docs/index.html");

  auto chain = f.Resolve("a.test/path-a");
  REQUIRE(chain);
  CHECK(chain->path == Ipfs("/path-c/path-b/path-a"));
  CHECK(chain->domains == std::vector<std::string>{"a.test", "b.test"});
}

}  // namespace
}  // namespace ipfsfs::resolver
