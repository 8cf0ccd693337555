// Tests for ipld/car.h against the js-car / go-car vectors (tests/data/car/README.md).
#include "ipld/car.h"

#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "ipld/varint.h"
#include "tests/support/hex.h"

namespace ipfsfs::ipld {
namespace {

Bytes ReadFixture(const std::string& name) {
  std::ifstream in(std::string(IPFSFS_TESTDATA_DIR) + "/car/" + name, std::ios::binary);
  REQUIRE(in.good());
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return ToBytes(data);
}

using testing::Hex;

Cid ParseCid(std::string_view text) {
  auto cid = Cid::Parse(text);
  REQUIRE(cid.has_value());
  return *cid;
}

// Feeds `car` in chunks of the given sizes (cycled), polling Next() after each.
std::vector<CarBlock> ParseInChunks(ByteSpan car, const std::vector<size_t>& chunks,
                                    CarHeader* header_out = nullptr) {
  CarParser parser;
  std::vector<CarBlock> blocks;
  size_t pos = 0;
  size_t i = 0;
  auto drain = [&] {
    while (true) {
      auto next = parser.Next();
      REQUIRE(next.has_value());
      if (!*next) break;
      blocks.push_back(std::move(**next));
    }
  };
  while (pos < car.size()) {
    size_t n = std::min(chunks[i++ % chunks.size()], car.size() - pos);
    parser.Feed(car.subspan(pos, n));
    pos += n;
    drain();
  }
  parser.Finish();
  drain();
  CHECK(parser.at_end());
  REQUIRE(parser.header().has_value());
  if (header_out) *header_out = *parser.header();
  return blocks;
}

Error ReadError(ByteSpan car) {
  auto result = ReadCar(car);
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().code == ErrorCode::kCorrupt);
  return result.error();
}

// js-car test/common.js goCarIndex: section offset, section length (with its
// varint), block length.
struct IndexEntry {
  const char* cid;
  uint64_t offset;
  uint64_t length;
  uint64_t block_length;
};

constexpr IndexEntry kCarV1Index[] = {
    {"bafyreihyrpefhacm6kkp4ql6j6udakdit7g3dmkzfriqfykhjw6cad5lrm", 100, 92, 55},
    {"QmNX6Tffavsya4xgBi2VJQnSuqy9GsxongxZZ9uZBqp16d", 192, 133, 97},
    {"bafkreifw7plhl6mofk6sfvhnfh64qmkq73oeqwl6sloru6rehaoujituke", 325, 41, 4},
    {"QmWXZxVQ9yZfhQxLD35eDR8LiMRsYtHxYqTFCBbJoiJVys", 366, 130, 94},
    {"bafkreiebzrnroamgos2adnbpgw5apo3z4iishhbdx77gldnbk57d4zdio4", 496, 41, 4},
    {"QmdwjhxpxzcMsR3qUuj7vUL8pbA7MgR3GAxWi2GLHjsKCT", 537, 82, 47},
    {"bafkreidbxzk2ryxwwtqxem4l3xyyjvw35yu4tcct4cqeqxwo47zhxgxqwq", 619, 41, 4},
    {"bafyreidj5idub6mapiupjwjsyyxhyhedxycv4vihfsicm2vt46o7morwlm", 660, 55, 18},
};

// js-car test/common.js goCarV2Index (offsets from the start of the CARv2 file).
constexpr IndexEntry kCarV2Index[] = {
    {"QmfEoLyB5NndqeKieExd1rtJzTduQUPEV8TwAYcUiy3H5Z", 108, 82, 47},
    {"QmczfirA7VEH7YVvKPTPoU69XM3qY4DC39nnTsWd4K3SkM", 190, 135, 99},
    {"Qmcpz2FHJD7VAhg1fxFXdYJKePtkx1BsHuCrAgWVnaHMTE", 325, 89, 54},
    {"bafkreifuosuzujyf4i6psbneqtwg2fhplc2wxptc5euspa2gn3bwhnihfu", 414, 41, 4},
    {"bafkreifc4hca3inognou377hfhvu2xfchn2ltzi7yu27jkaeujqqqdbjju", 455, 44, 7},
};

template <size_t N>
void CheckAgainstIndex(const std::vector<CarBlock>& blocks, const IndexEntry (&index)[N],
                       uint64_t shift = 0) {
  REQUIRE(blocks.size() == N);
  for (size_t i = 0; i < N; ++i) {
    INFO("block " << i);
    CHECK(blocks[i].cid == ParseCid(index[i].cid));
    CHECK(blocks[i].offset == index[i].offset + shift);
    CHECK(blocks[i].data.size() == index[i].block_length);
    CHECK(blocks[i].cid.Matches(blocks[i].data));
  }
}

TEST_CASE("CARv1 basic: header, CIDs, offsets and data match go-car's index", "[car]") {
  Bytes car = ReadFixture("carv1-basic.car");
  REQUIRE(car.size() == 715);
  auto contents = ReadCar(car);
  REQUIRE(contents.has_value());
  CHECK(contents->header.version == 1);
  CHECK(contents->header.roots ==
        std::vector<Cid>{ParseCid("bafyreihyrpefhacm6kkp4ql6j6udakdit7g3dmkzfriqfykhjw6cad5lrm"),
                         ParseCid("bafyreidj5idub6mapiupjwjsyyxhyhedxycv4vihfsicm2vt46o7morwlm")});
  CheckAgainstIndex(contents->blocks, kCarV1Index);
  CHECK(AsText(contents->blocks[2].data) == "cccc");
  CHECK(AsText(contents->blocks[4].data) == "bbbb");
  CHECK(AsText(contents->blocks[6].data) == "aaaa");
}

TEST_CASE("CARv2 basic: inner CARv1 between data offset and size, index ignored", "[car]") {
  Bytes car = ReadFixture("carv2-basic.car");
  auto contents = ReadCar(car);
  REQUIRE(contents.has_value());
  CHECK(contents->header.version == 2);
  CHECK(contents->header.roots ==
        std::vector<Cid>{ParseCid("QmfEoLyB5NndqeKieExd1rtJzTduQUPEV8TwAYcUiy3H5Z")});
  CheckAgainstIndex(contents->blocks, kCarV2Index);
  CHECK(AsText(contents->blocks[3].data) == "fish");
  CHECK(AsText(contents->blocks[4].data) == "lobster");

  SECTION("the payload ends the CAR without Finish(), bytes after it are not needed") {
    CarParser parser;
    parser.Feed(ByteSpan(car).first(499));  // data offset 51 + data size 448
    size_t n = 0;
    while (true) {
      auto next = parser.Next();
      REQUIRE(next.has_value());
      if (!*next) break;
      ++n;
    }
    CHECK(n == 5);
    CHECK(parser.at_end());
    parser.Feed(ByteSpan(car).subspan(499));  // the index: ignored
    auto next = parser.Next();
    REQUIRE(next.has_value());
    CHECK_FALSE(next->has_value());
  }

  SECTION("padding between the header and the payload is skipped") {
    Bytes padded(car.begin(), car.begin() + 51);
    padded[27] = std::byte{51 + 9};  // data offset, little-endian low byte
    padded[43] = std::byte{0};       // index offset: none
    padded[44] = std::byte{0};
    for (int i = 0; i < 9; ++i) padded.push_back(std::byte{0xee});
    padded.insert(padded.end(), car.begin() + 51, car.begin() + 499);
    CheckAgainstIndex(ParseInChunks(padded, {1}), kCarV2Index, 9);
    CheckAgainstIndex(ParseInChunks(padded, {7, 3, 50}), kCarV2Index, 9);
    auto whole = ReadCar(padded);
    REQUIRE(whole.has_value());
    CheckAgainstIndex(whole->blocks, kCarV2Index, 9);
  }
}

TEST_CASE("streaming: byte by byte and random splits give what one buffer gives", "[car]") {
  auto name = GENERATE(as<std::string>{}, "carv1-basic.car", "carv1-basic-js-order.car",
                       "carv2-basic.car");
  INFO(name);
  Bytes car = ReadFixture(name);
  auto whole = ReadCar(car);
  REQUIRE(whole.has_value());
  auto same = [&](const std::vector<CarBlock>& blocks) {
    REQUIRE(blocks.size() == whole->blocks.size());
    for (size_t i = 0; i < blocks.size(); ++i) {
      CHECK(blocks[i].cid == whole->blocks[i].cid);
      CHECK(blocks[i].data == whole->blocks[i].data);
      CHECK(blocks[i].offset == whole->blocks[i].offset);
    }
  };
  CarHeader header;
  same(ParseInChunks(car, {1}, &header));
  CHECK(header.roots == whole->header.roots);
  CHECK(header.version == whole->header.version);
  same(ParseInChunks(car, {car.size()}));
  std::mt19937 rng(1234);
  for (int round = 0; round < 20; ++round) {
    std::vector<size_t> chunks;
    for (int i = 0; i < 16; ++i) chunks.push_back(1 + rng() % 90);
    same(ParseInChunks(car, chunks));
  }
}

TEST_CASE("writer reproduces js-car's carBytes from the same roots and blocks", "[car]") {
  // Block bytes as js-car test/common.js makeData() encodes them, in allBlocks order.
  struct Input {
    int kind;  // 0 raw CIDv1, 1 dag-pb CIDv0, 2 dag-cbor CIDv1
    const char* hex;
  };
  const Input inputs[] = {
      {0, "61616161"},
      {0, "62626262"},
      {0, "63636363"},
      {1, "122d0a240155122061be55a8e2f6b4e172338bddf184d6dbee29c98853e0a0485ecee7f27b9af0b41203636174"
          "1804"},
      {1, "122d0a240155122081cc5b17018674b401b42f35ba07bb79e211239c23bffe658da1577e3e6468771203646f67"
          "1804122d0a221220e7dc486e97e6ebe5cdabab3e392bdad128b6e09acc94bb4e2aa2af7b986d24d012056669"
          "72737418 33"},
      {1, "122e0a2401551220b6fbd675f98e2abd22d4ed29fdc83150fedc48597e92dd1a7a24381d44a274511204626561"
          "721804122f0a22122079a982de3c9907953d4d323cee1d0fb1ed8f45f8ef02870c0cb9e09246bd530a12067365"
          "636f6e64189501"},
      {2, "a2646c696e6bd82a582300122002acecc5de2438ea4126a3010ecb1f8a599c8eff22fff1a1dcffe999b27fd3de"
          "646e616d6564626c6970"},
      {2, "a2646c696e6bf6646e616d65656c696d626f"},
  };
  const std::vector<Cid> roots = {
      ParseCid("bafyreihyrpefhacm6kkp4ql6j6udakdit7g3dmkzfriqfykhjw6cad5lrm"),
      ParseCid("bafyreidj5idub6mapiupjwjsyyxhyhedxycv4vihfsicm2vt46o7morwlm")};

  Bytes out = EncodeCarV1Header(roots);
  for (const Input& input : inputs) {
    Bytes block = Hex(input.hex);
    Multihash hash = Multihash::Sha256(block);
    Cid cid = input.kind == 0   ? Cid::V1(Codec::kRaw, hash)
              : input.kind == 1 ? Cid::V0(hash)
                                : Cid::V1(Codec::kDagCbor, hash);
    if (&input == &inputs[0]) {
      Append(out, EncodeCarSection(cid, block));
    } else {
      AppendCarSection(out, cid, block);
    }
  }
  // The last two blocks are the roots.
  CHECK(ToHex(out) == ToHex(ReadFixture("carv1-basic-js-order.car")));
}

TEST_CASE("header encoding is canonical dag-cbor", "[car]") {
  // js-car test-errors.spec.js makeHeader({version: 1, roots: []}).
  CHECK(ToHex(EncodeCarV1Header({})) == "11a265726f6f74738067" "76657273696f6e01");
  auto empty = ReadCar(EncodeCarV1Header({}));
  REQUIRE(empty.has_value());
  CHECK(empty->header.roots.empty());
  CHECK(empty->blocks.empty());

  // go-car wrote the inner CARv1 header of carv2-basic with a CIDv0 root.
  Bytes v2 = ReadFixture("carv2-basic.car");
  CHECK(ToHex(EncodeCarV1Header({ParseCid("QmfEoLyB5NndqeKieExd1rtJzTduQUPEV8TwAYcUiy3H5Z")})) ==
        ToHex(ByteSpan(v2).subspan(51, 57)));

  // Enough roots that the header length needs a two-byte varint and the
  // array a one-byte count.
  std::vector<Cid> roots;
  for (int i = 0; i < 30; ++i) {
    roots.push_back(Cid::V1(Codec::kRaw, Multihash::Sha256(AsBytes(std::to_string(i)))));
  }
  roots.push_back(Cid::V0(Multihash::Sha256(AsBytes("v0"))));
  Bytes header = EncodeCarV1Header(roots);
  CHECK(ToHex(ByteSpan(header).subspan(2, 8)) == "a265726f6f747398");
  CHECK(std::to_integer<int>(header[10]) == 31);
  ByteSpan in = header;
  auto length = ReadVarint(in);
  REQUIRE(length.has_value());
  CHECK(*length == in.size());
  auto parsed = ReadCar(header);
  REQUIRE(parsed.has_value());
  CHECK(parsed->header.roots == roots);
}

TEST_CASE("every truncation is corrupt unless it ends on a section boundary", "[car]") {
  SECTION("CARv1") {
    Bytes car = ReadFixture("carv1-basic.car");
    std::vector<size_t> boundaries = {100};
    for (const auto& e : kCarV1Index) boundaries.push_back(e.offset + e.length);
    for (size_t n = 0; n <= car.size(); ++n) {
      INFO("prefix " << n);
      auto result = ReadCar(ByteSpan(car).first(n));
      bool boundary = std::find(boundaries.begin(), boundaries.end(), n) != boundaries.end();
      CHECK(result.has_value() == boundary);
      if (!result) CHECK(result.error().code == ErrorCode::kCorrupt);
    }
  }
  SECTION("CARv2: anything short of the payload's end") {
    Bytes car = ReadFixture("carv2-basic.car");
    for (size_t n = 0; n <= car.size(); ++n) {
      INFO("prefix " << n);
      auto result = ReadCar(ByteSpan(car).first(n));
      CHECK(result.has_value() == (n >= 499));
    }
  }
  SECTION("messages") {
    CHECK(ReadError({}).message == "empty CAR");
    Bytes car = ReadFixture("carv1-basic.car");
    CHECK_THAT(ReadError(ByteSpan(car).first(50)).message, Catch::Contains("truncated CAR header"));
    CHECK_THAT(ReadError(ByteSpan(car).first(714)).message,
               Catch::Contains("truncated CAR section at offset 660"));
    Bytes v2 = ReadFixture("carv2-basic.car");
    CHECK_THAT(ReadError(ByteSpan(v2).first(30)).message, Catch::Contains("truncated"));
    CHECK_THAT(ReadError(ByteSpan(v2).first(190)).message,
               Catch::Contains("CARv2 data payload truncated at offset 190"));
  }
}

TEST_CASE("header errors (js-car test-errors.spec.js)", "[car]") {
  auto message = [](std::string_view hex) { return ReadError(Hex(hex)).message; };
  // {version: 3}
  CHECK(message("0aa16776657273696f6e03") == "unsupported CAR version 3");
  // {roots: []}
  CHECK(message("08a165726f6f747380") == "CAR header has no version");
  // {version: '1', roots: []}
  CHECK(message("12a265726f6f74738067" "76657273696f6e6131") ==
        "CAR header version is not an unsigned integer");
  // {version: 1}
  CHECK(message("0aa16776657273696f6e01") == "CAR header has no roots");
  // {version: 1, roots: {}}
  CHECK(message("11a265726f6f7473a067" "76657273696f6e01") == "CAR header roots is not a list");
  // {version: 1, roots: [], blip: true}
  CHECK(message("17a364626c6970f565726f6f74738067" "76657273696f6e01") ==
        "CAR header has an unexpected key \"blip\"");
  // [1, []] and null
  CHECK(message("03820180") == "CAR header is not a map");
  CHECK(message("01f6") == "CAR header is not a map");
  // duplicate key, trailing bytes, indefinite length, a root that is not a CID
  CHECK(message("18a365726f6f74738065726f6f74738067" "76657273696f6e01") ==
        "CAR header has a duplicate roots key");
  CHECK(message("12a265726f6f74738067" "76657273696f6e0100") ==
        "trailing bytes after the CAR header map");
  CHECK_THAT(message("11bf65726f6f74738067" "76657273696f6e01"), Catch::Contains("indefinite"));
  CHECK_THAT(message("12a265726f6f74738101" "6776657273696f6e01"), Catch::Contains("root 0 is not a CID"));
  // tag 42 without the 0x00 prefix
  CHECK_THAT(message("17a265726f6f747381d82a43015500" "6776657273696f6e01"),
             Catch::Contains("0x00 multibase prefix"));
  CHECK(message("00") == "zero-length CAR header at offset 0");
  Bytes huge;
  AppendVarint(huge, kMaxCarSectionLength + 1);
  CHECK_THAT(ReadError(huge).message, Catch::Contains("over the limit"));

  SECTION("recursive CARv2 header") {
    Bytes v2 = ReadFixture("carv2-basic.car");
    Bytes twice(v2.begin(), v2.begin() + 51);
    twice.insert(twice.end(), v2.begin(), v2.begin() + 51);
    CHECK(ReadError(twice).message == "CARv2 data payload has version 2 (expected 1)");
  }
  SECTION("CARv2 header fields") {
    Bytes v2 = ReadFixture("carv2-basic.car");
    Bytes bad = v2;
    bad[27] = std::byte{50};  // data offset inside the header
    CHECK_THAT(ReadError(bad).message, Catch::Contains("overlaps the CARv2 header"));
    bad = v2;
    bad[35] = std::byte{0};  // data size 0
    bad[36] = std::byte{0};
    CHECK_THAT(ReadError(bad).message, Catch::Contains("bad CARv2 data size 0"));
    bad = v2;
    bad[34] = std::byte{0x10};  // data offset far past the end
    CHECK_THAT(ReadError(bad).message, Catch::Contains("past the end of input"));
    // A version 2 header that is not the byte-exact pragma: {version: 2, roots: []}
    CHECK(ReadError(Hex("11a265726f6f74738067" "76657273696f6e02")).message ==
          "bad CARv2 pragma: version 2 header with roots");
  }
}

TEST_CASE("section errors", "[car]") {
  Bytes car = ReadFixture("carv1-basic-js-order.car");
  SECTION("CID version 0 in a section (js-car: Unexpected CID version (0))") {
    car[101] = std::byte{0};
    CHECK_THAT(ReadError(car).message, Catch::Contains("bad CID in CAR section at offset 100"));
  }
  SECTION("a section over the limit fails at once, without waiting for its bytes") {
    Bytes head(car.begin(), car.begin() + 100);
    AppendVarint(head, kMaxCarSectionLength + 1);
    CarParser parser;
    parser.Feed(head);
    auto next = parser.Next();
    REQUIRE_FALSE(next.has_value());
    CHECK(next.error().code == ErrorCode::kCorrupt);
    CHECK_THAT(next.error().message, Catch::Contains("over the limit"));
    // ...and at the limit it waits.
    Bytes ok(car.begin(), car.begin() + 100);
    AppendVarint(ok, kMaxCarSectionLength);
    CarParser waiting;
    waiting.Feed(ok);
    auto wait = waiting.Next();
    REQUIRE(wait.has_value());
    CHECK_FALSE(wait->has_value());
    CHECK_FALSE(waiting.at_end());
  }
  SECTION("a section shorter than its CID") {
    Bytes bad(car.begin(), car.begin() + 100);
    Append(bad, Hex("03 01 55 12"));
    CHECK_THAT(ReadError(bad).message, Catch::Contains("bad CID in CAR section at offset 100"));
  }
  SECTION("errors are sticky") {
    car[101] = std::byte{0};
    CarParser parser;
    parser.Feed(car);
    parser.Finish();
    auto first = parser.Next();
    REQUIRE_FALSE(first.has_value());
    auto again = parser.Next();
    REQUIRE_FALSE(again.has_value());
    CHECK(again.error().message == first.error().message);
  }
}

TEST_CASE("a zero-length section ends the data; only null padding may follow", "[car]") {
  Bytes car = ReadFixture("carv1-basic-js-order.car");
  Bytes padded = car;
  padded.resize(car.size() + 300, std::byte{0});
  auto contents = ReadCar(padded);
  REQUIRE(contents.has_value());
  CHECK(contents->blocks.size() == 8);
  CHECK(ParseInChunks(padded, {1}).size() == 8);
  CHECK(ParseInChunks(padded, {700, 13}).size() == 8);

  Bytes garbage = padded;
  garbage.back() = std::byte{1};
  CHECK_THAT(ReadError(garbage).message,
             Catch::Contains("non-zero byte at offset 1014 after a zero-length CAR section"));
  // Byte by byte, the error comes when the bad byte arrives.
  CarParser parser;
  bool failed = false;
  for (size_t i = 0; i < garbage.size() && !failed; ++i) {
    parser.Feed(ByteSpan(garbage).subspan(i, 1));
    while (true) {
      auto next = parser.Next();
      if (!next) {
        CHECK(i == garbage.size() - 1);
        failed = true;
        break;
      }
      if (!*next) break;
    }
  }
  CHECK(failed);
}

}  // namespace
}  // namespace ipfsfs::ipld
