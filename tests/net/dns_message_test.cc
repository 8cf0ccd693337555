#include "net/internal/dns_message.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace ipfsfs::net::internal {
namespace {

// Builds DNS responses byte by byte (RFC 1035 §4.1).
class Reply {
 public:
  Reply(int rcode, int answers, std::string_view qname) {
    Put16(0x1234);
    Put16(0x8180 | rcode);  // response, RD, RA
    Put16(1);
    Put16(static_cast<uint16_t>(answers));
    Put16(0);
    Put16(0);
    Name(qname);
    Put16(kDnsTypeTxt);
    Put16(kDnsClassIn);
  }
  void Name(std::string_view name) {
    while (!name.empty()) {
      size_t dot = name.find('.');
      std::string_view label = name.substr(0, dot);
      bytes.push_back(std::byte(label.size()));
      Append(bytes, AsBytes(label));
      name = dot == std::string_view::npos ? "" : name.substr(dot + 1);
    }
    bytes.push_back(std::byte{0});
  }
  void Pointer(uint16_t at) { Put16(0xC000 | at); }
  void Head(uint16_t type, uint32_t ttl, uint16_t rdlength) {
    Put16(type);
    Put16(kDnsClassIn);
    Put16(static_cast<uint16_t>(ttl >> 16));
    Put16(static_cast<uint16_t>(ttl));
    Put16(rdlength);
  }
  // A TXT record owned by the question name (pointer to offset 12).
  void Txt(const std::vector<std::string>& strings, uint32_t ttl, uint16_t owner = 12) {
    uint16_t len = 0;
    for (const auto& s : strings) len += static_cast<uint16_t>(1 + s.size());
    Pointer(owner);
    Head(kDnsTypeTxt, ttl, len);
    for (const auto& s : strings) {
      bytes.push_back(std::byte(s.size()));
      Append(bytes, AsBytes(s));
    }
  }
  void Put16(uint16_t v) {
    bytes.push_back(std::byte(v >> 8));
    bytes.push_back(std::byte(v & 0xFF));
  }
  Bytes bytes;
};

TEST_CASE("a TXT query is encoded as RFC 1035 says") {
  auto q = EncodeTxtQuery("_dnslink.Example.test.", 0xABCD);
  REQUIRE(q);
  std::string hex = ToHex(*q);
  CHECK(hex ==
        "abcd01000001000000000000"                  // id, RD, one question
        "085f646e736c696e6b074578616d706c65047465737400"  // _dnslink.Example.test
        "00100001");                                // TXT, IN
  CHECK_FALSE(EncodeTxtQuery("a..b", 1));
  CHECK_FALSE(EncodeTxtQuery(std::string(64, 'a') + ".test", 1));
  CHECK_FALSE(EncodeTxtQuery(std::string(200, 'a') + "." + std::string(60, 'b'), 1));
  CHECK(EncodeTxtQuery(std::string(63, 'a') + ".test", 1));
}

TEST_CASE("TXT answers: the strings of one record are joined, records kept apart, smallest TTL") {
  Reply r(kDnsRcodeNoError, 2, "_dnslink.a.test");
  r.Txt({"dnslink=/ipfs/", "bafkqaaa"}, 300);
  r.Txt({"other"}, 60);
  auto a = ParseTxtResponse(r.bytes, "_dnslink.A.test.");
  REQUIRE(a);
  CHECK(a->records == std::vector<std::string>{"dnslink=/ipfs/bafkqaaa", "other"});
  CHECK(a->cnames.empty());
  CHECK(a->ttl == std::chrono::seconds(60));
}

TEST_CASE("CNAMEs are followed inside the answer, with their TTLs") {
  Reply r(kDnsRcodeNoError, 2, "_dnslink.alias.test");
  // CNAME _dnslink.alias.test → t.test (written in full), then TXT at t.test.
  r.Pointer(12);
  r.Head(kDnsTypeCname, 30, 8);
  size_t target_at = r.bytes.size();
  r.Name("t.test");
  r.Txt({"dnslink=/ipfs/bafkqaaa"}, 120, static_cast<uint16_t>(target_at));
  auto a = ParseTxtResponse(r.bytes, "_dnslink.alias.test");
  REQUIRE(a);
  CHECK(a->cnames == std::vector<std::string>{"t.test"});
  CHECK(a->records == std::vector<std::string>{"dnslink=/ipfs/bafkqaaa"});
  CHECK(a->ttl == std::chrono::seconds(30));
}

TEST_CASE("an alias answered without its target's records gives the chain and no records") {
  Reply r(kDnsRcodeNoError, 1, "x.test");
  r.Pointer(12);
  r.Head(kDnsTypeCname, 30, 8);
  r.Name("y.test");
  auto a = ParseTxtResponse(r.bytes, "x.test");
  REQUIRE(a);
  CHECK(a->cnames == std::vector<std::string>{"y.test"});
  CHECK(a->records.empty());
}

TEST_CASE("a CNAME loop inside one answer is refused") {
  Reply r(kDnsRcodeNoError, 2, "x.test");
  r.Pointer(12);
  r.Head(kDnsTypeCname, 30, 8);
  size_t y_at = r.bytes.size();
  r.Name("y.test");
  r.Pointer(static_cast<uint16_t>(y_at));
  r.Head(kDnsTypeCname, 30, 2);
  r.Pointer(12);
  auto a = ParseTxtResponse(r.bytes, "x.test");
  REQUIRE_FALSE(a);
  CHECK(a.error().code == ErrorCode::kCorrupt);
}

TEST_CASE("rcodes and empty answers map to codes") {
  CHECK(ParseTxtResponse(Reply(kDnsRcodeNxDomain, 0, "x.test").bytes, "x.test").error().code == ErrorCode::kNotFound);
  CHECK(ParseTxtResponse(Reply(kDnsRcodeServFail, 0, "x.test").bytes, "x.test").error().code ==
        ErrorCode::kUnavailable);
  CHECK(ParseTxtResponse(Reply(5, 0, "x.test").bytes, "x.test").error().code == ErrorCode::kUnavailable);
  CHECK(ParseTxtResponse(Reply(kDnsRcodeNoError, 0, "x.test").bytes, "x.test").error().code == ErrorCode::kNotFound);
  // TXT records of another name only: no data for the one asked.
  Reply other(kDnsRcodeNoError, 1, "x.test");
  other.Txt({"v"}, 10, 12);
  CHECK(ParseTxtResponse(other.bytes, "z.test").error().code == ErrorCode::kNotFound);
}

TEST_CASE("malformed replies are kCorrupt, never a crash") {
  Reply good(kDnsRcodeNoError, 1, "x.test");
  good.Txt({"abc"}, 10);
  for (size_t cut = 0; cut < good.bytes.size(); ++cut) {
    Bytes part(good.bytes.begin(), good.bytes.begin() + cut);
    auto a = ParseTxtResponse(part, "x.test");
    REQUIRE_FALSE(a);
    CHECK(a.error().code == ErrorCode::kCorrupt);
  }
  // A character-string longer than its record.
  Bytes bad = good.bytes;
  bad[bad.size() - 4] = std::byte{9};
  CHECK(ParseTxtResponse(bad, "x.test").error().code == ErrorCode::kCorrupt);
  // A compression pointer to itself.
  Reply loop(kDnsRcodeNoError, 1, "x.test");
  size_t at = loop.bytes.size();
  loop.Pointer(static_cast<uint16_t>(at));
  loop.Head(kDnsTypeTxt, 1, 0);
  CHECK(ParseTxtResponse(loop.bytes, "x.test").error().code == ErrorCode::kCorrupt);
}

TEST_CASE("names compare without case and trailing dot") {
  CHECK(CanonicalDnsName("_DNSLink.Example.TEST.") == "_dnslink.example.test");
  CHECK(CanonicalDnsName("") == "");
}

}  // namespace
}  // namespace ipfsfs::net::internal
