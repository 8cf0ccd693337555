// Leaves hashed in parallel, then kubo's balanced or trickle layout over them.
#include "writeback/file_builder.h"

#include <deque>
#include <future>
#include <memory>
#include <vector>

namespace ipfsfs::writeback {
namespace {

using internal::CidMaker;
using internal::LeafFraming;
using internal::LinkRef;
using internal::Metadata;

struct Leaf {
  Chunk chunk;
  LeafFraming framing;  // dag-pb leaves only
  bool raw = false;
  DagRef ref;
};

Leaf MakeLeaf(Chunk chunk, bool raw, ipld::UnixfsType type, const Metadata& meta, const CidMaker& cids) {
  Leaf leaf;
  leaf.raw = raw;
  leaf.chunk = std::move(chunk);
  uint64_t n = leaf.chunk.bytes.size();
  if (raw) {
    leaf.ref = DagRef{cids.Make(ipld::Codec::kRaw, leaf.chunk.bytes), n, n};
    return leaf;
  }
  leaf.framing = internal::FrameLeaf(type, n, meta);
  ByteSpan parts[3] = {ByteSpan(reinterpret_cast<const std::byte*>(leaf.framing.prefix), leaf.framing.prefix_len),
                       leaf.chunk.bytes, leaf.framing.suffix};
  uint64_t block_len = parts[0].size() + parts[1].size() + parts[2].size();
  leaf.ref = DagRef{cids.Make(ipld::Codec::kDagPb, parts), block_len, n};
  return leaf;
}

constexpr size_t kHashHereBelow = 64u << 10;

// Chunks in, hashed leaves out in file order; hashing runs ahead on the pool
// within a byte and count budget.
class LeafStream {
 public:
  LeafStream(Chunker& chunker, blockcache::WorkerPool& pool, const CidMaker& cids, bool raw, ipld::UnixfsType type,
             size_t max_bytes)
      : chunker_(chunker), pool_(pool), cids_(cids), raw_(raw), type_(type), max_bytes_(max_bytes),
        max_count_(4 * pool.size() + 4) {}

  Result<bool> HasMore() {
    IPFSFS_RETURN_IF_ERROR(Refill());
    return !queue_.empty();
  }

  // The next leaf, hashed but not yet given to the sink (see Emit).
  Result<std::optional<Leaf>> Next() {
    IPFSFS_RETURN_IF_ERROR(Refill());
    if (queue_.empty()) return std::optional<Leaf>();
    auto [future, bytes] = std::move(queue_.front());
    queue_.pop_front();
    queued_bytes_ -= bytes;
    return std::optional<Leaf>(future.get());
  }

 private:
  Status Refill() {
    while (!eof_ && queue_.size() < max_count_ && (queue_.empty() || queued_bytes_ < max_bytes_)) {
      IPFSFS_ASSIGN_OR_RETURN(std::optional<Chunk> chunk, chunker_.Next());
      if (!chunk) {
        eof_ = true;
        break;
      }
      size_t bytes = chunk->bytes.size();
      auto task = std::make_shared<std::packaged_task<Leaf()>>(
          [chunk = std::move(*chunk), raw = raw_, type = type_, cids = cids_]() mutable {
            return MakeLeaf(std::move(chunk), raw, type, Metadata{}, cids);
          });
      queue_.emplace_back(task->get_future(), bytes);
      queued_bytes_ += bytes;
      // A small chunk (a small file, a file's tail) costs less to hash here
      // than to hand to another thread and wait for.
      if (bytes < kHashHereBelow) {
        (*task)();
      } else {
        pool_.Post([task] { (*task)(); });
      }
    }
    return OkStatus();
  }

  Chunker& chunker_;
  blockcache::WorkerPool& pool_;
  const CidMaker& cids_;
  bool raw_;
  ipld::UnixfsType type_;
  size_t max_bytes_;
  size_t max_count_;
  std::deque<std::pair<std::future<Leaf>, size_t>> queue_;
  size_t queued_bytes_ = 0;
  bool eof_ = false;
};

class DagWriter {
 public:
  DagWriter(const ResolvedOptions& options, BlockSink& sink, const CidMaker& cids)
      : options_(options), sink_(sink), cids_(cids) {}

  Status Emit(const Leaf& leaf) {
    if (leaf.ref.cid.hash().is_identity()) return OkStatus();
    if (leaf.raw) return sink_.Put(leaf.ref.cid, leaf.chunk.bytes);
    ByteSpan parts[3] = {ByteSpan(reinterpret_cast<const std::byte*>(leaf.framing.prefix), leaf.framing.prefix_len),
                         leaf.chunk.bytes, leaf.framing.suffix};
    return sink_.Put(leaf.ref.cid, parts);
  }

  // Internal file node over `children`.
  Result<DagRef> Internal(const std::vector<DagRef>& children, const Metadata& meta) {
    std::vector<LinkRef> links;
    std::vector<uint64_t> sizes;
    links.reserve(children.size());
    sizes.reserve(children.size());
    uint64_t tsize = 0, size = 0;
    for (const DagRef& c : children) {
      links.push_back(LinkRef{&c.cid, "", c.tsize});
      sizes.push_back(c.size);
      tsize += c.tsize;
      size += c.size;
    }
    Bytes block = internal::EncodeFileNode(links, sizes, meta);
    ipld::Cid cid = cids_.Make(ipld::Codec::kDagPb, block);
    if (!cid.hash().is_identity()) IPFSFS_RETURN_IF_ERROR(sink_.Put(cid, block));
    return DagRef{std::move(cid), tsize + block.size(), size};
  }

  Result<DagRef> EmitLeaf(Leaf leaf) {
    IPFSFS_RETURN_IF_ERROR(Emit(leaf));
    return std::move(leaf.ref);
  }

  const ResolvedOptions& options_;
  BlockSink& sink_;
  const CidMaker& cids_;
};

// Balanced (§3.2): groups of max_links, bottom-up; a level is wrapped only
// when one more entry arrives, so the last node made is the root.
class Balanced {
 public:
  Balanced(DagWriter& w, LeafStream& leaves) : w_(w), leaves_(leaves), max_(w.options_.options.max_links) {}

  Result<DagRef> Build(const Metadata& meta) {
    size_t count = 0;
    while (true) {
      IPFSFS_ASSIGN_OR_RETURN(std::optional<Leaf> leaf, leaves_.Next());
      if (!leaf) break;
      ++count;
      if (count == 1 && !meta.empty()) {
        IPFSFS_ASSIGN_OR_RETURN(bool more, leaves_.HasMore());
        // A one-chunk file's leaf is its root and carries the metadata.
        if (!more) return w_.EmitLeaf(MakeLeaf(std::move(leaf->chunk), false, ipld::UnixfsType::kFile, meta, w_.cids_));
      }
      IPFSFS_RETURN_IF_ERROR(w_.Emit(*leaf));
      IPFSFS_RETURN_IF_ERROR(Push(0, std::move(leaf->ref)));
    }
    if (count == 0) {
      return w_.EmitLeaf(MakeLeaf(Chunk{}, w_.options_.raw_leaves, ipld::UnixfsType::kFile, meta, w_.cids_));
    }
    for (size_t k = 0;; ++k) {
      bool top = true;
      for (size_t j = k + 1; j < levels_.size(); ++j) top = top && levels_[j].empty();
      if (top) {
        if (levels_[k].size() == 1 && (k == 0 || meta.empty())) return levels_[k][0];
        return w_.Internal(levels_[k], meta);
      }
      if (!levels_[k].empty()) {
        IPFSFS_ASSIGN_OR_RETURN(DagRef node, w_.Internal(levels_[k], Metadata{}));
        levels_[k].clear();
        IPFSFS_RETURN_IF_ERROR(Push(k + 1, std::move(node)));
      }
    }
  }

 private:
  Status Push(size_t k, DagRef ref) {
    if (levels_.size() <= k) levels_.resize(k + 1);
    if (levels_[k].size() == max_) {
      IPFSFS_ASSIGN_OR_RETURN(DagRef node, w_.Internal(levels_[k], Metadata{}));
      levels_[k].clear();
      IPFSFS_RETURN_IF_ERROR(Push(k + 1, std::move(node)));
    }
    levels_[k].push_back(std::move(ref));
    return OkStatus();
  }

  DagWriter& w_;
  LeafStream& leaves_;
  size_t max_;
  std::vector<std::vector<DagRef>> levels_;
};

// Trickle (§3.3): width max_links, each depth repeated 4 times.
class Trickle {
 public:
  static constexpr int kLayerRepeat = 4;
  Trickle(DagWriter& w, LeafStream& leaves) : w_(w), leaves_(leaves), max_(w.options_.options.max_links) {}

  Result<DagRef> Build(const Metadata& meta) {
    std::vector<DagRef> root;
    IPFSFS_RETURN_IF_ERROR(Fill(root, -1));
    return w_.Internal(root, meta);
  }

 private:
  Status Fill(std::vector<DagRef>& node, int max_depth) {
    while (node.size() < max_) {
      IPFSFS_ASSIGN_OR_RETURN(std::optional<Leaf> leaf, leaves_.Next());
      if (!leaf) break;
      IPFSFS_ASSIGN_OR_RETURN(DagRef ref, w_.EmitLeaf(std::move(*leaf)));
      node.push_back(std::move(ref));
    }
    for (int depth = 1; max_depth < 0 || depth < max_depth; ++depth) {
      for (int layer = 0; layer < kLayerRepeat; ++layer) {
        IPFSFS_ASSIGN_OR_RETURN(bool more, leaves_.HasMore());
        if (!more) return OkStatus();
        std::vector<DagRef> child;
        IPFSFS_RETURN_IF_ERROR(Fill(child, depth));
        IPFSFS_ASSIGN_OR_RETURN(DagRef ref, w_.Internal(child, Metadata{}));
        node.push_back(std::move(ref));
      }
    }
    return OkStatus();
  }

  DagWriter& w_;
  LeafStream& leaves_;
  size_t max_;
};

}  // namespace

FileBuilder::FileBuilder(const ResolvedOptions& options, BlockSink& sink, blockcache::WorkerPool& pool)
    : options_(options), sink_(sink), pool_(pool) {
  cids_.version = options.options.cid_version;
  cids_.hash = options.options.hash;
  cids_.inline_blocks = options.options.inline_blocks;
  cids_.inline_limit = options.options.inline_limit;
}

Result<DagRef> FileBuilder::Build(ByteSource& source, const internal::Metadata& meta) {
  std::unique_ptr<Chunker> chunker = MakeChunker(options_.chunker, source);
  bool trickle = options_.options.layout == Layout::kTrickle;
  ipld::UnixfsType leaf_type = trickle ? ipld::UnixfsType::kRaw : ipld::UnixfsType::kFile;
  LeafStream leaves(*chunker, pool_, cids_, options_.raw_leaves, leaf_type, options_.options.max_in_flight_bytes);
  DagWriter writer(options_, sink_, cids_);
  if (trickle) return Trickle(writer, leaves).Build(meta);
  return Balanced(writer, leaves).Build(meta);
}

}  // namespace ipfsfs::writeback
