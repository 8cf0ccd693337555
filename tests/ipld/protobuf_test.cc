// Tests for ipld/protobuf.h: the wire format as protobuf's encoding guide
// (protobuf.dev/programming-guides/encoding) spells it out.
#include "ipld/protobuf.h"

#include <random>

#include <catch2/catch.hpp>

#include "tests/support/hex.h"

namespace ipfsfs::ipld {
namespace {

using testing::Hex;

TEST_CASE("ProtoReader reads every wire type", "[protobuf]") {
  // Encoding guide examples: field 1 = 150 is 08 96 01; field 2 = "testing" is 12 07 74657374696e67.
  Bytes msg = Hex("089601 120774657374696e67 1d01020304 21 0102030405060708 f80101 a09c0180808080808080808001");
  ProtoReader r(msg);
  auto f1 = r.Next();
  REQUIRE(f1);
  CHECK(f1->number == 1);
  CHECK(f1->type == WireType::kVarint);
  CHECK(f1->varint == 150);
  auto f2 = r.Next();
  REQUIRE(f2);
  CHECK(f2->number == 2);
  CHECK(f2->type == WireType::kLengthDelimited);
  CHECK(AsText(f2->bytes) == "testing");
  CHECK(f2->bytes.data() == msg.data() + 5);  // a view, not a copy
  auto f3 = r.Next();
  REQUIRE(f3);
  CHECK(f3->number == 3);
  CHECK(f3->type == WireType::kFixed32);
  CHECK(f3->varint == 0x04030201u);
  auto f4 = r.Next();
  REQUIRE(f4);
  CHECK(f4->number == 4);
  CHECK(f4->type == WireType::kFixed64);
  CHECK(f4->varint == 0x0807060504030201ull);
  auto f31 = r.Next();  // tag f8 01 = field 31, varint
  REQUIRE(f31);
  CHECK(f31->number == 31);
  CHECK(f31->varint == 1);
  auto big = r.Next();  // tag a0 9c 01 = field 2500, varint 2^63
  REQUIRE(big);
  CHECK(big->number == 2500);
  CHECK(big->varint == uint64_t{1} << 63);
  CHECK(r.done());
}

TEST_CASE("ProtoReader accepts the largest field number and empty payloads", "[protobuf]") {
  // Field 2^29 - 1, wire type 2, empty: tag varint f8 ff ff ff 0f... computed as (2^29-1)<<3|2.
  Bytes msg = Hex("faffffff0f00");
  ProtoReader r(msg);
  auto f = r.Next();
  REQUIRE(f);
  CHECK(f->number == (1u << 29) - 1);
  CHECK(f->bytes.empty());
  CHECK(r.done());
  ProtoReader empty({});
  CHECK(empty.done());
}

TEST_CASE("ProtoReader rejects malformed fields", "[protobuf]") {
  struct Row {
    const char* what;
    const char* hex;
    const char* message;
  };
  const Row rows[] = {
      {"field number 0", "0001", "field number 0"},
      {"field number 2^29", "8280808010 00", "too large"},
      {"start group", "0b", "wire type 3"},
      {"end group", "0c", "wire type 4"},
      {"wire type 6", "0e", "wire type 6"},
      {"wire type 7", "0f", "wire type 7"},
      {"truncated tag", "80", "tag"},
      {"truncated varint", "08ff", "varint"},
      {"truncated fixed32", "0d010203", "fixed32"},
      {"truncated fixed64", "0901020304050607", "fixed64"},
      {"length past the end", "0a03ab", "past the end"},
      {"huge length", "0affffffffffffffffff01", "past the end"},
      {"truncated length", "0a", "length"},
  };
  for (const Row& row : rows) {
    INFO(row.what);
    Bytes msg = Hex(row.hex);
    ProtoReader r(msg);
    auto f = r.Next();
    REQUIRE_FALSE(f);
    CHECK(f.error().code == ErrorCode::kCorrupt);
    CHECK_THAT(f.error().message, Catch::StartsWith("protobuf: ") && Catch::Contains(row.message));
  }
}

TEST_CASE("ProtoWriter writes the exact bytes", "[protobuf]") {
  ProtoWriter w;
  w.Varint(1, 150);
  w.LengthDelimited(2, AsBytes("testing"));
  w.Fixed32(3, 0x04030201u);
  w.Fixed64(4, 0x0807060504030201ull);
  w.Varint(31, 1);
  w.Varint(2500, uint64_t{1} << 63);
  w.LengthDelimited(5, {});
  w.Varint(6, ~uint64_t{0});
  CHECK(ToHex(w.bytes()) ==
        "089601" "120774657374696e67" "1d01020304" "210102030405060708" "f80101" "a09c0180808080808080808001" "2a00"
        "30ffffffffffffffffff01");
  Bytes taken = w.Take();
  CHECK(taken.size() == 55);
}

TEST_CASE("ProtoWriter and ProtoReader agree on random messages", "[protobuf]") {
  std::mt19937_64 rng(99);
  for (int round = 0; round < 500; ++round) {
    ProtoWriter w;
    std::vector<ProtoField> want;
    std::vector<Bytes> payloads;
    payloads.reserve(64);
    int n = static_cast<int>(rng() % 30);
    for (int i = 0; i < n; ++i) {
      ProtoField f;
      f.number = static_cast<uint32_t>(1 + rng() % ((1u << 29) - 1));
      if (rng() % 2) f.number = static_cast<uint32_t>(1 + rng() % 20);
      switch (rng() % 4) {
        case 0:
          f.type = WireType::kVarint;
          f.varint = rng() >> (rng() % 64);
          w.Varint(f.number, f.varint);
          break;
        case 1:
          f.type = WireType::kFixed32;
          f.varint = static_cast<uint32_t>(rng());
          w.Fixed32(f.number, static_cast<uint32_t>(f.varint));
          break;
        case 2:
          f.type = WireType::kFixed64;
          f.varint = rng();
          w.Fixed64(f.number, f.varint);
          break;
        default: {
          f.type = WireType::kLengthDelimited;
          Bytes p(rng() % 200);
          for (auto& b : p) b = static_cast<std::byte>(rng());
          w.LengthDelimited(f.number, p);
          payloads.push_back(std::move(p));
          f.bytes = payloads.back();
        }
      }
      want.push_back(f);
    }
    Bytes msg = w.Take();
    ProtoReader r(msg);
    for (const ProtoField& f : want) {
      auto got = r.Next();
      REQUIRE(got);
      REQUIRE(got->number == f.number);
      REQUIRE(got->type == f.type);
      if (f.type == WireType::kLengthDelimited) {
        REQUIRE(Bytes(got->bytes.begin(), got->bytes.end()) == Bytes(f.bytes.begin(), f.bytes.end()));
      } else {
        REQUIRE(got->varint == f.varint);
      }
    }
    REQUIRE(r.done());
  }
}

}  // namespace
}  // namespace ipfsfs::ipld
