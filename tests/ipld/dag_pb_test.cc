// Tests for ipld/dag_pb.h: the ipld/ipld cross-codec fixtures, the
// codec-fixtures and js-dag-pb reject cases, IPIP-550 field orders.
#include "ipld/dag_pb.h"

#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>

#include "ipld/cid.h"
#include "ipld/multihash.h"
#include "tests/support/hex.h"

namespace ipfsfs::ipld {
namespace {

using testing::Hex;

std::string CidV1(ByteSpan block) { return Cid::V1(Codec::kDagPb, Multihash::Sha256(block)).ToString(); }

struct Fixture {
  std::string name;
  Bytes block;
  std::string cid;
};

std::vector<Fixture> LoadCrossCodec() {
  std::ifstream in(IPFSFS_TESTDATA_DIR "/dag_pb/cross_codec.txt");
  REQUIRE(in.good());
  std::vector<Fixture> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    Fixture f;
    std::string hex;
    fields >> f.name >> hex >> f.cid;
    f.block = hex == "-" ? Bytes{} : Hex(hex);
    out.push_back(std::move(f));
  }
  return out;
}

// Decodes `hex`, expecting kCorrupt with `message` inside the error text.
void ExpectReject(std::string_view hex, std::string_view message) {
  INFO("block " << hex);
  auto r = DecodePbNode(Hex(hex));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::kCorrupt);
  CHECK_THAT(r.error().message, Catch::StartsWith("dag-pb: ") && Catch::Contains(std::string(message)));
}

TEST_CASE("dag-pb cross-codec fixtures round-trip byte for byte", "[dag_pb]") {
  auto fixtures = LoadCrossCodec();
  REQUIRE(fixtures.size() == 17);
  for (const Fixture& f : fixtures) {
    INFO(f.name);
    CHECK(CidV1(f.block) == f.cid);
    auto node = DecodePbNode(f.block);
    REQUIRE(node);
    Bytes again = EncodePbNode(*node);
    CHECK(ToHex(again) == ToHex(f.block));
    size_t links = 0;
    for (const PbLink& link : node->links) links += EncodedPbLinkSize(link);
    size_t data = node->data ? 1 + (node->data->size() < 128 ? 1 : 2) + node->data->size() : 0;
    CHECK(links + data == f.block.size());
  }
}

TEST_CASE("dag-pb cross-codec fixtures decode to the documented values", "[dag_pb]") {
  auto fixtures = LoadCrossCodec();
  auto get = [&](std::string_view name) -> PbNode {
    for (const Fixture& f : fixtures) {
      if (f.name == name) {
        auto node = DecodePbNode(f.block);
        REQUIRE(node);
        return *node;
      }
    }
    FAIL("no fixture " << name);
    return {};
  };

  PbNode empty = get("dagpb_empty");
  CHECK(empty.links.empty());
  CHECK_FALSE(empty.data);

  PbNode zero = get("dagpb_Data_zero");
  REQUIRE(zero.data);
  CHECK(zero.data->empty());

  PbNode some = get("dagpb_Data_some");
  CHECK(some.data == Hex("0001020304"));

  // Links point at the identity CID bafkqabiaaebagba (raw, digest 00 01 02 03 04).
  PbNode hash_only = get("dagpb_Links_Hash_some");
  REQUIRE(hash_only.links.size() == 1);
  CHECK(hash_only.links[0].hash.ToString() == "bafkqabiaaebagba");
  CHECK(hash_only.links[0].hash.hash().is_identity());
  CHECK_FALSE(hash_only.links[0].name);
  CHECK_FALSE(hash_only.links[0].tsize);

  PbNode name_zero = get("dagpb_Links_Hash_some_Name_zero");
  REQUIRE(name_zero.links[0].name);
  CHECK(name_zero.links[0].name->empty());
  CHECK(get("dagpb_Links_Hash_some_Name_some").links[0].name == "some name");
  CHECK(get("dagpb_Links_Hash_some_Tsize_some").links[0].tsize == 9007199254740991u);  // 2^53 - 1
  CHECK(get("dagpb_Links_Hash_some_Tsize_zero").links[0].tsize == 0u);

  PbNode one = get("dagpb_1link");
  REQUIRE(one.links.size() == 1);
  CHECK(one.links[0].hash.version() == 0);
  CHECK_FALSE(one.data);

  PbNode two = get("dagpb_2link+data");
  REQUIRE(two.links.size() == 2);
  CHECK(two.links[0].name == "some link");
  CHECK(two.links[0].tsize == 100000000u);
  CHECK(two.links[1].name == "some other link");
  CHECK(two.links[1].tsize == 8u);
  CHECK(two.links[0].hash != two.links[1].hash);  // digests differ in the last byte
  CHECK(two.data == ToBytes("some data"));

  PbNode four = get("dagpb_4namedlinks+data");
  REQUIRE(four.links.size() == 4);
  CHECK(four.links[0].name == "audio_only.m4a");
  CHECK(four.links[0].tsize == 23319629u);
  CHECK(four.links[1].name == "chat.txt");
  CHECK(four.links[1].tsize == 996u);
  CHECK(four.links[2].name == "playback.m3u");
  CHECK(four.links[2].tsize == 116u);
  CHECK(four.links[3].name == "zoom_0.mp4");
  CHECK(four.links[3].tsize == 306281879u);
  CHECK(four.data == Hex("0801"));

  PbNode eleven = get("dagpb_11unnamedlinks+data");
  REQUIRE(eleven.links.size() == 11);
  for (const PbLink& link : eleven.links) {
    CHECK(link.name == "");
    CHECK(link.tsize == 262158u);
  }
  CHECK(get("dagpb_7unnamedlinks+data").links.size() == 7);

  PbNode forms3 = get("dagpb_simple_forms_3");
  REQUIRE(forms3.links.size() == 3);
  CHECK_FALSE(forms3.links[0].name);
  CHECK(forms3.links[1].name == "a");
  CHECK(forms3.links[2].name == "a");  // duplicates are dag-pb's business no more than sorting is
}

TEST_CASE("dag-pb negative fixtures of ipld/codec-fixtures are rejected", "[dag_pb]") {
  // negative-fixtures/dag-pb/decode/edges.json
  ExpectReject("1200", "link without Hash");
  ExpectReject("12000a050001020304", "link without Hash");
  ExpectReject("12020a00", "link Hash is not a CID");
  ExpectReject("12021200", "link without Hash");
  ExpectReject("120b1209736f6d65206e616d65", "link without Hash");
  ExpectReject("12021800", "link without Hash");
  ExpectReject("120318f207", "link without Hash");
  ExpectReject(
      "12240a221220cf92fdefcdc34cac009c8b05eb662be0618db9de55ecd42785e9ec6712f8df650a040802180612240a221220cf92fdef"
      "cdc34cac009c8b05eb662be0618db9de55ecd42785e9ec6712f8df65",
      "duplicate Links section");
}

TEST_CASE("dag-pb byte-level rejects of js-dag-pb test-pb.spec.js", "[dag_pb]") {
  SECTION("PBNode bad wire type") {
    for (unsigned wire = 0; wire < 8; ++wire) {
      if (wire == 2) continue;
      Bytes block = Hex("0a050001020304");
      block[0] = static_cast<std::byte>(1 << 3 | wire);
      INFO("wire " << wire);
      auto r = DecodePbNode(block);
      REQUIRE_FALSE(r);
      CHECK_THAT(r.error().message, Catch::Contains("wrong wire type " + std::to_string(wire) + " for PBNode Data"));
    }
  }
  SECTION("PBNode bad field number") {
    for (unsigned field = 0; field < 32; ++field) {
      if (field == 1 || field == 2) continue;
      Bytes block = Hex("0a050001020304");
      block[0] = static_cast<std::byte>(field << 3 | 2);
      INFO("field " << field);
      auto r = DecodePbNode(block);
      REQUIRE_FALSE(r);
      CHECK(r.error().code == ErrorCode::kCorrupt);
      CHECK_THAT(r.error().message, Catch::Contains("unknown field number") && Catch::Contains("PBNode"));
    }
  }
  SECTION("PBNode duplicate Data") { ExpectReject("0a0500010203040a050001020304", "duplicate Data"); }
  SECTION("PBLink bad wire type for Hash, Name, Tsize") {
    for (unsigned wire = 0; wire < 8; ++wire) {
      INFO("wire " << wire);
      if (wire != 2) {
        Bytes block = Hex("120b0a09015500050001020304");
        block[2] = static_cast<std::byte>(1 << 3 | wire);
        auto r = DecodePbNode(block);
        REQUIRE_FALSE(r);
        CHECK_THAT(r.error().message, Catch::Contains("wrong wire type " + std::to_string(wire) + " for PBLink Hash"));
        block = Hex("12160a090155000500010203041209736f6d65206e616d65");
        block[13] = static_cast<std::byte>(2 << 3 | wire);
        r = DecodePbNode(block);
        REQUIRE_FALSE(r);
        CHECK_THAT(r.error().message, Catch::Contains("wrong wire type " + std::to_string(wire) + " for PBLink Name"));
      }
      if (wire != 0) {
        Bytes block = Hex("120e0a0901550005000102030418f207");
        block[13] = static_cast<std::byte>(3 << 3 | wire);
        auto r = DecodePbNode(block);
        REQUIRE_FALSE(r);
        CHECK_THAT(r.error().message,
                   Catch::Contains("wrong wire type " + std::to_string(wire) + " for PBLink Tsize"));
      }
    }
  }
  SECTION("PBLink bad field number") {
    for (unsigned field = 0; field < 32; ++field) {
      if (field >= 1 && field <= 3) continue;
      Bytes block = Hex("120b0a09015500050001020304");
      block[2] = static_cast<std::byte>(field << 3 | 2);
      INFO("field " << field);
      auto r = DecodePbNode(block);
      REQUIRE_FALSE(r);
      CHECK_THAT(r.error().message, Catch::Contains("unknown field number") && Catch::Contains("PBLink"));
    }
  }
  SECTION("PBLink field order and duplicates") {
    ExpectReject("120d12000a09015500050001020304", "Name before Hash");
    ExpectReject("120e18f2070a09015500050001020304", "Tsize before Hash");
    ExpectReject("120518f2071200", "Tsize before Name");
    ExpectReject("12160a090155000500010203040a09015500050001020304", "duplicate Hash");
    ExpectReject("12210a090155000500010203041209736f6d65206e616d651209736f6d65206e616d65", "duplicate Name");
    ExpectReject("12110a0901550005000102030418f20718f207", "duplicate Tsize");
  }
}

TEST_CASE("dag-pb rejects truncation and bad CIDs", "[dag_pb]") {
  ExpectReject("0a050001", "past the end");
  ExpectReject("0a", "bad length");
  ExpectReject("12050a03", "past the end");
  ExpectReject("80", "bad field tag");
  ExpectReject("120b0a0a015500050001020304", "past the end");
  // A Hash holding a CID plus one more byte: "nothing left over".
  ExpectReject("120c0a0a01550005000102030400", "not a CID");
  // A v0 CID cut short, a CID version 2, garbage.
  ExpectReject("12050a0312200a", "not a CID");
  ExpectReject("120b0a09025500050001020304", "not a CID");
  ExpectReject("12030a01ff", "not a CID");
  ExpectReject("12040a021800", "not a CID");  // CID version 24
  ExpectReject("120d0a090155000500010203041880", "bad Tsize varint");
  ExpectReject("12160a0901550005000102030418ffffffffffffffffff7f", "bad Tsize varint");  // over 64 bits
  // The error names the link it is about.
  ExpectReject("120b0a09015500050001020304" "1200", "(link 1)");
}

TEST_CASE("dag-pb accepts Data before Links (noncanonical field order)", "[dag_pb]") {
  // ipld/codec-fixtures noncanonical-fixtures/dag-pb/decode/field-order.json = IPIP-550
  // "Directory containing hello.txt", Data-first and Links-first.
  const Bytes data_first = Hex(
      "0a02080112330a24015512205891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03120968656c6c6f2e7478"
      "741806");
  const Bytes links_first = Hex(
      "12330a24015512205891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03120968656c6c6f2e747874180"
      "60a020801");
  CHECK(CidV1(data_first) == "bafybeigqvyloizmfcdy6scaxnyltftzptaruqa3hnnplfzsbf4sqteiwlm");
  CHECK(CidV1(links_first) == "bafybeigdcg7pksx2zk5336vrfsktjodlr4rbfz37qr3koc5xboxe5ekv24");
  auto a = DecodePbNode(data_first);
  auto b = DecodePbNode(links_first);
  REQUIRE(a);
  REQUIRE(b);
  CHECK(*a == *b);
  REQUIRE(a->links.size() == 1);
  CHECK(a->links[0].name == "hello.txt");
  CHECK(a->links[0].tsize == 6u);
  CHECK(a->links[0].hash.ToString() == "bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am");
  CHECK(a->data == Hex("0801"));
  CHECK(EncodePbNode(*a) == links_first);

  // Data then several Links is one Links run: fine. Links, Data, Links is not; neither is Data twice.
  const std::string link = "120b0a09015500050001020304";
  auto many = DecodePbNode(Hex("0a00" + link + link));
  REQUIRE(many);
  CHECK(many->links.size() == 2);
  CHECK(ToHex(EncodePbNode(*many)) == link + link + "0a00");
  ExpectReject(link + "0a00" + link, "duplicate Links section");
  ExpectReject("0a00" + link + "0a00", "duplicate Data");
}

TEST_CASE("dag-pb encoder writes the canonical form", "[dag_pb]") {
  auto raw = Cid::Parse("bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am");
  REQUIRE(raw);
  PbNode node;
  node.data = Hex("0801");
  node.links.push_back(PbLink{*raw, "hello.txt", 6});
  CHECK(ToHex(EncodePbNode(node)) ==
        "12330a24015512205891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03120968656c6c6f2e74787418"
        "060a020801");
  CHECK(EncodedPbLinkSize(node.links[0]) == 0x35);

  // Links stay in the given order (sorting is the writer's job, not the codec's).
  PbNode unsorted;
  unsorted.links.push_back(PbLink{*raw, "b", std::nullopt});
  unsorted.links.push_back(PbLink{*raw, "a", std::nullopt});
  auto back = DecodePbNode(EncodePbNode(unsorted));
  REQUIRE(back);
  CHECK(back->links[0].name == "b");
  CHECK(back->links[1].name == "a");

  CHECK(EncodePbNode(PbNode{}).empty());

  // Tsize up to 2^64 - 1 takes ten varint bytes.
  PbNode big;
  big.links.push_back(PbLink{*raw, std::nullopt, ~uint64_t{0}});
  Bytes enc = EncodePbNode(big);
  CHECK(ToHex(enc).substr(ToHex(enc).size() - 22) == "18ffffffffffffffffff01");
  CHECK(EncodedPbLinkSize(big.links[0]) == enc.size());
  auto big_back = DecodePbNode(enc);
  REQUIRE(big_back);
  CHECK(*big_back == big);

  // A 200-byte name needs a two-byte length.
  PbNode long_name;
  long_name.links.push_back(PbLink{*raw, std::string(200, 'n'), 1});
  Bytes ln = EncodePbNode(long_name);
  CHECK(EncodedPbLinkSize(long_name.links[0]) == ln.size());
  CHECK(*DecodePbNode(ln) == long_name);
}

Cid RandomCid(std::mt19937_64& rng) {
  Bytes bytes(rng() % 64);
  for (auto& b : bytes) b = static_cast<std::byte>(rng());
  switch (rng() % 4) {
    case 0: return Cid::V0(Multihash::Sha256(bytes));
    case 1: return Cid::V1(Codec::kRaw, Multihash::Sha256(bytes));
    case 2: return Cid::V1(Codec::kDagPb, Multihash::Sha256(bytes));
    default: return Cid::V1(Codec::kRaw, Multihash(static_cast<uint64_t>(HashCode::kIdentity), bytes));
  }
}

PbNode RandomNode(std::mt19937_64& rng) {
  PbNode node;
  size_t n = rng() % 12;
  for (size_t i = 0; i < n; ++i) {
    PbLink link;
    link.hash = RandomCid(rng);
    if (rng() % 4 != 0) {
      std::string name(rng() % 40, '\0');
      for (char& c : name) c = static_cast<char>(rng());
      link.name = std::move(name);
    }
    if (rng() % 4 != 0) link.tsize = rng() % 3 == 0 ? rng() : rng() % 300000;
    node.links.push_back(std::move(link));
  }
  if (rng() % 3 != 0) {
    Bytes data(rng() % 2 == 0 ? rng() % 20 : rng() % 3000);
    for (auto& b : data) b = static_cast<std::byte>(rng());
    node.data = std::move(data);
  }
  return node;
}

TEST_CASE("dag-pb random round trips", "[dag_pb]") {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 2000; ++i) {
    PbNode node = RandomNode(rng);
    Bytes enc = EncodePbNode(node);
    size_t expected = 0;
    for (const PbLink& link : node.links) expected += EncodedPbLinkSize(link);
    auto dec = DecodePbNode(enc);
    REQUIRE(dec);
    REQUIRE(*dec == node);
    REQUIRE(EncodePbNode(*dec) == enc);
    if (!node.data) REQUIRE(expected == enc.size());
  }
}

TEST_CASE("dag-pb decoder survives mutated blocks", "[dag_pb]") {
  std::mt19937_64 rng(1234);
  auto fixtures = LoadCrossCodec();
  int accepted = 0;
  for (int i = 0; i < 30000; ++i) {
    Bytes b = i % 2 == 0 ? fixtures[rng() % fixtures.size()].block : EncodePbNode(RandomNode(rng));
    int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits; ++e) {
      switch (rng() % 3) {
        case 0:
          if (!b.empty()) b[rng() % b.size()] = static_cast<std::byte>(rng());
          break;
        case 1: b.resize(rng() % (b.size() + 1)); break;
        default:
          b.insert(b.begin() + static_cast<std::ptrdiff_t>(rng() % (b.size() + 1)), static_cast<std::byte>(rng()));
      }
    }
    auto r = DecodePbNode(b);
    if (!r) {
      REQUIRE(r.error().code == ErrorCode::kCorrupt);
      continue;
    }
    ++accepted;
    // Accepted input is canonical or differs only in PBNode order or varint form: the
    // re-encoding must decode to the same node and be a fixed point.
    Bytes enc = EncodePbNode(*r);
    auto again = DecodePbNode(enc);
    REQUIRE(again);
    REQUIRE(*again == *r);
    REQUIRE(EncodePbNode(*again) == enc);
  }
  CHECK(accepted > 0);
}

}  // namespace
}  // namespace ipfsfs::ipld
