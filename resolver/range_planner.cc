#include "resolver/range_planner.h"

#include <algorithm>

#include "resolver/node.h"

namespace ipfsfs::resolver {
namespace {

using blockcache::ByteRange;

void Widen(std::optional<ByteRange>& missing, uint64_t from, uint64_t to) {
  if (from >= to) return;
  if (!missing) {
    missing = ByteRange{from, to};
  } else {
    missing->from = std::min(missing->from, from);
    missing->to = std::max(missing->to, to);
  }
}

}  // namespace

RangePlanner::RangePlanner(blockcache::BlockGetter& getter, RangePlannerOptions options)
    : getter_(getter), options_(std::move(options)) {}

std::optional<ByteRange> RangePlanner::MissingBytes(const ipld::Cid& root, ByteRange want) const {
  // Every get answered from the cache lately: the file is (most likely) here
  // already, and a CAR would only bring blocks to hash and drop.
  if (auto last = getter_.LastMiss()) {
    auto now = options_.now ? options_.now() : std::chrono::steady_clock::now();
    if (now - *last > options_.recent_miss) return std::nullopt;
  }
  // Misses lately, maybe another reader's: ask only for what this file lacks.
  std::optional<ByteRange> missing;
  int budget = options_.node_budget;
  Walk(root, 0, UINT64_MAX, want, budget, missing);
  return missing;
}

bool RangePlanner::HasOrComing(const ipld::Cid& cid) const {
  return cid.hash().is_identity() || getter_.StoredSize(cid) || getter_.FetchingAlone(cid);
}

void RangePlanner::Walk(const ipld::Cid& cid, uint64_t base, uint64_t end, ByteRange want, int& budget,
                        std::optional<ByteRange>& missing) const {
  const uint64_t from = std::max(base, want.from);
  const uint64_t to = std::min(end, want.to);
  if (from >= to) return;
  // Bounded work on the reader's thread, whatever a DAG claims (a node may
  // link the same child many times): past the budget, the CAR decides.
  if (--budget < 0) return Widen(missing, from, to);
  if (cid.codec() == static_cast<uint64_t>(ipld::Codec::kRaw)) {
    if (!HasOrComing(cid)) Widen(missing, from, to);
    return;
  }
  // A dag-pb block at least as big as the file bytes under it holds them
  // itself (a leaf): present is enough, no need to read it.
  std::optional<uint64_t> stored = cid.hash().is_identity() ? cid.hash().digest().size() : getter_.StoredSize(cid);
  if (!stored) return Widen(missing, from, to);
  if (end != UINT64_MAX && *stored >= end - base) return;
  // Anything this walk cannot follow is left to the CAR (the gateway knows).
  if (cid.codec() != static_cast<uint64_t>(ipld::Codec::kDagPb)) return Widen(missing, from, to);
  auto block = getter_.GetLocal(cid);
  if (!block || !*block) return Widen(missing, from, to);
  auto node = DecodeNode(**block);
  if (!node || node->info.kind != NodeKind::kFile) return Widen(missing, from, to);
  if (node->links.empty()) return;  // a leaf
  uint64_t at = base + node->data_length;
  for (size_t i = 0; i < node->links.size() && at < want.to; ++i) {
    const uint64_t next = at + node->blocksizes[i];
    // Children beyond their parent's bytes: not a DAG to trust for this.
    if (next < at || next > end) return Widen(missing, std::max(at, want.from), to);
    if (next > want.from) Walk(node->links[i].hash, at, next, want, budget, missing);
    at = next;
  }
}

}  // namespace ipfsfs::resolver
