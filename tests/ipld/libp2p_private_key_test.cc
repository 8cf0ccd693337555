// ipld/libp2p_private_key.h: generation, signing, and kubo's two export
// formats, with the libp2p peer-ID spec key vector and the §9 keys.
#include <fstream>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>

#include "ipld/ipns_name.h"
#include "ipld/libp2p_private_key.h"

using namespace ipfsfs;
using namespace ipfsfs::ipld;

namespace {

Bytes Hex(std::string_view hex) {
  auto b = FromHex(hex);
  REQUIRE(b);
  return *b;
}

Bytes KeyE() {
  std::ifstream in(std::string(IPFSFS_TESTDATA_DIR) + "/ipns/key-e.hex");
  std::stringstream text;
  text << in.rdbuf();
  std::string hex = text.str();
  while (!hex.empty() && (hex.back() == '\n' || hex.back() == ' ')) hex.pop_back();
  return Hex(hex);
}

// libp2p/specs peer-ids/peer-ids.md, test vectors: the Ed25519 private key.
constexpr std::string_view kSpecEd25519Private =
    "080112407e0830617c4a7de83925dfb2694556b12936c477a0e1feb2e148ec9da60fee7d1ed1e8fae2c4a144b8be8fd4b47bf3d3b3"
    "4b871c3cacf6010f0e42d474fce27e";

}  // namespace

TEST_CASE("Private key: the libp2p spec Ed25519 vector gives the spec's peer ID", "[keys]") {
  auto key = PrivateKey::Decode(Hex(kSpecEd25519Private));
  REQUIRE(key);
  CHECK(key->type() == KeyType::kEd25519);
  CHECK(ToHex(key->Public().Encode()) == "080112201ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e");
  CHECK(FormatPeerIdBase58(key->Public().PeerId()) == "12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq");
  CHECK(FormatIpnsName(key->Public().PeerId()) == "k51qzi5uqu5dgy8qsq67hbz73jqkw87l3fgf4a91qb0d9b5173tir7n4vxk1oe");
  CHECK(ToHex(key->Encode()) == kSpecEd25519Private);
}

TEST_CASE("Private key: vector E's RSA key round-trips and gives its public key and name", "[keys]") {
  Bytes protobuf = KeyE();
  auto key = PrivateKey::Decode(protobuf);
  REQUIRE(key);
  CHECK(key->type() == KeyType::kRsa);
  CHECK(key->Public().Encode().size() == 299);
  CHECK(FormatIpnsName(key->Public().PeerId()) == "k2k4r8pe594c9c2850rhqbzq2wieds1sf19fahv7je2w78ipj630amrx");
  CHECK(key->Encode() == protobuf);
  std::string pem = key->ToPkcs8Pem();
  CHECK(pem.rfind("-----BEGIN PRIVATE KEY-----\n", 0) == 0);
  auto back = PrivateKey::FromPkcs8Pem(pem);
  REQUIRE(back);
  CHECK(back->Encode() == protobuf);
}

TEST_CASE("Private key: a damaged RSA key is refused, not used to sign bad records", "[keys]") {
  // Found by tests/fuzz/fuzz_private_key: one bit of the private exponent
  // flipped still parses as PKCS#1, but signs what the public key rejects.
  Bytes damaged = KeyE();
  damaged[320] ^= std::byte{0x04};
  auto key = PrivateKey::Decode(damaged);
  REQUIRE(!key);
  CHECK(key.error().code == ErrorCode::kCorrupt);
  CHECK(key.error().message == "the RSA key's parts are inconsistent");
}

TEST_CASE("Private key: Ed25519 seed of vector A, and the old 96-byte form", "[keys]") {
  std::string seed(64, '1');
  std::string pub = "d04ab232742bb4ab3a1368bd4615e4e6d0224ab71a016baf8520a332c9778737";
  auto key = PrivateKey::Decode(Hex("08011240" + seed + pub));
  REQUIRE(key);
  CHECK(FormatIpnsName(key->Public().PeerId()) == "k51qzi5uqu5dldhbzu8n103rk9vogs98jlyiek9ab95nby355ejzh0marmmurb");
  auto old = PrivateKey::Decode(Hex("08011260" + seed + pub + pub));
  REQUIRE(old);
  CHECK(old->Public() == key->Public());
  CHECK(ToHex(old->Encode()) == "08011240" + seed + pub);  // written back in the 64-byte form

  std::string other = "a09aa5f47a6759802ff955f8dc2d2a14a5c99d23be97f864127ff9383455a4f0";
  auto mismatch = PrivateKey::Decode(Hex("08011260" + seed + pub + other));
  REQUIRE(!mismatch);
  CHECK(mismatch.error().code == ErrorCode::kCorrupt);
  auto wrong_half = PrivateKey::Decode(Hex("08011240" + seed + other));
  REQUIRE(!wrong_half);
  CHECK(wrong_half.error().code == ErrorCode::kCorrupt);
}

TEST_CASE("Private key: refusals", "[keys]") {
  CHECK(PrivateKey::Decode(Hex("0801")).error().code == ErrorCode::kCorrupt);
  CHECK(PrivateKey::Decode(Hex("0801120401020304")).error().code == ErrorCode::kCorrupt);
  CHECK(PrivateKey::Decode(Hex("0802122053dadf1d5a164d6b4acdb15e24aa4c5b1d3461bdbd42abedb0a4404d56ced8fb"))
            .error()
            .code == ErrorCode::kUnsupported);
  CHECK(PrivateKey::Decode(Hex("0809120100")).error().code == ErrorCode::kUnsupported);
  CHECK(PrivateKey::Generate(KeyType::kRsa, 1024).error().code == ErrorCode::kInvalidArgument);
  CHECK(PrivateKey::Generate(KeyType::kSecp256k1).error().code == ErrorCode::kUnsupported);
  CHECK(PrivateKey::FromPkcs8Pem("not pem").error().code == ErrorCode::kCorrupt);
}

TEST_CASE("Private key: generated keys sign what their public key verifies, in both formats", "[keys]") {
  for (KeyType type : {KeyType::kEd25519, KeyType::kRsa}) {
    auto key = PrivateKey::Generate(type);
    REQUIRE(key);
    CHECK(key->type() == type);
    Bytes message = ToBytes("ipns-signature:hello");
    auto sig = key->Sign(message);
    REQUIRE(sig);
    CHECK(sig->size() == (type == KeyType::kEd25519 ? 64u : 256u));
    CHECK(key->Public().Verify(message, *sig));
    auto again = key->Sign(message);
    REQUIRE(again);
    CHECK(*again == *sig);  // deterministic: Ed25519 and PKCS#1 v1.5
    auto decoded = PrivateKey::Decode(key->Encode());
    REQUIRE(decoded);
    CHECK(decoded->Public() == key->Public());
    auto from_pem = PrivateKey::FromPkcs8Pem(key->ToPkcs8Pem());
    REQUIRE(from_pem);
    CHECK(from_pem->Public() == key->Public());
  }
  auto a = PrivateKey::Generate(KeyType::kEd25519);
  auto b = PrivateKey::Generate(KeyType::kEd25519);
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a->Public() != b->Public());
}
