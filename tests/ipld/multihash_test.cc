#include "ipld/multihash.h"

#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>

using namespace ipfsfs;
using namespace ipfsfs::ipld;

TEST_CASE("multihash README example: sha2-256 of 'multihash'", "[multihash]") {
  Multihash mh = Multihash::Sha256(AsBytes("multihash"));
  CHECK(ToHex(mh.Encode()) == "12209cbc07c3f991725836a3aa2a581ca2029198aa420b9d99bc0e131d9f3e2cbe47");
  CHECK(mh.name() == "sha2-256");
  CHECK(mh.Matches(AsBytes("multihash")));
  CHECK_FALSE(mh.Matches(AsBytes("multihasH")));
}

TEST_CASE("multihash test_cases.csv: compute, truncate and parse", "[multihash]") {
  std::ifstream file(IPFSFS_TESTDATA_DIR "/multihash_test_cases.csv");
  REQUIRE(file);
  std::string line;
  std::getline(file, line);  // header
  int rows = 0;
  while (std::getline(file, line)) {
    std::stringstream ss(line);
    std::string algorithm, bits, input, expected;
    std::getline(ss, algorithm, ',');
    std::getline(ss, bits, ',');
    std::getline(ss, input, ',');
    std::getline(ss, expected, ',');
    if (algorithm == "sha3") algorithm = "sha3-512";  // the CSV's name for code 0x14
    INFO(line);
    auto code = HashCodeFromName(algorithm);
    REQUIRE(code);
    auto sum = Multihash::Sum(*code, AsBytes(input));
    REQUIRE(sum);
    Bytes digest = sum->digest();
    digest.resize(std::stoul(bits) / 8);
    Multihash truncated(*code, digest);
    CHECK(ToHex(truncated.Encode()) == expected);
    // A truncated multihash still verifies the data as a prefix.
    CHECK(truncated.Matches(AsBytes(input)));
    auto parsed = Multihash::Decode(*FromHex(expected));
    REQUIRE(parsed);
    CHECK(*parsed == truncated);
    ++rows;
  }
  CHECK(rows == 25);
}

TEST_CASE("identity multihash holds the data and caps it at 128 bytes", "[multihash]") {
  auto mh = Multihash::Sum(0x00, AsBytes("hi"));
  REQUIRE(mh);
  CHECK(ToHex(mh->Encode()) == "00026869");
  CHECK(mh->Matches(AsBytes("hi")));
  std::string big(129, 'x');
  CHECK(Multihash::Sum(0x00, AsBytes(big)).error().code == ErrorCode::kTooLarge);
  Bytes encoded = *FromHex("008101");  // identity, length 129
  encoded.resize(encoded.size() + 129);
  CHECK(Multihash::Decode(encoded).error().code == ErrorCode::kTooLarge);
}

TEST_CASE("multihash decoding rejects malformed input", "[multihash]") {
  // js-multiformats invalid-multihash fixtures: size not matching the digest.
  for (const char* hex : {"1220", "12200102", "1102ffff00", "", "80"}) {
    INFO(hex);
    auto r = Multihash::Decode(*FromHex(hex));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::kCorrupt);
  }
  CHECK(Multihash::Sum(0x1234, AsBytes("x")).error().code == ErrorCode::kUnsupported);
}

TEST_CASE("multihash Verify names mismatches and unknown functions; an empty digest never matches", "[multihash]") {
  Multihash mh = Multihash::Sha256(AsBytes("abc"));
  CHECK(mh.Verify(AsBytes("abc")));
  CHECK(mh.Verify(AsBytes("abd")).error().code == ErrorCode::kCorrupt);
  CHECK(Multihash(0x12, {}).Verify(AsBytes("anything")).error().code == ErrorCode::kCorrupt);
  CHECK(Multihash(0x1234, *FromHex("00")).Verify(AsBytes("x")).error().code == ErrorCode::kUnsupported);
}
