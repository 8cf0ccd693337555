// Test DAGs, built once for every test and bench: random bytes, raw blocks and
// UnixFS DAGs from the ipld/ encoders.
//
// RandomBytes / PatternBytes: reproducible pseudo-random bytes (two generators,
// because existing tests pin the bytes of each). MakeRawBlock: a raw-codec
// CIDv1 block. DagBuilder: files, directories, HAMT shards and symlinks handed
// to a block sink. MakeFileDag: a balanced UnixFS file (CIDv1 raw leaves of
// `chunk` bytes, up to `fanout` links per node) returned as values, every block
// listed once in DFS order, root first. Header-only; values only.
#ifndef IPFSFS_TESTS_SUPPORT_TEST_DAG_H_
#define IPFSFS_TESTS_SUPPORT_TEST_DAG_H_

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "ipld/cid.h"
#include "ipld/dag_pb.h"
#include "ipld/hamt.h"
#include "ipld/unixfs.h"

namespace ipfsfs::testing {

struct TestBlock {
  ipld::Cid cid;
  Bytes data;
};

inline Bytes RandomBytes(size_t size, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Bytes out(size);
  size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    uint64_t v = rng();
    for (int k = 0; k < 8; ++k) out[i + k] = static_cast<std::byte>(v >> (8 * k));
  }
  for (; i < size; ++i) out[i] = static_cast<std::byte>(rng());
  return out;
}

// Deterministic pseudo-random bytes (xorshift), so tests need no files.
inline Bytes PatternBytes(size_t n, uint64_t seed) {
  Bytes out(n);
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  for (size_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    out[i] = static_cast<std::byte>(x);
  }
  return out;
}

inline TestBlock MakeRawBlock(size_t size, uint64_t seed) {
  Bytes data = RandomBytes(size, seed);
  return {ipld::Cid::V1(ipld::Codec::kRaw, ipld::Multihash::Sha256(data)), std::move(data)};
}

// A link as a directory builder takes it.
struct TestLink {
  std::string name;
  ipld::Cid cid;
  uint64_t tsize = 0;
};

// Builds UnixFS DAGs with the ipld encoders (multi-leaf files, plain and HAMT
// directories, symlinks, hostile names) and hands every block to a sink: a
// store with Put(bytes, codec, version) -> Cid (MemoryBlockGetter) or any
// function. Keeps no blocks itself; not thread-safe.
class DagBuilder {
 public:
  using PutFn = std::function<ipld::Cid(Bytes, ipld::Codec, int)>;
  explicit DagBuilder(PutFn put) : put_(std::move(put)) {}
  template <class Store>
    requires requires(Store& s, Bytes b) { s.Put(std::move(b), ipld::Codec::kRaw, 1); }
  explicit DagBuilder(Store& store)
      : put_([&store](Bytes bytes, ipld::Codec codec, int version) {
          return store.Put(std::move(bytes), codec, version);
        }) {}

  struct FileOptions {
    size_t chunk = 1024;
    size_t max_links = 4;      // small, so tests get several levels
    bool raw_leaves = true;
    int cid_version = 1;       // of dag-pb nodes
    std::optional<uint32_t> mode;
    std::optional<ipld::UnixTime> mtime;
    bool wrap_single_leaf = false;  // a dag-pb root even over one raw leaf
  };

  // A balanced UnixFS file; returns the root link (tsize = DAG size).
  TestLink File(std::string name, ByteSpan content, const FileOptions& o) {
    struct Part {
      ipld::Cid cid;
      uint64_t size;   // content bytes
      uint64_t tsize;  // DAG bytes
    };
    std::vector<Part> level;
    size_t pos = 0;
    do {
      size_t n = std::min(o.chunk, content.size() - pos);
      ByteSpan chunk = content.subspan(pos, n);
      pos += n;
      if (o.raw_leaves) {
        Bytes b(chunk.begin(), chunk.end());
        level.push_back({put_(std::move(b), ipld::Codec::kRaw, 1), n, n});
      } else {
        ipld::UnixfsData d;
        d.type = ipld::UnixfsType::kFile;
        d.data = Bytes(chunk.begin(), chunk.end());
        d.filesize = n;
        if (content.size() <= o.chunk) {
          d.mode = o.mode;
          d.mtime = o.mtime;
        }
        auto [cid, bytes] = PutNodeLinks({}, d, o.cid_version);
        level.push_back({cid, n, bytes});
      }
    } while (pos < content.size());
    bool single = level.size() == 1;
    while (level.size() > 1 || (single && o.raw_leaves && (o.mode || o.mtime || o.wrap_single_leaf))) {
      single = false;
      std::vector<Part> next;
      for (size_t i = 0; i < level.size(); i += o.max_links) {
        ipld::UnixfsData d;
        d.type = ipld::UnixfsType::kFile;
        std::vector<ipld::PbLink> links;
        uint64_t size = 0, tsize = 0;
        for (size_t j = i; j < std::min(level.size(), i + o.max_links); ++j) {
          links.push_back(ipld::PbLink{level[j].cid, std::string(), level[j].tsize});
          d.blocksizes.push_back(level[j].size);
          size += level[j].size;
          tsize += level[j].tsize;
        }
        d.filesize = size;
        if (level.size() <= o.max_links) {
          d.mode = o.mode;
          d.mtime = o.mtime;
        }
        auto node = PutNodeLinks(std::move(links), d, o.cid_version);
        next.push_back({node.first, size, node.second + tsize});
      }
      level = std::move(next);
    }
    return TestLink{std::move(name), level[0].cid, level[0].tsize};
  }

  TestLink Symlink(std::string name, std::string target) {
    ipld::UnixfsData d;
    d.type = ipld::UnixfsType::kSymlink;
    d.data = ToBytes(target);
    auto [cid, size] = PutNodeLinks({}, d, 1);
    return TestLink{std::move(name), cid, size};
  }

  // A plain directory, links in the given order (UnixFS writers sort by name).
  TestLink Directory(std::string name, const std::vector<TestLink>& entries,
                     std::optional<uint32_t> mode = std::nullopt) {
    ipld::UnixfsData d;
    d.type = ipld::UnixfsType::kDirectory;
    d.mode = mode;
    std::vector<ipld::PbLink> links;
    uint64_t tsize = 0;
    for (const auto& e : entries) {
      links.push_back(ipld::PbLink{e.cid, e.name, e.tsize});
      tsize += e.tsize;
    }
    auto [cid, size] = PutNodeLinks(std::move(links), d, 1);
    return TestLink{std::move(name), cid, size + tsize};
  }

  // A HAMT-sharded directory with the given fanout, built as the spec lays it
  // out: one entry per slot, a sub-shard where names collide.
  TestLink Hamt(std::string name, const std::vector<TestLink>& entries, uint64_t fanout = 256) {
    std::vector<std::pair<uint64_t, const TestLink*>> hashed;
    for (const auto& e : entries) hashed.emplace_back(ipld::HamtHash(e.name), &e);
    auto [cid, tsize] = Shard(hashed, fanout, 0);
    return TestLink{std::move(name), cid, tsize};
  }

 private:
  std::pair<ipld::Cid, uint64_t> PutNodeLinks(std::vector<ipld::PbLink> links, const ipld::UnixfsData& d,
                                              int version) {
    ipld::PbNode node;
    node.links = std::move(links);
    node.data = ipld::EncodeUnixfsData(d);
    Bytes bytes = ipld::EncodePbNode(node);
    uint64_t n = bytes.size();
    return {put_(std::move(bytes), ipld::Codec::kDagPb, version), n};
  }

  std::pair<ipld::Cid, uint64_t> Shard(const std::vector<std::pair<uint64_t, const TestLink*>>& entries,
                                       uint64_t fanout, unsigned level) {
    unsigned bits = *ipld::HamtBitsForFanout(fanout);
    std::map<unsigned, std::vector<std::pair<uint64_t, const TestLink*>>> slots;
    for (const auto& e : entries) slots[*ipld::HamtIndex(e.first, level, bits)].push_back(e);
    ipld::HamtBitfield bitfield(fanout);
    std::vector<ipld::PbLink> links;
    uint64_t tsize = 0;
    for (const auto& [slot, group] : slots) {
      bitfield.Set(slot);
      std::string prefix = ipld::HamtSlotPrefix(slot, fanout);
      if (group.size() == 1) {
        links.push_back(ipld::PbLink{group[0].second->cid, prefix + group[0].second->name, group[0].second->tsize});
        tsize += group[0].second->tsize;
      } else {
        auto [sub, sub_tsize] = Shard(group, fanout, level + 1);
        links.push_back(ipld::PbLink{sub, prefix, sub_tsize});
        tsize += sub_tsize;
      }
    }
    ipld::UnixfsData d;
    d.type = ipld::UnixfsType::kHamtShard;
    d.data = bitfield.Encode();
    d.hash_type = ipld::kHamtHashMurmur3;
    d.fanout = fanout;
    auto [cid, size] = PutNodeLinks(std::move(links), d, 1);
    return {cid, size + tsize};
  }

  PutFn put_;
};

struct TestDag {
  ipld::Cid root;
  std::vector<TestBlock> blocks;  // DFS order, root first
  uint64_t file_size = 0;
};

// Leaf n holds RandomBytes(len, seed * 1000003 + n); even a one-leaf file gets
// a dag-pb root.
inline TestDag MakeFileDag(uint64_t file_size, size_t chunk, size_t fanout, uint64_t seed) {
  Bytes content;
  content.reserve(file_size);
  uint64_t n = 0;
  do {
    size_t len = static_cast<size_t>(std::min<uint64_t>(chunk, file_size - content.size()));
    Append(content, RandomBytes(len, seed * 1000003 + n++));
  } while (content.size() < file_size);
  std::unordered_map<ipld::Cid, Bytes, ipld::CidHasher> made;
  DagBuilder builder([&made](Bytes bytes, ipld::Codec codec, int) {
    ipld::Cid cid = ipld::Cid::V1(codec, ipld::Multihash::Sha256(bytes));
    made.emplace(cid, std::move(bytes));
    return cid;
  });
  DagBuilder::FileOptions o;
  o.chunk = chunk;
  o.max_links = fanout;
  o.wrap_single_leaf = true;
  TestDag dag;
  dag.root = builder.File("", content, o).cid;
  dag.file_size = file_size;
  std::vector<ipld::Cid> stack{dag.root};
  while (!stack.empty()) {
    ipld::Cid cid = stack.back();
    stack.pop_back();
    const Bytes& data = made.at(cid);
    if (cid.codec() == static_cast<uint64_t>(ipld::Codec::kDagPb)) {
      auto node = ipld::DecodePbNode(data);  // encoded just above: it decodes
      if (node) {
        for (auto it = node->links.rbegin(); it != node->links.rend(); ++it) stack.push_back(it->hash);
      }
    }
    dag.blocks.push_back({cid, data});
  }
  return dag;
}

}  // namespace ipfsfs::testing

#endif  // IPFSFS_TESTS_SUPPORT_TEST_DAG_H_
