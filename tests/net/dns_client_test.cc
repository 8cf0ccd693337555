// The c-ares DnsClient against a real DNS server (dnsmasq) on loopback.
#include "net/dns_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <future>
#include <string>
#include <vector>

#include "tests/support/dnsmasq.h"

namespace ipfsfs::net {
namespace {

Result<TxtAnswer> Lookup(DnsClient& dns, const std::string& name) {
  std::promise<Result<TxtAnswer>> p;
  auto f = p.get_future();
  dns.LookupTxt(name, [&p](Result<TxtAnswer> r) { p.set_value(std::move(r)); });
  return f.get();
}

std::unique_ptr<DnsClient> ClientFor(const std::string& server) {
  auto dns = CreateDnsClient(DnsClientOptions{server, std::chrono::milliseconds(500), 2});
  REQUIRE(dns);
  return std::move(*dns);
}

const std::vector<std::string> kZone = {
    "--txt-record=_dnslink.example.test,dnslink=/ipfs/bafkqaaa",
    "--txt-record=_dnslink.two.test,dnslink=/ipfs/bafkqaaa",
    "--txt-record=_dnslink.two.test,dnslink=/ipns/example.test",
    "--txt-record=_dnslink.split.test,dnslink=/ipfs/,bafkqaaa",
    "--txt-record=_dnslink.long.test," + std::string(300, 'x'),
    "--cname=_dnslink.alias.test,_dnslink.example.test",
    "--cname=_dnslink.alias2.test,_dnslink.alias.test",
    "--cname=_dnslink.dangling.test,_dnslink.nothing.test",
};

TEST_CASE("c-ares client: TXT records from a real server") {
  testing::Dnsmasq server(kZone);
  REQUIRE(server.ok());
  auto dns = ClientFor(server.address());

  auto a = Lookup(*dns, "_dnslink.example.test");
  REQUIRE(a);
  CHECK(a->records == std::vector<std::string>{"dnslink=/ipfs/bafkqaaa"});
  CHECK(a->cnames.empty());
  CHECK(a->ttl == std::chrono::seconds(60));

  auto two = Lookup(*dns, "_dnslink.two.test.");
  REQUIRE(two);
  std::vector<std::string> records = two->records;
  std::sort(records.begin(), records.end());
  CHECK(records == std::vector<std::string>{"dnslink=/ipfs/bafkqaaa", "dnslink=/ipns/example.test"});

  auto split = Lookup(*dns, "_dnslink.split.test");
  REQUIRE(split);
  CHECK(split->records == std::vector<std::string>{"dnslink=/ipfs/bafkqaaa"});

  // dnsmasq splits a value over 255 bytes into strings of one record.
  auto long_value = Lookup(*dns, "_dnslink.long.test");
  REQUIRE(long_value);
  CHECK(long_value->records == std::vector<std::string>{std::string(300, 'x')});
}

TEST_CASE("c-ares client: CNAME chains are reported and followed") {
  testing::Dnsmasq server(kZone);
  REQUIRE(server.ok());
  auto dns = ClientFor(server.address());
  auto a = Lookup(*dns, "_dnslink.alias2.test");
  REQUIRE(a);
  CHECK(a->cnames == std::vector<std::string>{"_dnslink.alias.test", "_dnslink.example.test"});
  CHECK(a->records == std::vector<std::string>{"dnslink=/ipfs/bafkqaaa"});

  // dnsmasq answers an alias to a missing name with the alias alone: the
  // caller asks the target next (and gets NXDOMAIN).
  auto dangling = Lookup(*dns, "_dnslink.dangling.test");
  REQUIRE(dangling);
  CHECK(dangling->cnames == std::vector<std::string>{"_dnslink.nothing.test"});
  CHECK(dangling->records.empty());
}

TEST_CASE("c-ares client: NXDOMAIN is kNotFound, REFUSED kUnavailable") {
  testing::Dnsmasq server(kZone);
  REQUIRE(server.ok());
  auto dns = ClientFor(server.address());
  auto missing = Lookup(*dns, "_dnslink.missing.test");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == ErrorCode::kNotFound);
  CHECK(missing.error().message.find("_dnslink.missing.test") != std::string::npos);
  // Outside --local=/test/ and with no upstream, dnsmasq refuses.
  auto refused = Lookup(*dns, "_dnslink.example.org");
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == ErrorCode::kUnavailable);
}

TEST_CASE("c-ares client: an unreachable server is kUnavailable, a silent one kTimeout") {
  // A bound UDP socket that never answers; nothing listens on TCP there.
  int silent = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  REQUIRE(bind(silent, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  REQUIRE(getsockname(silent, reinterpret_cast<sockaddr*>(&a), &len) == 0);
  int port = ntohs(a.sin_port);

  auto dns = CreateDnsClient(DnsClientOptions{"127.0.0.1:" + std::to_string(port), std::chrono::milliseconds(100), 1});
  REQUIRE(dns);
  auto timed_out = Lookup(**dns, "_dnslink.example.test");
  REQUIRE_FALSE(timed_out);
  CHECK(timed_out.error().code == ErrorCode::kTimeout);

  close(silent);  // now the port is closed: ICMP port unreachable
  auto unreachable = Lookup(**dns, "_dnslink.example.test");
  REQUIRE_FALSE(unreachable);
  CHECK(unreachable.error().code == ErrorCode::kUnavailable);
}

TEST_CASE("c-ares client: destroying the client cancels lookups in flight") {
  int silent = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  REQUIRE(bind(silent, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  REQUIRE(getsockname(silent, reinterpret_cast<sockaddr*>(&a), &len) == 0);
  auto dns = CreateDnsClient(
      DnsClientOptions{"127.0.0.1:" + std::to_string(ntohs(a.sin_port)), std::chrono::milliseconds(60000), 1});
  REQUIRE(dns);
  std::promise<Result<TxtAnswer>> p;
  auto f = p.get_future();
  (*dns)->LookupTxt("_dnslink.example.test", [&p](Result<TxtAnswer> r) { p.set_value(std::move(r)); });
  dns->reset();
  REQUIRE(f.wait_for(std::chrono::seconds(0)) == std::future_status::ready);
  auto r = f.get();
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::kCancelled);
  close(silent);
}

TEST_CASE("c-ares client: a malformed server is refused at creation") {
  for (const char* bad : {"not an address", "127.0.0.1:1,127.0.0.2:2", "999.1.1.1"}) {
    auto dns = CreateDnsClient(DnsClientOptions{bad});
    REQUIRE_FALSE(dns);
    CHECK(dns.error().code == ErrorCode::kInvalidArgument);
  }
  CHECK(CreateDnsClient(DnsClientOptions{"[::1]:5353"}));
  CHECK(CreateDnsClient());  // resolv.conf
}

}  // namespace
}  // namespace ipfsfs::net
