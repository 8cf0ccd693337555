// ipld/ipns_record_maker.h: the §9 vectors re-signed give the same bytes
// (Ed25519 and RSA PKCS#1 v1.5 are deterministic), and made records validate.
#include <fstream>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>

#include "ipld/ipns_name.h"
#include "ipld/ipns_record.h"
#include "ipld/ipns_record_maker.h"
#include "ipld/ipns_validation.h"

using namespace ipfsfs;
using namespace ipfsfs::ipld;

namespace {

Bytes HexFile(const std::string& file) {
  std::ifstream in(std::string(IPFSFS_TESTDATA_DIR) + "/ipns/" + file);
  std::stringstream text;
  text << in.rdbuf();
  std::string hex = text.str();
  while (!hex.empty() && (hex.back() == '\n' || hex.back() == ' ')) hex.pop_back();
  auto bytes = FromHex(hex);
  REQUIRE(bytes);
  return *bytes;
}

PrivateKey Ed25519Seed(char digit) {
  auto key = PrivateKey::FromEd25519Seed(*FromHex(std::string(64, digit)));
  REQUIRE(key);
  return *key;
}

Timestamp Now() { return *ParseRfc3339("2026-12-02T12:00:00Z"); }

constexpr std::string_view kValue = "/ipfs/bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354";
constexpr uint64_t kHour = 3600000000000;

}  // namespace

TEST_CASE("IPNS record maker: vectors A, B, E, F re-signed give the same bytes", "[ipns][keys]") {
  IpnsRecordFields fields{std::string(kValue), "2126-01-01T00:00:00.000000000Z", 7, kHour, true};
  SECTION("A: V1+V2, Ed25519") {
    auto made = SignIpnsRecord(Ed25519Seed('1'), fields);
    REQUIRE(made);
    CHECK(ToHex(*made) == ToHex(HexFile("vector-a.hex")));
  }
  SECTION("B: V2 only") {
    fields.v1_compatible = false;
    auto made = SignIpnsRecord(Ed25519Seed('2'), fields);
    REQUIRE(made);
    CHECK(ToHex(*made) == ToHex(HexFile("vector-b.hex")));
  }
  SECTION("E: RSA with the public key embedded") {
    auto key = PrivateKey::Decode(HexFile("key-e.hex"));
    REQUIRE(key);
    auto made = SignIpnsRecord(*key, fields);
    REQUIRE(made);
    CHECK(ToHex(*made) == ToHex(HexFile("vector-e.hex")));
  }
  SECTION("F: V2 only, Validity without a fraction") {
    fields.v1_compatible = false;
    fields.validity = "2126-01-01T00:00:00Z";
    auto made = SignIpnsRecord(Ed25519Seed('5'), fields);
    REQUIRE(made);
    CHECK(ToHex(*made) == ToHex(HexFile("vector-f.hex")));
  }
}

TEST_CASE("IPNS record maker: MakeIpnsRecord writes boxo's form and validates", "[ipns][keys]") {
  for (KeyType type : {KeyType::kEd25519, KeyType::kRsa}) {
    auto key = PrivateKey::Generate(type);
    REQUIRE(key);
    Timestamp eol{Now().seconds + 48 * 3600, 694052000};
    auto made = MakeIpnsRecord(*key, "/ipfs/bafkqaaa/sub", 42, eol, std::chrono::minutes(5));
    REQUIRE(made);
    auto record = VerifyIpnsRecord(*made, key->Public().PeerId(), Now());
    REQUIRE(record);
    CHECK(record->SignatureType() == "V1+V2");
    CHECK(*record->data.sequence == 42);
    CHECK(*record->data.ttl == 300000000000);
    CHECK(AsText(*record->data.value) == "/ipfs/bafkqaaa/sub");
    CHECK(AsText(*record->data.validity) == FormatRfc3339Nano(eol));
    CHECK(AsText(*record->data.validity).find(".694052Z") != std::string_view::npos);
    CHECK(record->entry.pub_key.has_value() == (type == KeyType::kRsa));
    CHECK(*record->entry.sequence == 42);
    CHECK(*record->entry.ttl == 300000000000);
    // Past its EOL it is refused, as any record.
    CHECK(!ValidateIpnsRecord(*record, key->Public().PeerId(), Timestamp{eol.seconds + 1, 0}));
  }
}

TEST_CASE("IPNS record maker: refusals", "[ipns][keys]") {
  PrivateKey key = Ed25519Seed('1');
  IpnsRecordFields fields{std::string(kValue), "tomorrow", 0, 0, true};
  CHECK(SignIpnsRecord(key, fields).error().code == ErrorCode::kInvalidArgument);
  fields.validity = "2126-01-01T00:00:00Z";
  fields.sequence = uint64_t{1} << 63;
  CHECK(SignIpnsRecord(key, fields).error().code == ErrorCode::kInvalidArgument);
  fields.sequence = 0;
  fields.value = "/ipfs/" + std::string(6000, 'a');
  CHECK(SignIpnsRecord(key, fields).error().code == ErrorCode::kInvalidArgument);
  CHECK(MakeIpnsRecord(key, kValue, 0, Now(), std::chrono::nanoseconds(-1)).error().code ==
        ErrorCode::kInvalidArgument);
}
