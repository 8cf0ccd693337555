#include "publish/internal/dag_walk.h"

#include <vector>

#include "ipld/dag_pb.h"

namespace ipfsfs::publish::internal {
namespace {

// dag-pb has links; raw has none; other codecs are not walked (as dag_tools).
Result<std::vector<ipld::Cid>> Links(const blockcache::Block& block) {
  std::vector<ipld::Cid> out;
  if (block.cid().codec() != static_cast<uint64_t>(ipld::Codec::kDagPb)) return out;
  IPFSFS_ASSIGN_OR_RETURN(auto node, ipld::DecodePbNode(block.bytes()));
  for (auto& link : node.links) out.push_back(std::move(link.hash));
  return out;
}

}  // namespace

Result<WalkStats> WalkDepthFirst(blockcache::BlockCache& cache, const ipld::Cid& root,
                                 const std::function<bool(const ipld::Cid&)>& skip,
                                 const std::function<Status(const ipld::Cid&, const blockcache::Block&)>& emit) {
  WalkStats stats;
  std::vector<ipld::Cid> stack{root};
  std::set<ipld::Multihash> seen;
  while (!stack.empty()) {
    ipld::Cid cid = std::move(stack.back());
    stack.pop_back();
    if (!seen.insert(cid.hash()).second) continue;
    if (skip && skip(cid)) continue;
    IPFSFS_ASSIGN_OR_RETURN(auto block, cache.GetBlocking(cid));
    if (!cid.hash().is_identity()) {
      IPFSFS_RETURN_IF_ERROR(emit(cid, block));
      ++stats.blocks;
      stats.bytes += block.size();
    }
    IPFSFS_ASSIGN_OR_RETURN(auto links, Links(block));
    for (auto it = links.rbegin(); it != links.rend(); ++it) stack.push_back(std::move(*it));
  }
  return stats;
}

std::set<ipld::Multihash> LocalDagHashes(blockcache::BlockCache& cache, const ipld::Cid& root) {
  std::set<ipld::Multihash> out;
  std::vector<ipld::Cid> stack{root};
  while (!stack.empty()) {
    ipld::Cid cid = std::move(stack.back());
    stack.pop_back();
    if (out.count(cid.hash())) continue;
    auto block = cache.GetLocal(cid);
    if (!block || !*block) continue;
    out.insert(cid.hash());
    auto links = Links(**block);
    if (!links) continue;
    for (auto& l : *links) stack.push_back(std::move(l));
  }
  return out;
}

}  // namespace ipfsfs::publish::internal
