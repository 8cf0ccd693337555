// The vectors of shared/specs/ipns.md §9, byte for byte, with their verdicts.
#include <fstream>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>

#include "ipld/dag_cbor.h"
#include "ipld/ipns_name.h"
#include "ipld/ipns_record.h"
#include "ipld/ipns_validation.h"

using namespace ipfsfs;
using namespace ipfsfs::ipld;

namespace {

Bytes Vector(char letter) {
  std::ifstream in(std::string(IPFSFS_TESTDATA_DIR) + "/ipns/vector-" + letter + ".hex");
  std::stringstream text;
  text << in.rdbuf();
  std::string hex = text.str();
  while (!hex.empty() && (hex.back() == '\n' || hex.back() == ' ')) hex.pop_back();
  auto bytes = FromHex(hex);
  REQUIRE(bytes);
  return *bytes;
}

Multihash Name(std::string_view text) {
  auto name = ParseIpnsName(text);
  REQUIRE(name);
  return *name;
}

Timestamp Now() { return *ParseRfc3339("2026-12-02T12:00:00Z"); }

constexpr std::string_view kValue = "/ipfs/bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354";
constexpr std::string_view kDataHex =
    "a56354544c1b0000034630b8a0006556616c756558412f697066732f62616679626569637a73736364736273376666717a35"
    "35617371646633736d76366b6c637733676f66737a76776c796172636934376267663335346853657175656e636507685661"
    "6c6964697479581e323132362d30312d30315430303a30303a30302e3030303030303030305a6c56616c6964697479547970"
    "6500";

struct NameForms {
  char vector;
  std::string_view key_protobuf;  // hex
  std::string_view base36, base58, base32;
};

// ipns.md §9: every key and name of vectors A–G.
constexpr NameForms kNames[] = {
    {'a', "08011220d04ab232742bb4ab3a1368bd4615e4e6d0224ab71a016baf8520a332c9778737",
     "k51qzi5uqu5dldhbzu8n103rk9vogs98jlyiek9ab95nby355ejzh0marmmurb",
     "12D3KooWPqT2nMDSiXUSx5D7fasaxhxKigVhcqfkKqrLghCq9jxz",
     "bafzaajaiaejcbuckwizhik5uvm5bg2f5iyk6jzwqejflogqbnoxykifdglexpbzx"},
    {'b', "08011220a09aa5f47a6759802ff955f8dc2d2a14a5c99d23be97f864127ff9383455a4f0",
     "k51qzi5uqu5dk6oycedgfkfc5baddy52j5yfwpfvaidtrsclhexckdhp2pxgxc",
     "12D3KooWLdJAwPtyQ5RFnr9wGXsQzpf3P2SeqFbYkqbfVehLu4Ns",
     "bafzaajaiaejcbie2ux2huz2zqax7svpy3qwsufffzgoshpux7bsbe77zha2fljhq"},
    {'c', "0801122017cb79fb2b4120f2b1ec65e4198d6e08b28e813feb01e4a400839b85e18080ce",
     "k51qzi5uqu5dgrxtmc7jbgf1z478idtyjq2eqvskbvxnkoj926mm97j730itam",
     "12D3KooWBRFW3HkJCLKSWb4yG6iWRBpgNjbM4FFvNsL5T5JKTqrd",
     "bafzaajaiaejcaf6lph5swqja6ky6yzpedggw4cfsr2at72yb4ssaba43qxqybago"},
    {'d', "08011220d759793bbc13a2819a827c76adb6fba8a49aee007f49f2d0992d99b825ad2c48",
     "k51qzi5uqu5dljtb2o521pg2pzyfhlh76vz9jad7xh5tvapxja30p4sbgm3dc8",
     "12D3KooWQJzxKtEUvbt9BZ1uJyAMw2WSEQSShp4my4c3iikhW8Cf",
     "bafzaajaiaejcbv2zpe53ye5cqgnie7dwvw3pxkfetlxaa72j6lijslmzxas22lci"},
    {'e', "", "k2k4r8pe594c9c2850rhqbzq2wieds1sf19fahv7je2w78ipj630amrx",
     "QmeUbCBmLrU5tuJsFJ6NLfzomXHCXKv5bD5YzhC5WyyvGL",
     "bafzbeihpyouxdpwjdcmjh7pxxtzkllbjkvuk7awjufkoh7eclyvz34m5zu"},
    {'f', "08011220c6822637c7d310ec57627be00ba259d253749f4aaf644470cffbe53a35f73242",
     "k51qzi5uqu5dl4pbdor7layd70c4d7ga0w7abi9ne801qrujw6mb5sihnhjygy",
     "12D3KooWPBFzpNemfrwjMSTSENKAC6cDHxE2RXojcMJRwMtitDms",
     "bafzaajaiaejcbrucey34puyq5rlwe67aborftustospuvl3eirym767fhi27omsc"},
    {'g', "0801122034b4d9043156cb6dcf0beb0a2949b7559c940d2bcb6dbe8c53a9b30278e3a746",
     "k51qzi5uqu5dhhvphvycqb01tzo2vv3egfryragxqtowyua81wzqp5jshanubq",
     "12D3KooWDN7K2vo9rDBdpWGjDwMsQJaWvSqJxKZKg5ywyS42P8aq",
     "bafzaajaiaejcanfu3ecdcvwlnxhqx2ykffe3ovm4sqgsxs3nx2gfhkntaj4ohj2g"},
};

}  // namespace

TEST_CASE("IPNS names of the §9 vectors: every form parses to one peer ID", "[ipns]") {
  for (const auto& n : kNames) {
    INFO("vector " << n.vector);
    Multihash from36 = Name(n.base36);
    CHECK(Name(n.base58) == from36);
    CHECK(Name(n.base32) == from36);
    CHECK(Name("/ipns/" + std::string(n.base36)) == from36);
    CHECK(FormatIpnsName(from36) == n.base36);
    CHECK(FormatPeerIdBase58(from36) == n.base58);
    CHECK(ToHex(IpnsRoutingKey(from36)).substr(0, 12) == "2f69706e732f");
    if (!n.key_protobuf.empty()) {
      CHECK(from36.is_identity());
      CHECK(ToHex(from36.digest()) == n.key_protobuf);
      auto key = PublicKey::FromPeerId(from36);
      REQUIRE(key);
      CHECK(key->type == KeyType::kEd25519);
      CHECK(ToHex(key->Encode()) == n.key_protobuf);
      CHECK(key->PeerId() == from36);
    }
  }
  CHECK(ToHex(Name(kNames[0].base36).Encode()) ==
        "002408011220d04ab232742bb4ab3a1368bd4615e4e6d0224ab71a016baf8520a332c9778737");
  CHECK(ToHex(IpnsRoutingKey(Name(kNames[0].base36))) ==
        "2f69706e732f002408011220d04ab232742bb4ab3a1368bd4615e4e6d0224ab71a016baf8520a332c9778737");
  CHECK(ToHex(Name(kNames[4].base36).Encode()) ==
        "1220efc3a971bec9189893fdf7bcf2a5ac295568af82c9a154e3fc825e2b9df19dcd");
}

TEST_CASE("Vector A: V1+V2 Ed25519 record decodes field by field and is valid", "[ipns]") {
  Bytes raw = Vector('a');
  REQUIRE(raw.size() == 397);
  auto r = ParseIpnsRecord(raw);
  REQUIRE(r);
  const IpnsEntry& e = r->entry;
  CHECK(AsText(*e.value) == kValue);
  CHECK(e.signature_v1->size() == 64);
  CHECK(ToHex(*e.signature_v1).substr(0, 16) == "e7d5c80c32617327");
  CHECK(e.validity_type == 0u);
  CHECK(AsText(*e.validity) == "2126-01-01T00:00:00.000000000Z");
  CHECK(e.sequence == 7u);
  CHECK(e.ttl == 3600000000000u);
  CHECK_FALSE(e.pub_key);
  CHECK(ToHex(*e.signature_v2).substr(0, 16) == "de98e5ad9f1a3781");
  CHECK(ToHex(*e.data) == kDataHex);
  CHECK(AsText(*r->data.value) == kValue);
  CHECK(AsText(*r->data.validity) == "2126-01-01T00:00:00.000000000Z");
  CHECK(r->data.validity_type == 0);
  CHECK(r->data.sequence == 7);
  CHECK(r->data.ttl == 3600000000000);
  CHECK(r->data.other_keys.empty());
  CHECK(r->HasV1Fields());
  CHECK(r->SignatureType() == "V1+V2");
  CHECK(r->raw == raw);
  // The data is canonical: re-encoding gives the signed bytes, and the whole
  // entry re-encodes to the record.
  CHECK(EncodeDagCbor(r->data.ToDagCbor()) == *e.data);
  CHECK(e.Encode() == raw);
  CHECK(IpnsSignatureV2Payload(*e.data).size() == 167);

  IpnsVerdict v = CheckIpnsRecord(*r, Name(kNames[0].base36), Now());
  CHECK(v.valid());
  CHECK(v.checks.size() == 7);
  for (const auto& c : v.checks) CHECK(c.passed());
  REQUIRE(v.key);
  CHECK(v.key->type == KeyType::kEd25519);
  CHECK(v.eol == *ParseRfc3339("2126-01-01T00:00:00Z"));
  CHECK(VerifyIpnsRecord(raw, Name(kNames[0].base58), Now()));
  // signatureV1 is never trusted, but it is what the spec says it is.
  auto key = PublicKey::FromPeerId(Name(kNames[0].base36));
  CHECK(key->Verify(IpnsSignatureV1Payload(*e.value, *e.validity), *e.signature_v1));
}

TEST_CASE("Vectors B and F: V2-only records are valid, with and without a fraction", "[ipns]") {
  for (auto [letter, index, size] : {std::tuple{'b', 1, 221}, std::tuple{'f', 5, 210}}) {
    INFO("vector " << letter);
    Bytes raw = Vector(letter);
    CHECK(raw.size() == static_cast<size_t>(size));
    auto r = ParseIpnsRecord(raw);
    REQUIRE(r);
    CHECK_FALSE(r->entry.value);
    CHECK_FALSE(r->entry.signature_v1);
    CHECK_FALSE(r->entry.validity_type);
    CHECK_FALSE(r->entry.sequence);
    CHECK(r->entry.signature_v2->size() == 64);
    CHECK_FALSE(r->HasV1Fields());
    CHECK(r->SignatureType() == "V2");
    CHECK(r->data.sequence == 7);
    CHECK(EncodeDagCbor(r->data.ToDagCbor()) == *r->entry.data);
    IpnsVerdict v = CheckIpnsRecord(*r, Name(kNames[index].base36), Now());
    CHECK(v.valid());
    CHECK(v.eol == *ParseRfc3339("2126-01-01T00:00:00Z"));
  }
  CHECK(AsText(*ParseIpnsRecord(Vector('f'))->data.validity) == "2126-01-01T00:00:00Z");
}

TEST_CASE("Vector C: expired", "[ipns]") {
  auto r = ParseIpnsRecord(Vector('c'));
  REQUIRE(r);
  IpnsVerdict v = CheckIpnsRecord(*r, Name(kNames[2].base36), Now());
  CHECK(v.refusal() == IpnsRefusal::kExpired);
  auto status = v.ToStatus();
  REQUIRE_FALSE(status);
  CHECK(status.error().code == ErrorCode::kCorrupt);
  CHECK(status.error().message.starts_with("expired: end of life 2020-01-01T00:00:00Z"));
  // Every other check passed, and the EOL instant itself is still valid.
  for (const auto& c : v.checks) CHECK((c.passed() || c.name == "validity"));
  CHECK(ValidateIpnsRecord(*r, Name(kNames[2].base36), *ParseRfc3339("2020-01-01T00:00:00Z")));
  CHECK_FALSE(ValidateIpnsRecord(*r, Name(kNames[2].base36), *ParseRfc3339("2020-01-01T00:00:00.000000001Z")));
}

TEST_CASE("Vector D: a corrupted signatureV2 is refused though signatureV1 verifies", "[ipns]") {
  auto r = ParseIpnsRecord(Vector('d'));
  REQUIRE(r);
  IpnsVerdict v = CheckIpnsRecord(*r, Name(kNames[3].base36), Now());
  CHECK(v.refusal() == IpnsRefusal::kBadSignature);
  CHECK(v.ToStatus().error().message == "bad signature: Ed25519 signature does not verify");
  auto key = PublicKey::FromPeerId(Name(kNames[3].base36));
  CHECK(key->Verify(IpnsSignatureV1Payload(*r->entry.value, *r->entry.validity), *r->entry.signature_v1));
}

TEST_CASE("Vector E: RSA-2048 with embedded pubKey", "[ipns]") {
  Bytes raw = Vector('e');
  REQUIRE(raw.size() == 1085);
  auto r = ParseIpnsRecord(raw);
  REQUIRE(r);
  REQUIRE(r->entry.pub_key);
  CHECK(r->entry.pub_key->size() == 299);
  CHECK(r->entry.signature_v2->size() == 256);
  auto key = PublicKey::Decode(*r->entry.pub_key);
  REQUIRE(key);
  CHECK(key->type == KeyType::kRsa);
  CHECK(key->data.size() == 294);
  CHECK(key->PeerId() == Name(kNames[4].base58));
  IpnsVerdict v = CheckIpnsRecord(*r, Name(kNames[4].base36), Now());
  CHECK(v.valid());
  CHECK(v.key == *key);
  CHECK(key->Verify(IpnsSignatureV1Payload(*r->entry.value, *r->entry.validity), *r->entry.signature_v1));

  // Without pubKey a hashed name has no key.
  IpnsRecord stripped = *r;
  stripped.entry.pub_key.reset();
  CHECK(CheckIpnsRecord(stripped, Name(kNames[4].base36), Now()).refusal() == IpnsRefusal::kNoPublicKey);
  // With pubKey, checked against another name: the key is not that name's.
  IpnsVerdict other = CheckIpnsRecord(*r, Name(kNames[0].base36), Now());
  CHECK(other.refusal() == IpnsRefusal::kKeyMismatch);
  CHECK(other.ToStatus().error().message.starts_with("public key does not match the name: pubKey belongs to "
                                                      "k2k4r8pe594c9c2850rhqbzq2wieds1sf19fahv7je2w78ipj630amrx"));
}

TEST_CASE("Vector G: V1 value differs from the signed Value", "[ipns]") {
  auto r = ParseIpnsRecord(Vector('g'));
  REQUIRE(r);
  CHECK(AsText(*r->entry.value) == "/ipfs/bafkqaaa");
  IpnsVerdict v = CheckIpnsRecord(*r, Name(kNames[6].base36), Now());
  CHECK(v.refusal() == IpnsRefusal::kV1V2Mismatch);
  CHECK(v.ToStatus().error().message ==
        "V1 field disagrees with the signed data: protobuf value differs from the data");
  // Both signatures verify: only the comparison refuses it.
  for (const auto& c : v.checks) CHECK((c.passed() || c.name == "v1 fields"));
}

TEST_CASE("Vector H: a good record under another name", "[ipns]") {
  Bytes a = Vector('a');
  auto v = VerifyIpnsRecord(a, Name("k51qzi5uqu5dk6oycedgfkfc5baddy52j5yfwpfvaidtrsclhexckdhp2pxgxc"), Now());
  REQUIRE_FALSE(v);
  CHECK(v.error().message == "bad signature: Ed25519 signature does not verify");
}

TEST_CASE("Names of the libp2p peer-ID spec keys (ipns.md §9 table)", "[ipns]") {
  struct Row {
    std::string_view base58, base36;
    bool identity;
    KeyType type;
  };
  for (const Row& row : {Row{"12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq",
                             "k51qzi5uqu5dgy8qsq67hbz73jqkw87l3fgf4a91qb0d9b5173tir7n4vxk1oe", true, KeyType::kEd25519},
                         Row{"16Uiu2HAmLhLvBoYaoZfaMUKuibM6ac163GwKY74c5kiSLg5KvLpY",
                             "kzwfwjn5ji4put13uvtwtc7azzwk42cq2o8ctfnxa6q8n90e72o3pjqbrp3lpcp", true,
                             KeyType::kSecp256k1},
                         Row{"QmVMT29id3TUASyfZZ6k9hmNyc2nYabCo4uMSpDw4zrgDk",
                             "k2k4r8m0iploq6r25jp915xawtnx0qdr0je62jws2kki6votbj5191x3", false, KeyType::kEcdsa}}) {
    INFO(row.base58);
    Multihash id = Name(row.base58);
    CHECK(FormatIpnsName(id) == row.base36);
    CHECK(Name(row.base36) == id);
    CHECK(id.is_identity() == row.identity);
    auto key = PublicKey::FromPeerId(id);
    if (row.identity) {
      REQUIRE(key);
      CHECK(key->type == row.type);
      CHECK(key->Encode().size() == (row.type == KeyType::kEd25519 ? 36u : 37u));
      CHECK(key->PeerId() == id);
    } else {
      REQUIRE_FALSE(key);
      CHECK(key.error().code == ErrorCode::kNotFound);
    }
  }
}

TEST_CASE("Strings that are not IPNS names", "[ipns]") {
  for (const char* bad : {"", "/ipns/", "bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354", "Qm123",
                          "12D3KooW", "example.com", "k51qzi5uqu5dldhbzu8n103rk9vogs98jlyiek9ab95nby355ejzh0marmmur!"}) {
    INFO(bad);
    auto r = ParseIpnsName(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::kInvalidArgument);
  }
  // A dag-pb CID is refused with the libp2p-key form of its multihash, as boxo suggests.
  auto dagpb = ParseIpnsName("bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354");
  CHECK(dagpb.error().message.find("codec dag-pb, not libp2p-key (as a name it would be k2k4r8") != std::string::npos);
}
