// Tests for ipld/hamt.h on real blocks: the 1000-entry HAMT of the
// js-ipfs-unixfs exporter fixtures, rebuilt and walked name by name.
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "ipld/cid.h"
#include "ipld/dag_pb.h"
#include "ipld/hamt.h"
#include "ipld/multibase.h"
#include "ipld/unixfs.h"

namespace ipfsfs::ipld {
namespace {

// The 1000-file HAMT of ipfs/js-ipfs-unixfs exporter test/fixtures/hamt.ts (also
// gateway-conformance single-layer-hamt-with-multi-block-files.car): entries
// 1.txt … 1000.txt, every one linking the same multi-block file.
struct ExporterFixture {
  std::map<std::string, std::pair<std::string, Bytes>> blocks;  // name -> (CID, bytes)
};

ExporterFixture LoadExporterFixture() {
  std::ifstream in(IPFSFS_TESTDATA_DIR "/hamt/exporter_fixture.txt");
  REQUIRE(in.good());
  ExporterFixture f;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string name, cid, b64;
    fields >> name >> cid >> b64;
    Bytes bytes;
    if (b64 != "-") {
      auto decoded = MultibaseDecode("m" + b64);
      REQUIRE(decoded);
      bytes = *decoded;
    }
    f.blocks[name] = {cid, bytes};
  }
  return f;
}

constexpr const char* kFixtureFile = "bafybeigcisqd7m5nf3qmuvjdbakl5bdnh4ocrmacaqkpuh77qjvggmt2sa";
constexpr uint64_t kFixtureFileTsize = 1271;

struct BuiltShard {
  Cid cid;
  uint64_t tsize = 0;
};

// A test-only HAMT writer (fanout 256, CIDv1): one entry per slot, sub-shards
// where names collide. Every block goes into `store` by CID text.
BuiltShard BuildShard(const std::vector<std::string>& names, unsigned level, const Cid& target,
                      std::map<std::string, Bytes>& store) {
  std::map<unsigned, std::vector<std::string>> slots;
  for (const std::string& name : names) slots[*HamtIndex(HamtHash(name), level, 8)].push_back(name);
  HamtBitfield bitfield(256);
  PbNode node;
  uint64_t tsize = 0;
  for (const auto& [slot, members] : slots) {
    bitfield.Set(slot);
    if (members.size() == 1) {
      node.links.push_back(PbLink{target, HamtSlotPrefix(slot, 256) + members[0], kFixtureFileTsize});
    } else {
      BuiltShard child = BuildShard(members, level + 1, target, store);
      node.links.push_back(PbLink{child.cid, HamtSlotPrefix(slot, 256), child.tsize});
    }
    tsize += *node.links.back().tsize;
  }
  UnixfsData fs;
  fs.type = UnixfsType::kHamtShard;
  fs.data = bitfield.Encode();
  fs.hash_type = kHamtHashMurmur3;
  fs.fanout = 256;
  node.data = EncodeUnixfsData(fs);
  Bytes block = EncodePbNode(node);
  Cid cid = Cid::V1(Codec::kDagPb, Multihash::Sha256(block));
  tsize += block.size();
  store[cid.ToString()] = std::move(block);
  return {cid, tsize};
}

// Walks a HAMT from `root` to `name` through the blocks in `store`; returns
// the slot taken at each level and the entry's CID (or nothing when absent).
struct Walk {
  std::vector<unsigned> slots;
  std::optional<Cid> found;
};

Walk Resolve(const Bytes& root, std::string_view name, const std::map<std::string, Bytes>& store) {
  Walk walk;
  const uint64_t hash = HamtHash(name);
  const Bytes* block = &root;
  for (unsigned level = 0;; ++level) {
    auto node = DecodePbNode(*block);
    REQUIRE(node);
    REQUIRE(node->data);
    auto fs = DecodeUnixfsData(*node->data);
    REQUIRE(fs);
    REQUIRE(fs->type == UnixfsType::kHamtShard);
    REQUIRE(fs->hash_type == kHamtHashMurmur3);
    REQUIRE(fs->fanout);
    auto bits = HamtBitsForFanout(*fs->fanout);
    REQUIRE(bits);
    auto bitfield = HamtBitfield::Decode(fs->data ? *fs->data : Bytes{}, *fs->fanout);
    REQUIRE(bitfield);
    auto slot = HamtIndex(hash, level, *bits);
    REQUIRE(slot);
    walk.slots.push_back(*slot);
    if (!bitfield->Test(*slot)) return walk;
    const PbLink* hit = nullptr;
    std::string_view entry;
    for (const PbLink& link : node->links) {
      REQUIRE(link.name);
      auto parsed = ParseHamtLinkName(*link.name, *fs->fanout);
      REQUIRE(parsed);
      if (parsed->slot == *slot) {
        hit = &link;
        entry = parsed->entry;
        break;
      }
    }
    INFO("bitfield marks slot " << *slot);
    REQUIRE(hit != nullptr);
    if (!entry.empty()) {
      if (entry == name) walk.found = hit->hash;
      return walk;
    }
    auto next = store.find(hit->hash.ToString());
    REQUIRE(next != store.end());
    block = &next->second;
  }
}

TEST_CASE("HAMT exporter fixture: rebuilding the 1000-entry root gives its CID", "[hamt][fixture]") {
  ExporterFixture fixture = LoadExporterFixture();
  auto target = Cid::Parse(kFixtureFile);
  REQUIRE(target);
  std::vector<std::string> names;
  for (int i = 1; i <= 1000; ++i) names.push_back(std::to_string(i) + ".txt");
  std::map<std::string, Bytes> store;
  BuiltShard root = BuildShard(names, 0, *target, store);
  CHECK(root.cid.ToString() == fixture.blocks["root"].first);
  const Bytes& root_block = store[root.cid.ToString()];
  CHECK(root_block.size() == 12046);  // ipfs/specs unixfs.md: "Root HAMT block size: 12046 bytes"
  const Bytes& tail = fixture.blocks["root_data_tail"].second;
  REQUIRE(root_block.size() > tail.size());
  CHECK(Bytes(root_block.end() - static_cast<std::ptrdiff_t>(tail.size()), root_block.end()) == tail);

  // ipfs/specs unixfs.md HAMT example: sub-shards 00 and 01.
  auto node = DecodePbNode(root_block);
  REQUIRE(node);
  REQUIRE(node->links.size() >= 2);
  CHECK(node->links[0].name == "00");
  CHECK(node->links[0].hash.ToString() == "bafybeiaebmuestgbpqhkkbrwl2qtjtvs3whkmp2trkbkimuod4yv7oygni");
  CHECK(node->links[0].tsize == 2693u);
  CHECK(node->links[1].name == "01");
  CHECK(node->links[1].hash.ToString() == "bafybeia322onepwqofne3l3ptwltzns52fgapeauhmyynvoojmcvchxptu");
  CHECK(node->links[1].tsize == 7977u);

  // The FD sub-shard is byte-identical to the fixture's intermediate block.
  const auto& [mid_cid, mid_block] = fixture.blocks["intermediate"];
  CHECK(Cid::V1(Codec::kDagPb, Multihash::Sha256(mid_block)).ToString() == mid_cid);
  REQUIRE(store.count(mid_cid) == 1);
  CHECK(store[mid_cid] == mid_block);
  bool fd_links_mid = false;
  for (const PbLink& link : node->links) fd_links_mid |= link.name == "FD" && link.hash.ToString() == mid_cid;
  CHECK(fd_links_mid);
}

TEST_CASE("HAMT exporter fixture: names walk to their slots", "[hamt][fixture]") {
  ExporterFixture fixture = LoadExporterFixture();
  auto target = Cid::Parse(kFixtureFile);
  REQUIRE(target);
  std::vector<std::string> names;
  for (int i = 1; i <= 1000; ++i) names.push_back(std::to_string(i) + ".txt");
  std::map<std::string, Bytes> store;
  BuiltShard root = BuildShard(names, 0, *target, store);
  REQUIRE(root.cid.ToString() == fixture.blocks["root"].first);
  // Resolve through the fixture's own intermediate block, not the rebuilt one.
  const auto& [mid_cid, mid_block] = fixture.blocks["intermediate"];
  store[mid_cid] = mid_block;
  const Bytes root_block = store[root.cid.ToString()];

  auto w507 = Resolve(root_block, "507.txt", store);
  CHECK(w507.slots == std::vector<unsigned>{0xFD, 0x29});
  REQUIRE(w507.found);
  CHECK(w507.found->ToString() == kFixtureFile);
  auto w685 = Resolve(root_block, "685.txt", store);
  CHECK(w685.slots == std::vector<unsigned>{0xFD, 0xE3});
  CHECK(w685.found);
  auto w470 = Resolve(root_block, "470.txt", store);
  CHECK(w470.slots == std::vector<unsigned>{0x00, 0x6E});
  CHECK(w470.found);
  auto w742 = Resolve(root_block, "742.txt", store);
  CHECK(w742.slots == std::vector<unsigned>{0x00, 0xFF});
  CHECK(w742.found);
  for (const std::string& name : names) {
    INFO(name);
    auto w = Resolve(root_block, name, store);
    CHECK(w.found);
    CHECK(w.slots[0] == *HamtIndex(HamtHash(name), 0, 8));
  }
  for (const char* absent : {"1001.txt", "0.txt", "507.TXT", "hello.txt", ""}) {
    INFO(absent);
    CHECK_FALSE(Resolve(root_block, absent, store).found);
  }

  // The intermediate block on its own: two entries, bits 0x29 and 0xE3.
  auto mid = DecodePbNode(mid_block);
  REQUIRE(mid);
  REQUIRE(mid->links.size() == 2);
  CHECK(mid->links[0].name == "29507.txt");
  CHECK(mid->links[1].name == "E3685.txt");
  CHECK(mid->links[0].tsize == kFixtureFileTsize);
  auto mid_fs = DecodeUnixfsData(*mid->data);
  REQUIRE(mid_fs);
  auto mid_bits = HamtBitfield::Decode(*mid_fs->data, 256);
  REQUIRE(mid_bits);
  for (unsigned s = 0; s < 256; ++s) CHECK(mid_bits->Test(s) == (s == 0x29 || s == 0xE3));
}

TEST_CASE("HAMT exporter fixture: the multi-block file", "[hamt][fixture]") {
  ExporterFixture fixture = LoadExporterFixture();
  const auto& [cid, block] = fixture.blocks["file"];
  CHECK(cid == kFixtureFile);
  CHECK(Cid::V1(Codec::kDagPb, Multihash::Sha256(block)).ToString() == cid);
  CHECK(block.size() == 245);  // unixfs.md: root block 245 bytes, Tsize 245 + 1026 = 1271
  auto node = DecodePbNode(block);
  REQUIRE(node);
  CHECK(EncodePbNode(*node) == block);
  auto fs = DecodeUnixfsData(*node->data);
  REQUIRE(fs);
  CHECK(fs->type == UnixfsType::kFile);
  CHECK(fs->ContentSize() == 1026);
  CHECK(fs->blocksizes == std::vector<uint64_t>{256, 256, 256, 256, 2});
  const char* leaves[] = {"bafkreie5noke3mb7hqxukzcy73nl23k6lxszxi5w3dtmuwz62wnvkpsscm",
                          "bafkreih4ephajybraj6wnxsbwjwa77fukurtpl7oj7t7pfq545duhot7cq",
                          "bafkreigu7buvm3cfunb35766dn7tmqyh2um62zcio63en2btvxuybgcpue",
                          "bafkreicll3huefkc3qnrzeony7zcfo7cr3nbx64hnxrqzsixpceg332fhe",
                          "bafkreifst3pqztuvj57lycamoi7z34b4emf7gawxs74nwrc2c7jncmpaqm"};
  REQUIRE(node->links.size() == 5);
  uint64_t tsize = block.size();
  for (size_t i = 0; i < 5; ++i) {
    CHECK(node->links[i].hash.ToString() == leaves[i]);
    CHECK(node->links[i].name == "");
    CHECK(node->links[i].tsize == fs->blocksizes[i]);
    tsize += *node->links[i].tsize;
  }
  CHECK(tsize == kFixtureFileTsize);
  const auto& [last_cid, last_block] = fixture.blocks["file_child_4"];
  CHECK(last_cid == leaves[4]);
  CHECK(AsText(last_block) == "t.");
  CHECK(Cid::V1(Codec::kRaw, Multihash::Sha256(last_block)).ToString() == last_cid);
}

}  // namespace
}  // namespace ipfsfs::ipld
