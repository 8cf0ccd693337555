// DNSLink rules over a fake DnsClient (tests/support/fake_dns.h).
#include "resolver/dnslink.h"

#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

#include "resolver/dnslink_entry.h"
#include "tests/support/fake_dns.h"

namespace ipfsfs::resolver {
namespace {

using std::chrono::seconds;
using testing::FakeDnsClient;

constexpr const char* kCid = "bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354";
constexpr const char* kCidV0 = "QmY3hE8xgFCjGcz6PHgnvJz5HZi1BaKRfPkn1ghZUcYMjD";
constexpr const char* kKey = "k51qzi5uqu5dldhbzu8n103rk9vogs98jlyiek9ab95nby355ejzh0marmmurb";

std::string Ipfs(const std::string& rest = "") { return std::string("/ipfs/") + kCid + rest; }

Result<DnsLinkResult> Resolve(FakeDnsClient& dns, std::string_view name, DnsLinkOptions options = {}) {
  std::optional<Result<DnsLinkResult>> out;
  int calls = 0;
  DnsLinkResolver(dns, options).Resolve(name, [&](Result<DnsLinkResult> r) {
    ++calls;
    out = std::move(r);
  });
  REQUIRE(calls == 1);  // the fake answers inline: done has run exactly once
  return std::move(*out);
}

TEST_CASE("dnslink entries: what counts as a value") {
  CHECK(ParseDnsLinkEntry(std::string("dnslink=") + Ipfs()) == Ipfs());
  CHECK(ParseDnsLinkEntry(std::string("dnslink=") + Ipfs("/foo/bar/")) == Ipfs("/foo/bar/"));
  CHECK(ParseDnsLinkEntry(std::string("dnslink=/ipns/") + kKey + "/a") == std::string("/ipns/") + kKey + "/a");
  CHECK(ParseDnsLinkEntry("dnslink=/ipns/example.com") == "/ipns/example.com");
  CHECK(ParseDnsLinkEntry(Ipfs()) == Ipfs());                                   // a bare content path
  CHECK(ParseDnsLinkEntry(kCidV0) == std::string("/ipfs/") + kCidV0);          // legacy bare CID
  CHECK(ParseDnsLinkEntry(std::string("dnslink=") + kCid) == Ipfs());          // legacy dnslink=<CID>
  CHECK(ParseDnsLinkEntry(std::string("dnslink=") + Ipfs("//a//b/")) == Ipfs("/a/b/"));
  CHECK(ParseDnsLinkEntry(std::string("dnslink=") + Ipfs("/=equals")) == Ipfs("/=equals"));

  for (std::string bad : {std::string("QmYhE8xgFCjGcz6PHgnvJz5NOTCORRECT"), std::string("quux=") + Ipfs(),
                          std::string("dnslink="), std::string("dnslink=/") + kCidV0 + "/foo",
                          std::string("dnslink=ipns/") + kCidV0 + "/bar", std::string(" dnslink=") + Ipfs(),
                          std::string("dnslink=") + Ipfs() + " ", std::string("DNSLINK=") + Ipfs(),
                          std::string("dnslink=/ipfs/notacid"), std::string("dnslink=/ipld/") + kCid,
                          std::string("dnslink=/foo/bar"), std::string("dnslink=/ipns/"),
                          std::string("dnslink=") + Ipfs("/../x"), std::string("dnslink=") + Ipfs("/./x"),
                          std::string("masked dnslink=/ipns/example.invalid"), std::string("")}) {
    INFO(bad);
    CHECK_FALSE(ParseDnsLinkEntry(bad));
  }
}

TEST_CASE("dnslink names and path joins") {
  auto n = SplitDnsLinkName("/ipns/Example.COM./a/b/");
  REQUIRE(n);
  CHECK(n->domain == "example.com");
  CHECK(n->rest == "a/b/");
  CHECK(SplitDnsLinkName("example.com")->rest.empty());
  for (const char* bad : {"", "/ipns/", "a..b", ".a", "a b.com", "a\tb.com"}) {
    INFO(bad);
    auto r = SplitDnsLinkName(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::kInvalidArgument);
  }
  CHECK_FALSE(SplitDnsLinkName(std::string(64, 'a') + ".com"));
  CHECK_FALSE(SplitDnsLinkName(std::string(250, 'a') + ".com"));
  CHECK(JoinContentPath("/ipfs/C/sub/", "x") == "/ipfs/C/sub/x");
  CHECK(JoinContentPath("/ipfs/C/sub/", "") == "/ipfs/C/sub/");
  CHECK(JoinContentPath("/ipfs/C", "/a/b/") == "/ipfs/C/a/b/");
  CHECK(IsDnsLinkDomain("en.wikipedia-on-ipfs.org"));
  CHECK_FALSE(IsDnsLinkDomain(kKey));
}

TEST_CASE("dnslink: _dnslink.<domain> is read, the bare domain only when asked to") {
  FakeDnsClient dns;
  dns.AddTxt("_dnslink.a.test", "dnslink=" + Ipfs(), seconds(120));
  dns.AddTxt("bare.test", "dnslink=" + Ipfs("/bare"));
  dns.AddTxt("both.test", "dnslink=" + Ipfs("/bare"));
  dns.AddTxt("_dnslink.both.test", "dnslink=" + Ipfs("/sub"));

  auto a = Resolve(dns, "/ipns/a.test");
  REQUIRE(a);
  CHECK(a->path == Ipfs());
  CHECK(a->ttl == seconds(120));
  CHECK(a->domains == std::vector<std::string>{"a.test"});

  DnsLinkOptions strict;
  strict.bare_domain_fallback = false;
  auto bare = Resolve(dns, "bare.test", strict);
  REQUIRE_FALSE(bare);
  CHECK(bare.error().code == ErrorCode::kNotFound);
  CHECK(bare.error().message.find("_dnslink.bare.test") != std::string::npos);

  DnsLinkOptions fallback;
  fallback.bare_domain_fallback = true;
  auto bare2 = Resolve(dns, "bare.test", fallback);
  REQUIRE(bare2);
  CHECK(bare2->path == Ipfs("/bare"));
  auto both = Resolve(dns, "both.test", fallback);
  REQUIRE(both);
  CHECK(both->path == Ipfs("/sub"));  // _dnslink. takes precedence

  CHECK(dns.asked() == std::vector<std::string>{"_dnslink.a.test", "_dnslink.bare.test", "_dnslink.bare.test",
                                                "bare.test", "_dnslink.both.test"});
}

TEST_CASE("dnslink: several records") {
  FakeDnsClient dns;
  for (const char* junk : {"some stuff", "v=spf1 -all", "masked dnslink=/ipns/example.invalid"}) {
    dns.AddTxt("_dnslink.one.test", junk);
  }
  dns.AddTxt("_dnslink.one.test", "dnslink=" + Ipfs());
  dns.AddTxt("_dnslink.one.test", std::string("dnslink=/ipld/") + kCid);  // dropped: not ipfs/ipns
  dns.AddTxt("_dnslink.two.test", "dnslink=" + Ipfs());
  dns.AddTxt("_dnslink.two.test", std::string("dnslink=/ipns/") + kKey);
  dns.AddTxt("_dnslink.same.test", "dnslink=" + Ipfs());
  dns.AddTxt("_dnslink.same.test", "dnslink=" + Ipfs());
  dns.AddTxt("_dnslink.none.test", "dnslink=/ipfs/notacid");

  auto one = Resolve(dns, "one.test");
  REQUIRE(one);
  CHECK(one->path == Ipfs());
  for (const char* name : {"two.test", "same.test"}) {  // boxo: even identical ones
    auto r = Resolve(dns, name);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::kCorrupt);
    CHECK(r.error().message.find("more than one") != std::string::npos);
  }
  auto none = Resolve(dns, "none.test");
  REQUIRE_FALSE(none);
  CHECK(none.error().code == ErrorCode::kNotFound);
  auto missing = Resolve(dns, "missing.test");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == ErrorCode::kNotFound);
  CHECK(missing.error().message.find("could not find a TXT record at _dnslink.missing.test") != std::string::npos);
}

TEST_CASE("dnslink: CNAME chains, answered whole or one alias at a time") {
  FakeDnsClient dns;
  dns.AddCname("_dnslink.a.test", "_dnslink.b.test", seconds(30));
  dns.AddCname("_dnslink.b.test", "target.example.net", seconds(300));
  dns.AddTxt("target.example.net", "dnslink=" + Ipfs(), seconds(90));

  auto whole = Resolve(dns, "a.test");
  REQUIRE(whole);
  CHECK(whole->path == Ipfs());
  CHECK(whole->ttl == seconds(30));
  CHECK(dns.asked().size() == 1);

  dns.set_cnames_per_answer(1);  // a server that answers aliases only
  auto stepwise = Resolve(dns, "a.test");
  REQUIRE(stepwise);
  CHECK(stepwise->path == Ipfs());
  CHECK(stepwise->ttl == seconds(30));
  CHECK(dns.asked() == std::vector<std::string>{"_dnslink.a.test", "_dnslink.a.test", "_dnslink.b.test",
                                                "target.example.net"});
}

TEST_CASE("dnslink: CNAME loops end with an error") {
  FakeDnsClient dns;
  dns.AddCname("_dnslink.l.test", "x.test");
  dns.AddCname("x.test", "y.test");
  dns.AddCname("y.test", "_dnslink.l.test");
  auto recursive = Resolve(dns, "l.test");  // the server sees the loop: SERVFAIL
  REQUIRE_FALSE(recursive);
  CHECK(recursive.error().code == ErrorCode::kUnavailable);

  dns.set_cnames_per_answer(1);  // we see it
  auto stepwise = Resolve(dns, "l.test");
  REQUIRE_FALSE(stepwise);
  CHECK(stepwise.error().code == ErrorCode::kCorrupt);
  CHECK(stepwise.error().message.find("CNAME loop") != std::string::npos);
}

TEST_CASE("dnslink: /ipns/<domain> values are followed, paths joined (DNSLink gateway spec example)") {
  FakeDnsClient dns;
  dns.AddTxt("_dnslink.a.example.com", "dnslink=/ipns/b.example.net/path-b", seconds(600));
  dns.AddTxt("_dnslink.b.example.net", "dnslink=" + Ipfs("/path-c"), seconds(45));
  auto r = Resolve(dns, "/ipns/a.example.com/path-a");
  REQUIRE(r);
  CHECK(r->path == Ipfs("/path-c/path-b/path-a"));
  CHECK(r->ttl == seconds(45));
  CHECK(r->domains == std::vector<std::string>{"a.example.com", "b.example.net"});
}

TEST_CASE("dnslink: /ipns/<key> values are returned for the caller to resolve") {
  FakeDnsClient dns;
  dns.AddTxt("_dnslink.k.test", std::string("dnslink=/ipns/") + kKey + "/docs");
  auto r = Resolve(dns, "k.test/index.html");
  REQUIRE(r);
  CHECK(r->path == std::string("/ipns/") + kKey + "/docs/index.html");
  CHECK(dns.asked().size() == 1);
}

TEST_CASE("dnslink: loops between domains are detected") {
  FakeDnsClient dns;
  dns.AddTxt("_dnslink.loop1.test", "dnslink=/ipns/loop2.test");
  dns.AddTxt("_dnslink.loop2.test", "dnslink=/ipns/LOOP1.test./x");
  dns.AddTxt("_dnslink.self.test", "dnslink=/ipns/self.test");
  auto r = Resolve(dns, "loop1.test");
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::kCorrupt);
  CHECK(r.error().message == "dnslink loop: loop1.test -> loop2.test -> loop1.test");
  auto self = Resolve(dns, "self.test");
  REQUIRE_FALSE(self);
  CHECK(self.error().code == ErrorCode::kCorrupt);
}

TEST_CASE("dnslink: at most 32 domains per resolution") {
  FakeDnsClient dns;
  for (int i = 0; i < 40; ++i) {
    dns.AddTxt("_dnslink.d" + std::to_string(i) + ".test", "dnslink=/ipns/d" + std::to_string(i + 1) + ".test");
  }
  dns.AddTxt("_dnslink.d40.test", "dnslink=" + Ipfs());
  auto ok = Resolve(dns, "d9.test");  // d9 … d40: 32 domains
  REQUIRE(ok);
  CHECK(ok->path == Ipfs());
  CHECK(ok->domains.size() == 32);
  auto deep = Resolve(dns, "d8.test");  // 33 domains
  REQUIRE_FALSE(deep);
  CHECK(deep.error().code == ErrorCode::kTooLarge);
  CHECK(deep.error().message.find("d40.test") != std::string::npos);

  DnsLinkOptions one;
  one.max_depth = 1;
  CHECK(Resolve(dns, "d40.test", one));
  CHECK(Resolve(dns, "d39.test", one).error().code == ErrorCode::kTooLarge);
}

TEST_CASE("dnslink: DNS failures keep their codes, and bad names never reach DNS") {
  FakeDnsClient dns;
  dns.Fail("_dnslink.slow.test", ErrorCode::kTimeout);
  dns.Fail("_dnslink.down.test", ErrorCode::kUnavailable);
  DnsLinkOptions fallback;
  fallback.bare_domain_fallback = true;  // a failure is not "no record": no fallback
  CHECK(Resolve(dns, "slow.test", fallback).error().code == ErrorCode::kTimeout);
  auto down = Resolve(dns, "down.test", fallback);
  CHECK(down.error().code == ErrorCode::kUnavailable);
  CHECK(down.error().message.find("down.test") != std::string::npos);
  CHECK(Resolve(dns, "a b.test").error().code == ErrorCode::kInvalidArgument);
  CHECK(dns.asked() == std::vector<std::string>{"_dnslink.slow.test", "_dnslink.down.test"});
}

}  // namespace
}  // namespace ipfsfs::resolver
