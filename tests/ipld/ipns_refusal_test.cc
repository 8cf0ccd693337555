// Records refused for each reason of ipns.md §4, other key types, and the
// choice between valid records (§4.3). Records are signed here (ipns_test_keys.h).
#include <catch2/catch.hpp>

#include "ipld/dag_cbor.h"
#include "ipld/ipns_name.h"
#include "ipld/ipns_record.h"
#include "ipld/ipns_validation.h"
#include "tests/ipld/ipns_test_keys.h"

using namespace ipfsfs;
using namespace ipfsfs::ipld;
using ipfsfs::testing::SampleData;
using ipfsfs::testing::TestKey;

namespace {

Timestamp Now() { return *ParseRfc3339("2026-12-02T12:00:00Z"); }

const TestKey& Key() {
  static TestKey key = TestKey::Ed25519("1111111111111111111111111111111111111111111111111111111111111111");
  return key;
}

std::optional<IpnsRefusal> Verdict(ByteSpan raw, const Multihash& name) {
  auto r = ParseIpnsRecord(raw);
  REQUIRE(r);
  return CheckIpnsRecord(*r, name, Now()).refusal();
}

std::string ParseError(ByteSpan raw) {
  auto r = ParseIpnsRecord(raw);
  REQUIRE_FALSE(r);
  return r.error().message;
}

}  // namespace

TEST_CASE("Records made here with the vector A key reproduce vector A's data", "[ipns]") {
  Bytes raw = Key().MakeRecord(SampleData("2126-01-01T00:00:00.000000000Z"), true, false);
  auto r = ParseIpnsRecord(raw);
  REQUIRE(r);
  CHECK(FormatIpnsName(Key().name()) == "k51qzi5uqu5dldhbzu8n103rk9vogs98jlyiek9ab95nby355ejzh0marmmurb");
  CHECK(raw.size() == 397);  // Ed25519 is deterministic: the same bytes as the js reference
  CHECK(Verdict(raw, Key().name()) == std::nullopt);
}

TEST_CASE("Parse refusals: size, protobuf, data, CBOR", "[ipns]") {
  Bytes good = Key().MakeRecord(SampleData(), true, false);

  IpnsEntry padded = *IpnsEntry::Decode(good);
  padded.pub_key = Bytes(kMaxIpnsRecordSize, std::byte{1});
  auto too_large = ParseIpnsRecord(padded.Encode());
  REQUIRE_FALSE(too_large);
  CHECK(too_large.error().code == ErrorCode::kTooLarge);
  CHECK(too_large.error().message.starts_with("record too large: 10"));

  for (size_t cut : {size_t{1}, size_t{10}, good.size() - 1}) {
    INFO("truncated to " << cut);
    CHECK(ParseError(ByteSpan(good).first(cut)).starts_with("malformed protobuf: "));
  }
  // Field 9 with the varint wire type.
  CHECK(ParseError(*FromHex("4801")).starts_with("malformed protobuf: field 9 has wire type 0"));
  // A group wire type.
  CHECK(ParseError(*FromHex("4b")).starts_with("malformed protobuf"));

  IpnsEntry no_data = *IpnsEntry::Decode(good);
  no_data.data.reset();
  CHECK(ParseError(no_data.Encode()) == "data missing: field 9 absent or empty");
  no_data.data = Bytes();
  CHECK(ParseError(no_data.Encode()).starts_with("data missing"));
  CHECK(ParseError(Bytes()).starts_with("data missing"));

  auto with_data = [&](std::string_view hex) {
    IpnsEntry e = *IpnsEntry::Decode(good);
    e.data = *FromHex(hex);
    return ParseError(e.Encode());
  };
  CHECK(with_data("a1").starts_with("malformed cbor data: dag-cbor: truncated"));
  CHECK(with_data("80") == "malformed cbor data: data is a array, not a map");
  CHECK(with_data("bf").starts_with("malformed cbor data: dag-cbor: indefinite length"));
  CHECK(with_data("a16556616c75656161").starts_with("malformed cbor data: Value is a text string"));
  CHECK(with_data("a16853657175656e63656161").starts_with("malformed cbor data: Sequence is a text string"));
  CHECK(with_data("a16354544cf5").starts_with("malformed cbor data: TTL is a boolean"));
  CHECK(with_data("a16853657175656e63651bffffffffffffffff").starts_with(
      "malformed cbor data: Sequence does not fit"));
  CHECK(with_data("a2614101614102").starts_with("malformed cbor data: dag-cbor: duplicate map key"));
  CHECK(with_data("a1010a").starts_with("malformed cbor data: dag-cbor: map key is a unsigned integer"));
  CHECK(with_data("a0a0").starts_with("malformed cbor data: dag-cbor: trailing bytes"));
  // Unknown keys are allowed and kept by name.
  IpnsData extra = SampleData();
  DagCborValue map = extra.ToDagCbor();
  map.Add("_note", DagCborValue::TextString("hi"));
  auto d = IpnsData::Decode(EncodeDagCbor(map));
  REQUIRE(d);
  CHECK(d->other_keys == std::vector<std::string>{"_note"});
}

TEST_CASE("Validation refusals, each with its own reason", "[ipns]") {
  const Multihash name = Key().name();
  IpnsData data = SampleData();

  SECTION("signatureV2 missing") {
    IpnsEntry e = *IpnsEntry::Decode(Key().MakeRecord(data, false, false));
    e.signature_v2.reset();
    CHECK(Verdict(e.Encode(), name) == IpnsRefusal::kMissingSignature);
  }
  SECTION("bad signature: data changed after signing") {
    IpnsEntry e = *IpnsEntry::Decode(Key().MakeRecord(data, false, false));
    IpnsData other = data;
    other.sequence = 8;
    e.data = EncodeDagCbor(other.ToDagCbor());
    CHECK(Verdict(e.Encode(), name) == IpnsRefusal::kBadSignature);
  }
  SECTION("V1/V2 disagreement on each field") {
    IpnsEntry base = *IpnsEntry::Decode(Key().MakeRecord(data, true, false));
    auto mismatch = [&](auto change) {
      IpnsEntry e = base;
      change(e);
      auto r = ParseIpnsRecord(e.Encode());
      REQUIRE(r);
      return CheckIpnsRecord(*r, name, Now());
    };
    CHECK(mismatch([](IpnsEntry& e) { e.sequence = 8; }).refusal() == IpnsRefusal::kV1V2Mismatch);
    CHECK(mismatch([](IpnsEntry& e) { e.ttl.reset(); }).refusal() == IpnsRefusal::kV1V2Mismatch);
    CHECK(mismatch([](IpnsEntry& e) { e.validity_type = 1; }).refusal() == IpnsRefusal::kV1V2Mismatch);
    CHECK(mismatch([](IpnsEntry& e) { e.validity = ToBytes("2127-01-01T00:00:00Z"); }).refusal() ==
          IpnsRefusal::kV1V2Mismatch);
    // value alone (no signatureV1) still switches the comparison on, as in boxo.
    CHECK(mismatch([](IpnsEntry& e) {
            e.signature_v1.reset();
            e.value = ToBytes("/ipfs/bafkqaaa");
          }).refusal() == IpnsRefusal::kV1V2Mismatch);
    // Absent protobuf fields count as zero: only the V1 signature present.
    auto v = mismatch([](IpnsEntry& e) {
      e.value.reset();
      e.sequence.reset();
    });
    CHECK(v.ToStatus().error().message == "V1 field disagrees with the signed data: protobuf value differs from the data");
  }
  SECTION("validity type, validity text, negative TTL") {
    IpnsData d = data;
    d.validity_type = 1;
    CHECK(Verdict(Key().MakeRecord(d, false, false), name) == IpnsRefusal::kUnknownValidityType);
    d = data;
    d.validity_type.reset();
    CHECK(Verdict(Key().MakeRecord(d, false, false), name) == IpnsRefusal::kUnknownValidityType);
    d = data;
    d.validity = ToBytes("2126-01-01 00:00:00Z");
    CHECK(Verdict(Key().MakeRecord(d, false, false), name) == IpnsRefusal::kBadValidity);
    d.validity.reset();
    CHECK(Verdict(Key().MakeRecord(d, false, false), name) == IpnsRefusal::kBadValidity);
    d = data;
    d.ttl = -1;
    CHECK(Verdict(Key().MakeRecord(d, false, false), name) == IpnsRefusal::kNegativeTtl);
    d.ttl.reset();  // a V2-only record without TTL passes
    CHECK(Verdict(Key().MakeRecord(d, false, false), name) == std::nullopt);
    d = data;
    d.validity = ToBytes("2126-01-01T01:00:00+01:00");  // a zone offset is fine
    CHECK(Verdict(Key().MakeRecord(d, false, false), name) == std::nullopt);
  }
  SECTION("keys: mismatch, unsupported type, invalid bytes") {
    TestKey other = TestKey::Ed25519("2222222222222222222222222222222222222222222222222222222222222222");
    CHECK(Verdict(other.MakeRecord(data, false, true), name) == IpnsRefusal::kKeyMismatch);
    CHECK(Verdict(other.MakeRecord(data, false, false), name) == IpnsRefusal::kBadSignature);
    IpnsEntry e = *IpnsEntry::Decode(Key().MakeRecord(data, false, false));
    e.pub_key = *FromHex("0809120100");
    CHECK(Verdict(e.Encode(), name) == IpnsRefusal::kUnsupportedKeyType);
    e.pub_key = *FromHex("08011201ff");
    PublicKey short_key{KeyType::kEd25519, *FromHex("ff")};
    CHECK(Verdict(e.Encode(), short_key.PeerId()) == IpnsRefusal::kInvalidPublicKey);
    e.pub_key = *FromHex("0801");
    CHECK(Verdict(e.Encode(), name) == IpnsRefusal::kInvalidPublicKey);
  }
}

TEST_CASE("Other key types: secp256k1, ECDSA P-256, RSA 2048; RSA 1024 is refused", "[ipns]") {
  for (const char* curve : {"secp256k1", "P-256"}) {
    INFO(curve);
    TestKey key = TestKey::Ec(curve);
    bool secp = std::string_view(curve) == "secp256k1";
    CHECK(key.public_key().Encode().size() == (secp ? 37u : 95u));
    CHECK(key.name().is_identity() == secp);
    CHECK(FormatIpnsName(key.name()).starts_with(secp ? "kzwfwjn5ji4" : "k2k4r8"));
    CHECK(FormatPeerIdBase58(key.name()).starts_with(secp ? "16Uiu2HA" : "Qm"));
    // secp256k1 keys are inlined in the name; ECDSA keys travel in pubKey.
    CHECK(Verdict(key.MakeRecord(SampleData(), true, !secp), key.name()) == std::nullopt);
    CHECK(Verdict(key.MakeRecord(SampleData(), true, true), key.name()) == std::nullopt);
    IpnsEntry e = *IpnsEntry::Decode(key.MakeRecord(SampleData(), false, true));
    e.signature_v2 = key.Sign(AsBytes("something else"));
    CHECK(Verdict(e.Encode(), key.name()) == IpnsRefusal::kBadSignature);
  }
  TestKey rsa = TestKey::Rsa(2048);
  CHECK(Verdict(rsa.MakeRecord(SampleData(), false, true), rsa.name()) == std::nullopt);
  TestKey weak = TestKey::Rsa(1024);
  auto v = ParseIpnsRecord(weak.MakeRecord(SampleData(), false, true));
  REQUIRE(v);
  IpnsVerdict verdict = CheckIpnsRecord(*v, weak.name(), Now());
  CHECK(verdict.refusal() == IpnsRefusal::kInvalidPublicKey);
  CHECK(verdict.ToStatus().error().message.find("1024 bits") != std::string::npos);
}

TEST_CASE("Choosing between valid records: V2, sequence, validity, bytes", "[ipns]") {
  auto record = [](int64_t seq, std::string_view validity, bool v1) {
    IpnsData d = SampleData(validity);
    d.sequence = seq;
    return *ParseIpnsRecord(Key().MakeRecord(d, v1, false));
  };
  IpnsRecord low = record(7, "2126-01-01T00:00:00Z", true);
  IpnsRecord high = record(8, "2125-01-01T00:00:00Z", true);
  IpnsRecord later = record(7, "2126-01-01T00:00:00.5Z", true);
  CHECK(CompareIpnsRecords(high, low) > 0);
  CHECK(CompareIpnsRecords(low, high) < 0);
  CHECK(CompareIpnsRecords(later, low) > 0);
  CHECK(CompareIpnsRecords(low, low) == 0);
  IpnsRecord v2_only = record(7, "2126-01-01T00:00:00Z", false);
  CHECK(CompareIpnsRecords(low, v2_only) != 0);  // same data: the raw bytes decide
  IpnsRecord no_v2 = high;
  no_v2.entry.signature_v2.reset();
  CHECK(CompareIpnsRecords(low, no_v2) > 0);
}
