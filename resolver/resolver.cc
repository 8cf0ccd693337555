#include "resolver/resolver.h"

#include <algorithm>
#include <list>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ipld/hamt.h"

namespace ipfsfs::resolver {

// Shared by every copy of a Resolver and by callbacks in flight.
struct Resolver::State : std::enable_shared_from_this<Resolver::State> {
  State(blockcache::BlockGetter& g, ResolverOptions o) : getter_(g), options_(o) {}

  NodePtr CacheGet(const ipld::Cid& cid);
  NodePtr ExtentNode(const ipld::Cid& cid, bool ahead);
  void CachePut(const NodePtr& node);
  void GetNode(const ipld::Cid& cid, NodeCallback done,
               std::optional<std::chrono::milliseconds> expected = std::nullopt);
  void FindInShard(NodePtr shard, std::string name, uint64_t hash, unsigned level, CidCallback done);

  blockcache::BlockGetter& getter_;
  const ResolverOptions options_;
  std::mutex cache_mu_;
  std::list<NodePtr> lru_;  // GUARDED_BY(cache_mu_): front = most recent
  std::unordered_map<ipld::Cid, std::list<NodePtr>::iterator, ipld::CidHasher> index_;  // GUARDED_BY(cache_mu_)
  std::mutex heads_mu_;
  std::unordered_map<ipld::Multihash, uint64_t, ipld::MultihashHasher> heads_;  // GUARDED_BY(heads_mu_): in flight
};

Resolver::Resolver(blockcache::BlockGetter& getter, ResolverOptions options)
    : state_(std::make_shared<State>(getter, options)) {}

blockcache::BlockGetter& Resolver::getter() const { return state_->getter_; }

void Resolver::GetNode(const ipld::Cid& cid, NodeCallback done) const { state_->GetNode(cid, std::move(done)); }

void Resolver::GetExpectedNode(const ipld::Cid& cid, std::chrono::milliseconds patience, NodeCallback done) const {
  state_->GetNode(cid, std::move(done), patience);
}

void Resolver::GetFileChild(const ipld::Cid& cid, std::optional<std::chrono::milliseconds> patience, bool ahead,
                            NodeCallback done) const {
  if (NodePtr node = state_->ExtentNode(cid, ahead)) return done(std::move(node));
  state_->GetNode(cid, std::move(done), patience);
}

void Resolver::GetNodeAhead(const ipld::Cid& cid, uint64_t head, NodeCallback done) const {
  auto& getter = state_->getter_;
  if (head == 0 || cid.hash().is_identity() || state_->CacheGet(cid) || getter.StoredSize(cid) ||
      getter.FetchingAlone(cid)) {
    return state_->GetNode(cid, std::move(done));
  }
  bool start;
  {
    std::lock_guard lock(state_->heads_mu_);
    start = state_->heads_.try_emplace(cid.hash(), head).second;
  }
  if (start) {
    std::weak_ptr<State> weak = state_;
    getter.PrefetchHead(cid, head, std::max(head, state_->options_.head_max_bytes), [weak, mh = cid.hash()](Status) {
      // Failed or cut short: what it did not bring is asked for alone (GetExpected).
      if (auto self = weak.lock()) {
        std::lock_guard lock(self->heads_mu_);
        self->heads_.erase(mh);
      }
    });
  }
  state_->GetNode(cid, std::move(done), state_->options_.head_patience);
}

uint64_t Resolver::HeadInFlight(const ipld::Cid& root) const {
  std::lock_guard lock(state_->heads_mu_);
  auto it = state_->heads_.find(root.hash());
  return it == state_->heads_.end() ? 0 : it->second;
}

NodePtr Resolver::State::CacheGet(const ipld::Cid& cid) {
  std::lock_guard lock(cache_mu_);
  auto it = index_.find(cid);
  if (it == index_.end()) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second);
  return *it->second;
}

NodePtr Resolver::State::ExtentNode(const ipld::Cid& cid, bool ahead) {
  // Below this a block is cheaper to read than to locate and splice (and
  // a file's inner nodes, a few KiB of links, are decoded whole).
  constexpr uint64_t kMinExtent = 16u << 10;
  if (NodePtr hit = CacheGet(cid)) return hit;  // an inner node decoded before
  auto size = getter_.StoredSize(cid);
  if (!size || *size < kMinExtent) return nullptr;
  auto extent = getter_.GetExtent(cid);
  if (!extent || !*extent) return nullptr;  // an error shows again through GetNode
  // Before the leaf's first bytes are read to decode it: the read-ahead then
  // covers them too.
  if (ahead) (*extent)->WillNeed();
  auto node = DecodeLeafExtent(cid, **extent);
  if (!node) return nullptr;
  return std::make_shared<const Node>(std::move(*node));
}

void Resolver::State::CachePut(const NodePtr& node) {
  if (options_.node_cache_entries == 0 || node->data_length > options_.node_cache_max_inline) return;
  std::lock_guard lock(cache_mu_);
  if (index_.count(node->info.cid)) return;
  lru_.push_front(node);
  index_.emplace(node->info.cid, lru_.begin());
  while (lru_.size() > options_.node_cache_entries) {
    index_.erase(lru_.back()->info.cid);
    lru_.pop_back();
  }
}

void Resolver::State::GetNode(const ipld::Cid& cid, NodeCallback done,
                              std::optional<std::chrono::milliseconds> expected) {
  if (NodePtr hit = CacheGet(cid)) {
    done(std::move(hit));
    return;
  }
  auto decode = [self = shared_from_this(), done = std::move(done)](Result<blockcache::Block> block) {
    if (!block) {
      done(tl::unexpected(std::move(block).error()));
      return;
    }
    auto node = DecodeNode(*block);
    if (!node) {
      done(tl::unexpected(std::move(node).error()));
      return;
    }
    auto ptr = std::make_shared<const Node>(std::move(*node));
    self->CachePut(ptr);
    done(std::move(ptr));
  };
  if (cid.hash().is_identity()) {
    decode(blockcache::Block::FromIdentity(cid));
    return;
  }
  if (expected) {
    getter_.GetExpected(cid, *expected, std::move(decode));
  } else {
    getter_.Get(cid, std::move(decode));
  }
}

void Resolver::FindChild(NodePtr dir, std::string name, CidCallback done) const {
  if (!IsExposableName(name)) {
    done(MakeError(ErrorCode::kNotFound, "no entry named '" + name + "'"));
    return;
  }
  if (dir->info.kind == NodeKind::kDirectory) {
    for (const auto& link : dir->links) {
      if (link.name && *link.name == name) {
        done(link.hash);
        return;
      }
    }
    done(MakeError(ErrorCode::kNotFound, dir->info.cid.ToString() + " has no entry named '" + name + "'"));
    return;
  }
  if (dir->info.kind == NodeKind::kHamtShard) {
    uint64_t hash = ipld::HamtHash(name);
    state_->FindInShard(std::move(dir), std::move(name), hash, 0, std::move(done));
    return;
  }
  done(MakeError(ErrorCode::kInvalidArgument, dir->info.cid.ToString() + " is not a directory"));
}

// Walks one shard per level: the slot of the name's hash at this level holds
// either the entry itself or a sub-shard to descend into.
void Resolver::State::FindInShard(NodePtr shard, std::string name, uint64_t hash, unsigned level, CidCallback done) {
  auto not_found = [&] {
    done(MakeError(ErrorCode::kNotFound, shard->info.cid.ToString() + " has no entry named '" + name + "'"));
  };
  auto bits = ipld::HamtBitsForFanout(shard->fanout);
  if (!bits) return done(tl::unexpected(bits.error().Wrap(shard->info.cid.ToString())));
  auto slot = ipld::HamtIndex(hash, level, *bits);
  if (!slot) return done(tl::unexpected(slot.error().Wrap(shard->info.cid.ToString())));
  auto bitfield = ipld::HamtBitfield::Decode(shard->bitfield, shard->fanout);
  if (bitfield && !bitfield->Test(*slot)) return not_found();
  for (const auto& link : shard->links) {
    if (!link.name) continue;
    auto parsed = ipld::ParseHamtLinkName(*link.name, shard->fanout);
    if (!parsed) return done(tl::unexpected(parsed.error().Wrap(shard->info.cid.ToString())));
    if (parsed->slot != *slot) continue;
    if (!parsed->entry.empty()) {
      if (parsed->entry == name) return done(link.hash);
      continue;  // the one entry in this slot is another name
    }
    uint64_t fanout = shard->fanout;
    ipld::Cid parent = shard->info.cid;
    GetNode(link.hash, [self = shared_from_this(), name = std::move(name), hash, level, fanout, parent,
                        done = std::move(done)](Result<NodePtr> sub) mutable {
      if (!sub) return done(tl::unexpected(std::move(sub).error()));
      if ((*sub)->info.kind != NodeKind::kHamtShard || (*sub)->fanout != fanout) {
        return done(MakeError(ErrorCode::kCorrupt, (*sub)->info.cid.ToString() + ": sub-shard of " +
                                                       parent.ToString() + " is not a shard of the same fanout"));
      }
      self->FindInShard(std::move(*sub), std::move(name), hash, level + 1, std::move(done));
    });
    return;
  }
  not_found();
}

void Resolver::Lookup(NodePtr dir, std::string name, NodeCallback done) const {
  FindChild(std::move(dir), std::move(name), [state = state_, done = std::move(done)](Result<ipld::Cid> cid) {
    if (!cid) return done(tl::unexpected(std::move(cid).error()));
    state->GetNode(*cid, std::move(done));
  });
}

namespace {

struct PathWalk {
  std::vector<std::string> names;
  size_t next = 0;
  NodeCallback done;
};

void Step(Resolver resolver, std::shared_ptr<PathWalk> walk, NodePtr node) {
  if (walk->next == walk->names.size()) return walk->done(std::move(node));
  if (!node->is_directory()) {
    return walk->done(MakeError(ErrorCode::kNotFound, node->info.cid.ToString() + " is not a directory; cannot resolve '" +
                                                          walk->names[walk->next] + "'"));
  }
  std::string name = walk->names[walk->next++];
  resolver.Lookup(std::move(node), std::move(name), [resolver, walk](Result<NodePtr> child) {
    if (!child) return walk->done(tl::unexpected(std::move(child).error()));
    Step(resolver, walk, std::move(*child));
  });
}

}  // namespace

void Resolver::ResolvePath(std::string_view path, NodeCallback done) const {
  std::vector<std::string> parts;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t slash = path.find('/', pos);
    if (slash == std::string_view::npos) slash = path.size();
    std::string_view part = path.substr(pos, slash - pos);
    if (!part.empty() && part != ".") parts.emplace_back(part);
    pos = slash + 1;
  }
  if (!parts.empty() && parts[0] == "ipfs") parts.erase(parts.begin());
  if (parts.empty()) return done(MakeError(ErrorCode::kInvalidArgument, "path '" + std::string(path) + "' names no CID"));
  for (const auto& p : parts) {
    if (p == "..") return done(MakeError(ErrorCode::kInvalidArgument, "path '" + std::string(path) + "' contains '..'"));
  }
  auto root = ipld::Cid::Parse(parts[0]);
  if (!root) return done(tl::unexpected(std::move(root).error()));
  auto walk = std::make_shared<PathWalk>();
  walk->names.assign(parts.begin() + 1, parts.end());
  walk->done = std::move(done);
  GetNode(*root, [resolver = *this, walk](Result<NodePtr> node) {
    if (!node) return walk->done(tl::unexpected(std::move(node).error()));
    Step(resolver, walk, std::move(*node));
  });
}

}  // namespace ipfsfs::resolver
