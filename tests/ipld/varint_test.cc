#include "ipld/varint.h"

#include <catch2/catch.hpp>

#include "tests/support/hex.h"

using namespace ipfsfs;
using namespace ipfsfs::ipld;

namespace {
using testing::Hex;
}  // namespace

TEST_CASE("varint encodes the multiformats examples", "[varint]") {
  // multiformats/unsigned-varint README examples.
  const std::pair<uint64_t, const char*> cases[] = {
      {1, "01"}, {127, "7f"}, {128, "8001"}, {255, "ff01"}, {300, "ac02"}, {16384, "808001"}, {0, "00"}};
  for (auto [value, hex] : cases) {
    Bytes out;
    AppendVarint(out, value);
    CHECK(ToHex(out) == hex);
    CHECK(VarintLength(value) == out.size());
    ByteSpan in(out);
    auto back = ReadVarint(in);
    REQUIRE(back);
    CHECK(*back == value);
    CHECK(in.empty());
  }
}

TEST_CASE("varint round-trips up to 63 bits and leaves the rest of the input", "[varint]") {
  for (uint64_t v : {uint64_t{0x7f}, uint64_t{1} << 20, uint64_t{1} << 35, (uint64_t{1} << 63) - 1}) {
    Bytes out;
    AppendVarint(out, v);
    out.push_back(std::byte{0xAA});
    ByteSpan in(out);
    auto back = ReadVarint(in);
    REQUIRE(back);
    CHECK(*back == v);
    REQUIRE(in.size() == 1);
    CHECK(in[0] == std::byte{0xAA});
  }
  Bytes max = Hex("ffffffffffffffff7f");
  ByteSpan in(max);
  CHECK(ReadVarint(in).value_or(0) == (uint64_t{1} << 63) - 1);
}

TEST_CASE("varint rejects bad forms with named errors", "[varint]") {
  struct Case {
    const char* hex;
    const char* why;
  };
  // multiformats/go-varint varint_test.go byte cases.
  const Case cases[] = {
      {"8100", "not minimally encoded"},
      {"ffffffffffffffff80", "truncated"},
      {"ffffffffffffffff8001", "longer than 9 bytes"},
      {"8181", "truncated"},
      {"", "empty input"},
  };
  for (const auto& c : cases) {
    Bytes b = Hex(c.hex);
    ByteSpan in(b);
    auto r = ReadVarint(in);
    INFO(c.hex);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::kCorrupt);
    CHECK_THAT(r.error().message, Catch::Contains(c.why));
    CHECK(in.size() == b.size());  // untouched on error
  }
}

TEST_CASE("protobuf varints accept ten bytes and non-minimal forms", "[varint]") {
  Bytes b = Hex("8100");
  ByteSpan in(b);
  CHECK(ReadProtobufVarint(in).value_or(99) == 1);
  Bytes ten = Hex("ffffffffffffffffff01");
  ByteSpan in2(ten);
  CHECK(ReadProtobufVarint(in2).value_or(0) == UINT64_MAX);
  Bytes over = Hex("ffffffffffffffffff02");
  ByteSpan in3(over);
  CHECK_FALSE(ReadProtobufVarint(in3));
}
