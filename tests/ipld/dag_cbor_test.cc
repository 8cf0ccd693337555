#include "ipld/dag_cbor.h"

#include <catch2/catch.hpp>

using namespace ipfsfs;
using namespace ipfsfs::ipld;

namespace {
std::string Reencode(std::string_view hex) {
  auto v = DecodeDagCbor(*FromHex(hex));
  REQUIRE(v);
  return ToHex(EncodeDagCbor(*v));
}
std::string Refusal(std::string_view hex) {
  auto v = DecodeDagCbor(*FromHex(hex));
  REQUIRE_FALSE(v);
  CHECK(v.error().code == ErrorCode::kCorrupt);
  return v.error().message;
}
}  // namespace

TEST_CASE("DAG-CBOR round trips of every kind", "[dag_cbor]") {
  for (const char* hex : {"00", "17", "1818", "190100", "1a00010000", "1b0000000100000000", "20", "3863",
                          "40", "4401020304", "60", "6161", "80", "83010203", "a0", "a161610a", "f4", "f5", "f6",
                          "fb3ff8000000000000", "d82a450001550000", "a2616101626262a0", "8180"}) {
    INFO(hex);
    CHECK(Reencode(hex) == hex);
  }
  auto link = DecodeDagCbor(*FromHex("d82a450001550000"));
  CHECK(link->kind == DagCborValue::Kind::kLink);
  CHECK(link->link.ToString() == "bafkqaaa");
  CHECK(DagCborValue::Int(-100).uint == 99);
  CHECK(ToHex(EncodeDagCbor(DagCborValue::Int(INT64_MIN))) == "3b7fffffffffffffff");
}

TEST_CASE("DAG-CBOR writer sorts keys by length, then bytes", "[dag_cbor]") {
  DagCborValue m = DagCborValue::Map();
  m.Add("ValidityType", DagCborValue::Uint(0)).Add("Value", DagCborValue::Uint(1)).Add("TTL", DagCborValue::Uint(2));
  m.Add("Validity", DagCborValue::Uint(3)).Add("Sequence", DagCborValue::Uint(4));
  CHECK(ToHex(EncodeDagCbor(m)) ==
        "a5" "6354544c02" "6556616c756501" "6853657175656e636504" "6856616c696469747903" "6c56616c69646974795479706500");
  // Unsorted input is read (the signature covers the bytes) and written sorted.
  CHECK(Reencode("a262626201616102") == "a261610262626201");
}

TEST_CASE("DAG-CBOR refusals", "[dag_cbor]") {
  CHECK(Refusal("").find("truncated") != std::string::npos);
  CHECK(Refusal("1817").find("shortest form") != std::string::npos);
  CHECK(Refusal("190017").find("shortest form") != std::string::npos);
  CHECK(Refusal("5f").find("indefinite") != std::string::npos);
  CHECK(Refusal("9f").find("indefinite") != std::string::npos);
  CHECK(Refusal("1c").find("reserved") != std::string::npos);
  CHECK(Refusal("f7").find("undefined") != std::string::npos);
  CHECK(Refusal("f93c00").find("64-bit") != std::string::npos);
  CHECK(Refusal("fb7ff8000000000000").find("NaN") != std::string::npos);
  CHECK(Refusal("c100").find("tag 1") != std::string::npos);
  CHECK(Refusal("d82a4401550000").find("tag 42") != std::string::npos);
  CHECK(Refusal("d82a00").find("tag 42") != std::string::npos);
  CHECK(Refusal("4501").find("truncated") != std::string::npos);
  CHECK(Refusal("9bffffffffffffffff").find("truncated") != std::string::npos);
  CHECK(Refusal("a1616101616102").find("trailing") != std::string::npos);
  std::string deep;
  for (int i = 0; i <= kMaxDagCborDepth + 1; ++i) deep += "81";
  CHECK(Refusal(deep + "80").find("nesting") != std::string::npos);
}
