#include "ipld/cid.h"

#include <catch2/catch.hpp>

using namespace ipfsfs;
using namespace ipfsfs::ipld;

TEST_CASE("CIDv0 and CIDv1 of well-known UnixFS blocks", "[cid]") {
  // ipfs/specs unixfs.md "Well-Known UnixFS CIDs": the empty directory block 0a 02 08 01.
  Bytes empty_dir = *FromHex("0a020801");
  Cid v0 = Cid::V0(Multihash::Sha256(empty_dir));
  CHECK(v0.ToString() == "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn");
  CHECK(v0.ToV1().ToString() == "bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354");
  CHECK(v0.Matches(empty_dir));
  // Identity-inlined form of the same block.
  auto inlined = Cid::Parse("bafyaabakaieac");
  REQUIRE(inlined);
  CHECK(inlined->codec() == 0x70);
  CHECK(inlined->hash().is_identity());
  CHECK(inlined->hash().digest() == empty_dir);
  // Empty raw block, identity: bafkqaaa.
  CHECK(Cid::V1(Codec::kRaw, *Multihash::Sum(0, {})).ToString() == "bafkqaaa");
  CHECK(Cid::V1(Codec::kRaw, Multihash::Sha256({})).ToString() ==
        "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku");
}

TEST_CASE("CID parse, print and convert round trips", "[cid]") {
  auto v0 = Cid::Parse("QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH");
  REQUIRE(v0);
  CHECK(v0->version() == 0);
  CHECK(v0->codec() == 0x70);
  CHECK(v0->ToBytes().size() == 34);
  auto v1 = Cid::Parse("bafybeif7ztnhq65lumvvtr4ekcwd2ifwgm3awq4zfr3srh462rwyinlb4y");
  REQUIRE(v1);
  CHECK(v0->ToV1() == *v1);
  CHECK(v1->ToV0().value() == *v0);
  CHECK(v0->hash() == v1->hash());
  CHECK(*v0 != *v1);
  for (Multibase base : AllMultibases()) {
    std::string text = v1->ToString(base);
    INFO(text);
    CHECK(text[0] == static_cast<char>(base));
    auto back = Cid::Parse(text);
    REQUIRE(back);
    CHECK(*back == *v1);
  }
  CHECK(v0->ToString(Multibase::kBase58Btc) == "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH");
  CHECK(v0->ToString(Multibase::kBase36) == v1->ToString(Multibase::kBase36));

  // multiformats/cid README example: base58btc CIDv1, raw, sha2-256.
  auto z = Cid::Parse("zb2rhe5P4gXftAwvA4eXQ5HJwsER2owDyS9sKaQRRVQPn93bA");
  REQUIRE(z);
  CHECK(z->version() == 1);
  CHECK(z->codec() == 0x55);
  CHECK(z->hash().name() == "sha2-256");
  CHECK(ToHex(z->hash().digest()).substr(0, 8) == "6e6ff795");
  CHECK(ToHex(z->hash().digest()).substr(58) == "245c95");
  CHECK(z->ToString(Multibase::kBase58Btc) == "zb2rhe5P4gXftAwvA4eXQ5HJwsER2owDyS9sKaQRRVQPn93bA");
}

TEST_CASE("binary CIDs read from the front of a buffer", "[cid]") {
  auto v1 = *Cid::Parse("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku");
  auto v0 = *Cid::Parse("QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn");
  Bytes buf = v0.ToBytes();
  v1.AppendTo(buf);
  buf.push_back(std::byte{7});
  ByteSpan in(buf);
  CHECK(Cid::Read(in).value() == v0);
  CHECK(Cid::Read(in).value() == v1);
  CHECK(in.size() == 1);
  CHECK(v1.EncodedLength() == 36);
  CHECK_FALSE(Cid::FromBytes(buf));  // trailing bytes
}

TEST_CASE("identity CIDs: 128-byte digest accepted, 129 refused", "[cid]") {
  Bytes digest(128, std::byte{'a'});
  Cid ok = Cid::V1(Codec::kRaw, Multihash(0, digest));
  auto parsed = Cid::Parse(ok.ToString());
  REQUIRE(parsed);
  CHECK(*parsed == ok);
  digest.push_back(std::byte{'a'});
  Cid too_big = Cid::V1(Codec::kRaw, Multihash(0, digest));
  auto r = Cid::Parse(too_big.ToString());
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().message, Catch::Contains("over 128"));
}

TEST_CASE("bad CIDs are refused with a named reason", "[cid]") {
  struct Case {
    const char* text;
    const char* why;
  };
  // js-multiformats test-cid.spec.ts negative cases, and friends.
  const Case cases[] = {
      {"QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zIII", "invalid base58btc character 'I'"},
      {"zQmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH", "without a multibase prefix"},
      {"QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQ", "not 46 base58btc characters"},
      {"bciqftfeehedf6klbt32bfaglxezl4uwfnwm4lftlmxqbcerz6cmlx3y", "without a multibase prefix"},
      {"hello world", "unknown multibase prefix 'h'"},
      {"", "empty CID"},
      {"bafy", "invalid base32 length"},
      {"bafybeif7ztnhq", "past the end of input"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    auto r = Cid::Parse(c.text);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::kInvalidArgument);
    CHECK_THAT(r.error().message, Catch::Contains(c.why));
  }
  // CID version 2 does not exist.
  Bytes v2 = *FromHex("0270");
  Multihash::Sha256(AsBytes("x")).AppendTo(v2);
  auto r2 = Cid::Parse(MultibaseEncode(Multibase::kBase32, v2));
  REQUIRE_FALSE(r2);
  CHECK_THAT(r2.error().message, Catch::Contains("unsupported CID version 2"));
  auto raw = *Cid::Parse("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku");
  CHECK_THAT(raw.ToV0().error().message, Catch::Contains("only for dag-pb"));
}
