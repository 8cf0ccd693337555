// Test DAGs: random raw blocks and UnixFS files built from ipld/ encoders.
//
// MakeRawBlock: a raw-codec CIDv1 block of `size` pseudo-random bytes (seeded,
// so reproducible). MakeFileDag: a balanced UnixFS file (dag-pb, CIDv1 raw
// leaves of `chunk` bytes, up to `fanout` links per node), every block listed
// once in DFS order, root first. Header-only; values only.
#ifndef IPFSFS_TESTS_SUPPORT_TEST_DAG_H_
#define IPFSFS_TESTS_SUPPORT_TEST_DAG_H_

#include <cstdint>
#include <random>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "ipld/cid.h"
#include "ipld/dag_pb.h"
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

inline TestBlock MakeRawBlock(size_t size, uint64_t seed) {
  Bytes data = RandomBytes(size, seed);
  return {ipld::Cid::V1(ipld::Codec::kRaw, ipld::Multihash::Sha256(data)), std::move(data)};
}

struct TestDag {
  ipld::Cid root;
  std::vector<TestBlock> blocks;  // DFS order, root first
  uint64_t file_size = 0;
};

inline TestDag MakeFileDag(uint64_t file_size, size_t chunk, size_t fanout, uint64_t seed) {
  // Leaves, then layers of parents until one node remains.
  struct Node {
    ipld::Cid cid;
    uint64_t size;        // file bytes below
    uint64_t tsize;       // block bytes below
    std::vector<size_t> children;  // indexes into `all`
    Bytes data;
  };
  std::vector<Node> all;
  std::vector<size_t> layer;
  uint64_t done = 0;
  uint64_t n = 0;
  do {
    size_t len = static_cast<size_t>(std::min<uint64_t>(chunk, file_size - done));
    TestBlock leaf = MakeRawBlock(len, seed * 1000003 + n++);
    all.push_back({leaf.cid, len, len, {}, std::move(leaf.data)});
    layer.push_back(all.size() - 1);
    done += len;
  } while (done < file_size);
  while (layer.size() > 1 || all[layer[0]].cid.codec() == static_cast<uint64_t>(ipld::Codec::kRaw)) {
    std::vector<size_t> next;
    for (size_t i = 0; i < layer.size(); i += fanout) {
      ipld::PbNode pb;
      ipld::UnixfsData fs;
      fs.type = ipld::UnixfsType::kFile;
      Node parent{};
      for (size_t j = i; j < std::min(layer.size(), i + fanout); ++j) {
        const Node& c = all[layer[j]];
        pb.links.push_back({c.cid, std::string(), c.tsize});
        fs.blocksizes.push_back(c.size);
        parent.size += c.size;
        parent.tsize += c.tsize;
        parent.children.push_back(layer[j]);
      }
      fs.filesize = parent.size;
      pb.data = ipld::EncodeUnixfsData(fs);
      parent.data = ipld::EncodePbNode(pb);
      parent.tsize += parent.data.size();
      parent.cid = ipld::Cid::V1(ipld::Codec::kDagPb, ipld::Multihash::Sha256(parent.data));
      all.push_back(std::move(parent));
      next.push_back(all.size() - 1);
    }
    layer = std::move(next);
  }
  TestDag dag;
  dag.root = all[layer[0]].cid;
  dag.file_size = file_size;
  std::vector<size_t> stack{layer[0]};
  while (!stack.empty()) {
    size_t i = stack.back();
    stack.pop_back();
    dag.blocks.push_back({all[i].cid, all[i].data});
    for (auto it = all[i].children.rbegin(); it != all[i].children.rend(); ++it) stack.push_back(*it);
  }
  return dag;
}

}  // namespace ipfsfs::testing

#endif  // IPFSFS_TESTS_SUPPORT_TEST_DAG_H_
