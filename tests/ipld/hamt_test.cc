// Tests for ipld/hamt.h: murmur3 against published vectors, the bucket walk,
// bitfields and link names.
#include "ipld/hamt.h"

#include <algorithm>
#include <cstdio>
#include <string>

#include <catch2/catch.hpp>

#include "ipld/cid.h"
#include "ipld/dag_pb.h"
#include "ipld/unixfs.h"
#include "tests/support/hex.h"

namespace ipfsfs::ipld {
namespace {

using testing::Hex;

std::string Hex64(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

// spaolacci/murmur3 murmur_test.go: seed, h1, h2, input.
struct MurmurRow {
  uint32_t seed;
  uint64_t h1;
  uint64_t h2;
  const char* text;
};
constexpr MurmurRow kSpaolacci[] = {
    {0x00, 0x0000000000000000, 0x0000000000000000, ""},
    {0x00, 0xcbd8a7b341bd9b02, 0x5b1e906a48ae1d19, "hello"},
    {0x00, 0x342fac623a5ebc8e, 0x4cdcbc079642414d, "hello, world"},
    {0x00, 0xb89e5988b737affc, 0x664fc2950231b2cb, "19 Jan 2038 at 3:14:07 AM"},
    {0x00, 0xcd99481f9ee902c9, 0x695da1a38987b6e7, "The quick brown fox jumps over the lazy dog."},
    {0x01, 0x4610abe56eff5cb5, 0x51622daa78f83583, ""},
    {0x01, 0xa78ddff5adae8d10, 0x128900ef20900135, "hello"},
    {0x01, 0x8b95f808840725c6, 0x1597ed5422bd493b, "hello, world"},
    {0x01, 0x2a929de9c8f97b2f, 0x56a41d99af43a2db, "19 Jan 2038 at 3:14:07 AM"},
    {0x01, 0xfb3325171f9744da, 0xaaf8b92a5f722952, "The quick brown fox jumps over the lazy dog."},
    {0x2a, 0xf02aa77dfa1b8523, 0xd1016610da11cbb9, ""},
    {0x2a, 0xc4b8b3c960af6f08, 0x2334b875b0efbc7a, "hello"},
    {0x2a, 0xb91864d797caa956, 0xd5d139a55afe6150, "hello, world"},
    {0x2a, 0xfd8f19ebdc8c6b6a, 0xd30fdc310fa08ff9, "19 Jan 2038 at 3:14:07 AM"},
    {0x2a, 0x74f33c659cda5af7, 0x4ec7a891caf316f0, "The quick brown fox jumps over the lazy dog."},
};

TEST_CASE("murmur3 x64 128 matches spaolacci/murmur3 vectors", "[hamt]") {
  for (const MurmurRow& row : kSpaolacci) {
    INFO("seed " << row.seed << " text '" << row.text << "'");
    auto [h1, h2] = Murmur3X64_128(AsBytes(row.text), row.seed);
    CHECK(Hex64(h1) == Hex64(row.h1));
    CHECK(Hex64(h2) == Hex64(row.h2));
  }
}

TEST_CASE("murmur3 x64 128 matches multiformats/js-murmur3 vectors", "[hamt]") {
  // test/test-basics.spec.js: h1 then h2, big-endian.
  auto [b1, b2] = Murmur3X64_128(AsBytes("beep boop"));
  CHECK(Hex64(b1) + Hex64(b2) == "acfe9c5bbf88f075c0c4df0464430ead");
  auto [t1, t2] = Murmur3X64_128(AsBytes("testFixture"));
  CHECK(Hex64(t1) + Hex64(t2) == "df48782b0b497325f116d6589ef4c112");
}

TEST_CASE("murmur3 x64 128 covers every tail length", "[hamt]") {
  // Input of length n is bytes (i*7+3) & 0xff; digests (h1||h2, big-endian) from
  // @multiformats/murmur3 2.2.8 murmur3128 (the hasher the JS UnixFS importer uses).
  static constexpr std::pair<size_t, const char*> kRows[] = {
      {0, "00000000000000000000000000000000"},  {1, "726ac6dd306a3e594e711127c5b5a8e4"},
      {2, "20397a993ff703622cab193a4622361c"},  {3, "6e3febcaf3b53dcee5bb83e375ffb688"},
      {4, "0e29ed82ded0aa06adb20c1802c28885"},  {5, "a82aed5674c8837030a0320850949358"},
      {6, "46cdbf29123141293fd9512a9d1601ac"},  {7, "becbbf54236ce3a12b3ba492e39cef50"},
      {8, "a5ee2a9a9132d3bd259e7f3a617e003a"},  {9, "51ba2ea10afadbb61f8153c3131e0496"},
      {10, "0cfb7360d9faa194ecb86c2f3d9ba94f"}, {11, "e8c32ab7814b03d013720d13e51ad72d"},
      {12, "92408898cf3ea0707b0fd157afb4f215"}, {13, "d067c85b9518a0270fd77b52596e08ec"},
      {14, "87c460807cb738762b4ff4a6aee2ecf8"}, {15, "ba6a4b5e80ade4f4e00e5a8ff7e8f26d"},
      {16, "c4b099c52f8f4ea17d670219d92afe48"}, {17, "d4ae4b39fe53b1276602453b6681dbe9"},
      {18, "abda0633173c8e39e324b4c61bb1fab9"}, {19, "fb8da97a73286c48a63e0672f1dd646a"},
      {20, "68c959647c4b852f47a01f7ab6ecafcc"}, {21, "ef572bbd37bd4cffb373833552388cec"},
      {22, "3ef71b4b96724a8983a05a3f0a197d37"}, {23, "4dcc0798a0ad45707cc110ecbb0142cd"},
      {24, "ecebc073185cf2dda824e81f1e1ed450"}, {25, "90cd94cfd82e1b1c0b07b1821236d3d0"},
      {26, "d065cd117d0a79811de492a7503f6989"}, {27, "25bf19510bd8f8002f3bf2ecd8ea43e9"},
      {28, "947909dc6fbb0a994e1b7027149d70b6"}, {29, "3573e8ed18d5b7470844c1c68d890d4a"},
      {30, "658c7af80a8fac5e9fbb561421f0e98e"}, {31, "9d91fedff00436fb7ea851ba737ebfd0"},
      {32, "65bdb8dd080643ffbec31b8aa5f3910a"}, {33, "b16757d8c4f72f1a9171ee56072d60a6"},
      {34, "36f32887d9505de80148bfe8f9d2d2bf"}, {35, "43827073936f3060997c53eea1c262f1"},
      {36, "3fcaf101067c352baa73f9ccfb87df0c"}, {37, "2c5b9ecfee19d33558f7886b2cc2d93c"},
      {38, "4c559caee2106b6be0863fe84efa4a3e"}, {39, "8f0f3223bfe2888dc1877ca40de15177"},
      {40, "673bff07bd120303f0656121415a2357"},
  };
  for (const auto& [n, digest] : kRows) {
    Bytes input(n);
    for (size_t i = 0; i < n; ++i) input[i] = static_cast<std::byte>((i * 7 + 3) & 0xff);
    auto [h1, h2] = Murmur3X64_128(input);
    INFO("length " << n);
    CHECK(Hex64(h1) + Hex64(h2) == digest);
  }
}

TEST_CASE("HamtHash and level-0 slots match kubo-add.md 7.5", "[hamt]") {
  struct Row {
    const char* name;
    const char* h1;
    unsigned slot;
  };
  const Row rows[] = {
      {"", "0000000000000000", 0x00},
      {"a", "85555565f6597889", 0x85},
      {"x", "6d16e801ba1afee7", 0x6D},
      {"hello", "cbd8a7b341bd9b02", 0xCB},
      {"hello world", "533f6046eb7f610e", 0x53},
      {"file.txt", "b53875c83534fe3e", 0xB5},
      {"\xc3\xbc" "n\xc3\xaf" "c\xc3\xb8" "d\xc3\xa9-\xe3\x83\x95\xe3\x82\xa1\xe3\x82\xa4\xe3\x83\xab.txt",
       "85618cdd9bade305", 0x85},  // ünïcødé-ファイル.txt
  };
  for (const Row& row : rows) {
    INFO(row.name);
    uint64_t h = HamtHash(row.name);
    CHECK(Hex64(h) == row.h1);
    auto slot = HamtIndex(h, 0, 8);
    REQUIRE(slot);
    CHECK(*slot == row.slot);
  }
}

TEST_CASE("HAMT buckets of the 1000-file fixture and IPIP-550", "[hamt]") {
  // ipfs/specs unixfs.md: 470.txt is 00 then 6E; exporter fixture hamt.ts: 507.txt
  // at FD then 29, 685.txt at FD then E3; IPIP-550: hello.txt at DF.
  struct Row {
    const char* name;
    unsigned level0;
    unsigned level1;
  };
  const Row rows[] = {{"470.txt", 0x00, 0x6E}, {"507.txt", 0xFD, 0x29}, {"685.txt", 0xFD, 0xE3}};
  for (const Row& row : rows) {
    INFO(row.name);
    uint64_t h = HamtHash(row.name);
    CHECK(*HamtIndex(h, 0, 8) == row.level0);
    CHECK(*HamtIndex(h, 1, 8) == row.level1);
  }
  CHECK(*HamtIndex(HamtHash("hello.txt"), 0, 8) == 0xDF);
}

TEST_CASE("HamtIndex reads bits most significant first (boxo hashBits)", "[hamt]") {
  // ipfs/boxo ipld/unixfs/hamt/util_test.go: bytes ff 7f 4f 2d 74 63 23 11.
  const uint64_t h = 0xff7f4f2d74632311ULL;
  const unsigned bytes[] = {255, 127, 79, 45, 116, 99, 35, 17};
  for (unsigned level = 0; level < 8; ++level) {
    auto v = HamtIndex(h, level, 8);
    REQUIRE(v);
    CHECK(*v == bytes[level]);
  }
  auto too_deep = HamtIndex(h, 8, 8);
  REQUIRE_FALSE(too_deep);
  CHECK(too_deep.error().code == ErrorCode::kCorrupt);
  CHECK(too_deep.error().message == "sharded directory too deep");

  // Uneven reads 4,4,3,3,3,15 -> 15,15,3,7,6,20269, rebuilt from 1-bit levels.
  auto read = [&](unsigned offset, unsigned width) {
    unsigned v = 0;
    for (unsigned i = 0; i < width; ++i) v = v << 1 | *HamtIndex(h, offset + i, 1);
    return v;
  };
  CHECK(*HamtIndex(h, 0, 4) == 15);
  CHECK(*HamtIndex(h, 1, 4) == 15);
  CHECK(read(8, 3) == 3);
  CHECK(read(11, 3) == 7);
  CHECK(read(14, 3) == 6);
  CHECK(read(17, 15) == 20269);
  CHECK(HamtIndex(h, 63, 1));
  CHECK_FALSE(HamtIndex(h, 64, 1));

  // 4-bit levels: 16 of them, then too deep.
  CHECK(*HamtIndex(h, 15, 4) == 0x1);
  CHECK_FALSE(HamtIndex(h, 16, 4));
  // Fanout 8 (3 bits): 21 levels use 63 bits; the 22nd would need bits past the end.
  CHECK(*HamtIndex(h, 20, 3) == ((h >> 1) & 7));
  CHECK_FALSE(HamtIndex(h, 21, 3));
  // Huge levels do not overflow into a valid offset.
  CHECK_FALSE(HamtIndex(h, 0x80000000u, 8));
  CHECK(HamtIndex(h, 0, 0).error().code == ErrorCode::kInvalidArgument);
}

TEST_CASE("HamtBitsForFanout accepts powers of two only", "[hamt]") {
  CHECK(*HamtBitsForFanout(2) == 1);
  CHECK(*HamtBitsForFanout(8) == 3);
  CHECK(*HamtBitsForFanout(256) == 8);
  CHECK(*HamtBitsForFanout(1024) == 10);
  CHECK(*HamtBitsForFanout(65536) == 16);
  for (uint64_t bad : {0ull, 1ull, 3ull, 255ull, 257ull, 1000ull, 131072ull, ~0ull}) {
    INFO(bad);
    auto r = HamtBitsForFanout(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::kInvalidArgument);
  }
}

TEST_CASE("HAMT link prefixes are upper-case hex of fanout-1 width", "[hamt]") {
  CHECK(HamtPrefixLength(256) == 2);
  CHECK(HamtPrefixLength(16) == 1);
  CHECK(HamtPrefixLength(2) == 1);
  CHECK(HamtPrefixLength(512) == 3);
  CHECK(HamtPrefixLength(1024) == 3);
  CHECK(HamtPrefixLength(4096) == 3);
  CHECK(HamtPrefixLength(65536) == 4);
  CHECK(HamtSlotPrefix(0, 256) == "00");
  CHECK(HamtSlotPrefix(0x6D, 256) == "6D");
  CHECK(HamtSlotPrefix(0xFF, 256) == "FF");
  CHECK(HamtSlotPrefix(5, 16) == "5");
  CHECK(HamtSlotPrefix(0x2A, 1024) == "02A");
  CHECK(HamtSlotPrefix(0x3FF, 1024) == "3FF");
}

TEST_CASE("ParseHamtLinkName splits slot and entry", "[hamt]") {
  auto a = ParseHamtLinkName("85a", 256);
  REQUIRE(a);
  CHECK(a->slot == 0x85);
  CHECK(a->entry == "a");
  auto shard = ParseHamtLinkName("FD", 256);
  REQUIRE(shard);
  CHECK(shard->slot == 0xFD);
  CHECK(shard->entry.empty());
  auto file = ParseHamtLinkName("B5file.txt", 256);
  REQUIRE(file);
  CHECK(file->slot == 0xB5);
  CHECK(file->entry == "file.txt");
  // An entry name may itself start with hex digits.
  auto hexy = ParseHamtLinkName("29507.txt", 256);
  REQUIRE(hexy);
  CHECK(hexy->slot == 0x29);
  CHECK(hexy->entry == "507.txt");
  auto wide = ParseHamtLinkName("3FFx", 1024);
  REQUIRE(wide);
  CHECK(wide->slot == 0x3FF);
  CHECK(wide->entry == "x");

  for (const char* bad : {"", "8", "fd", "fDx", "G0a", " 0a", "-1"}) {
    INFO("'" << bad << "'");
    auto r = ParseHamtLinkName(bad, 256);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::kCorrupt);
  }
  CHECK_FALSE(ParseHamtLinkName("400a", 1024));  // slot 0x400 >= fanout
}

TEST_CASE("HamtBitfield encodes big-endian without leading zeros", "[hamt]") {
  // IPIP-550: only bucket 223 set -> 28 bytes 80 00 .. 00.
  HamtBitfield one(256);
  one.Set(223);
  Bytes expected(28, std::byte{0});
  expected[0] = std::byte{0x80};
  CHECK(one.Encode() == expected);
  CHECK(one.Test(223));
  CHECK_FALSE(one.Test(222));
  CHECK_FALSE(one.Test(0));

  // kubo-add.md 7.5 illustration: slots CB, B5, 85, 6D -> 26 bytes.
  HamtBitfield four(256);
  for (unsigned s : {0xCBu, 0xB5u, 0x85u, 0x6Du}) four.Set(s);
  CHECK(ToHex(four.Encode()) == "0800002000000000002000002000000000000000000000000000");

  HamtBitfield empty(256);
  CHECK(empty.Encode().empty());

  HamtBitfield low(256);
  low.Set(0);
  low.Set(9);
  CHECK(ToHex(low.Encode()) == "0201");

  HamtBitfield all(256);
  for (unsigned s = 0; s < 256; ++s) all.Set(s);
  CHECK(all.Encode() == Bytes(32, std::byte{0xff}));
  all.Set(256);  // out of range: ignored
  CHECK_FALSE(all.Test(256));
}

TEST_CASE("HamtBitfield decodes short and padded forms", "[hamt]") {
  auto bf = HamtBitfield::Decode(Hex("0800002000000000002000002000000000000000000000000000"), 256);
  REQUIRE(bf);
  for (unsigned s = 0; s < 256; ++s) {
    bool want = s == 0xCB || s == 0xB5 || s == 0x85 || s == 0x6D;
    INFO(s);
    CHECK(bf->Test(s) == want);
  }
  CHECK(ToHex(bf->Encode()) == "0800002000000000002000002000000000000000000000000000");

  auto empty = HamtBitfield::Decode({}, 256);
  REQUIRE(empty);
  CHECK_FALSE(empty->Test(0));

  Bytes full(32, std::byte{0});
  full[31] = std::byte{0x01};
  auto padded = HamtBitfield::Decode(full, 256);
  REQUIRE(padded);
  CHECK(padded->Test(0));
  CHECK(ToHex(padded->Encode()) == "01");

  Bytes zero_extra(33, std::byte{0});
  zero_extra[32] = std::byte{0x02};
  auto extra = HamtBitfield::Decode(zero_extra, 256);
  REQUIRE(extra);
  CHECK(extra->Test(1));

  Bytes too_long(33, std::byte{0});
  too_long[0] = std::byte{1};
  auto bad = HamtBitfield::Decode(too_long, 256);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == ErrorCode::kCorrupt);
  CHECK_FALSE(HamtBitfield::Decode(Hex("01"), 100));  // not a power of two

  // Fanout 1024: 128 bytes wide.
  HamtBitfield wide(1024);
  wide.Set(1023);
  wide.Set(8);
  Bytes enc = wide.Encode();
  CHECK(enc.size() == 128);
  auto back = HamtBitfield::Decode(enc, 1024);
  REQUIRE(back);
  CHECK(back->Test(1023));
  CHECK(back->Test(8));
  CHECK_FALSE(back->Test(7));
}

// IPIP-550 "Test fixtures": a one-entry HAMTShard in both PBNode orders.
TEST_CASE("IPIP-550 HAMT shard resolves hello.txt in both field orders", "[hamt][ipip550]") {
  const char* kDataFirst =
      "0a250805121c80000000000000000000000000000000000000000000000000000000282230800212350a24015512205891b5b5"
      "22d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03120b444668656c6c6f2e7478741806";
  const char* kLinksFirst =
      "12350a24015512205891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03120b444668656c6c6f2e"
      "7478741806"
      "0a250805121c800000000000000000000000000000000000000000000000000000002822308002";
  for (const char* hex : {kDataFirst, kLinksFirst}) {
    Bytes block = Hex(hex);
    auto node = DecodePbNode(block);
    REQUIRE(node);
    REQUIRE(node->data);
    auto fs = DecodeUnixfsData(*node->data);
    REQUIRE(fs);
    CHECK(fs->type == UnixfsType::kHamtShard);
    CHECK(fs->hash_type == kHamtHashMurmur3);
    REQUIRE(fs->fanout == 256u);
    auto bits = HamtBitsForFanout(*fs->fanout);
    REQUIRE(bits);
    auto bitfield = HamtBitfield::Decode(*fs->data, *fs->fanout);
    REQUIRE(bitfield);

    // Resolve "hello.txt": hash, slot, bitfield, link name.
    const std::string name = "hello.txt";
    auto slot = HamtIndex(HamtHash(name), 0, *bits);
    REQUIRE(slot);
    CHECK(*slot == 223);
    CHECK(bitfield->Test(*slot));
    const PbLink* found = nullptr;
    for (const PbLink& link : node->links) {
      REQUIRE(link.name);
      auto parsed = ParseHamtLinkName(*link.name, *fs->fanout);
      REQUIRE(parsed);
      if (parsed->slot == *slot && parsed->entry == name) found = &link;
    }
    REQUIRE(found != nullptr);
    CHECK(found->hash.ToString() == "bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am");
    CHECK(found->tsize == 6u);
    // Re-encoding gives the Links-first (canonical) bytes.
    CHECK(ToHex(EncodePbNode(*node)) == ToHex(Hex(kLinksFirst)));
  }
  CHECK(Cid::V1(Codec::kDagPb, Multihash::Sha256(Hex(kDataFirst))).ToString() ==
        "bafybeicwgy2rlqmqqu3yy2tqvm2wbgdvy3snu4sbbv4wqpvpnoplpzxz74");
  CHECK(Cid::V1(Codec::kDagPb, Multihash::Sha256(Hex(kLinksFirst))).ToString() ==
        "bafybeicjwkfslu7gwyywffvqgse5kiibojtktxcdqhgv7ldj5fjdacuceq");
}

// kubo-add.md 7.5 illustration: four one-byte files forced into one shard.
TEST_CASE("HAMT illustration shard from kubo-add.md 7.5 is byte-exact", "[hamt]") {
  // Each file holds "x": a v0 dag-pb leaf 0a 07 08 02 12 01 78 18 01 (9 bytes).
  UnixfsData leaf;
  leaf.type = UnixfsType::kFile;
  leaf.data = ToBytes("x");
  leaf.filesize = 1;
  PbNode leaf_node;
  leaf_node.data = EncodeUnixfsData(leaf);
  Bytes leaf_block = EncodePbNode(leaf_node);
  REQUIRE(ToHex(leaf_block) == "0a0708021201781801");
  Cid leaf_cid = Cid::V0(Multihash::Sha256(leaf_block));

  HamtBitfield bitfield(256);
  PbNode shard;
  for (const char* name : {"a", "hello", "x", "file.txt"}) {
    unsigned slot = *HamtIndex(HamtHash(name), 0, 8);
    bitfield.Set(slot);
    shard.links.push_back(PbLink{leaf_cid, HamtSlotPrefix(slot, 256) + name, leaf_block.size()});
  }
  std::stable_sort(shard.links.begin(), shard.links.end(),
                   [](const PbLink& a, const PbLink& b) { return *a.name < *b.name; });
  CHECK(*shard.links[0].name == "6Dx");
  CHECK(*shard.links[1].name == "85a");
  CHECK(*shard.links[2].name == "B5file.txt");
  CHECK(*shard.links[3].name == "CBhello");

  UnixfsData fs;
  fs.type = UnixfsType::kHamtShard;
  fs.data = bitfield.Encode();
  fs.hash_type = kHamtHashMurmur3;
  fs.fanout = 256;
  Bytes fs_bytes = EncodeUnixfsData(fs);
  CHECK(ToHex(fs_bytes) == "0805121a08000020000000000020000020000000000000000000000000002822308002");
  shard.data = fs_bytes;
  CHECK(Cid::V0(Multihash::Sha256(EncodePbNode(shard))).ToString() ==
        "QmPePWDMeC9tyTLqJjWPKLozaR4ewJfT1jDT1xcmiyrz3x");
}

}  // namespace
}  // namespace ipfsfs::ipld
