// CAR responses, verified and stored block by block as they arrive.
//
// The network thread only queues bytes; one pool task at a time parses them
// (framing only) and hands each block to the pool, where blocks are verified and
// committed in parallel. The transfer pauses while 8 MiB wait (queued bytes plus
// blocks being verified), so a CAR is never held whole; a bad block ends the
// stream at once. The result is reported once the response is parsed to its end
// and the last block's task is done.
#include <atomic>
#include <deque>
#include <vector>

#include "blockcache/internal/block_cache_impl.h"
#include "ipld/car.h"
#include "ipld/dag_pb.h"
#include "ipld/unixfs.h"

namespace ipfsfs::blockcache::internal {
namespace {

constexpr size_t kMaxQueued = 8u << 20;

struct CarStream : std::enable_shared_from_this<CarStream> {
  BlockCacheImpl* cache = nullptr;
  ipld::Cid root;
  std::optional<ByteRange> asked;  // a reader's range (CancelRange)
  size_t source = 0;
  std::function<void(Status, uint64_t)> done;

  std::mutex mu;
  std::shared_ptr<FetchHandle> handle;  // GUARDED_BY(mu); set once the request started
  std::deque<Bytes> chunks;        // GUARDED_BY(mu)
  std::vector<Bytes> spare;        // GUARDED_BY(mu): drained buffers, reused (no fresh pages per chunk)
  size_t queued = 0;               // GUARDED_BY(mu)
  bool draining = false;           // GUARDED_BY(mu)
  bool paused = false;             // GUARDED_BY(mu)
  bool net_done = false;           // GUARDED_BY(mu)
  bool reported = false;           // GUARDED_BY(mu)
  size_t verifying = 0;            // GUARDED_BY(mu): bytes of blocks handed to the pool
  size_t pending = 0;              // GUARDED_BY(mu): their tasks
  std::optional<Status> parse_status;  // GUARDED_BY(mu): set when parsing reached the end
  std::optional<Status> net_status;  // GUARDED_BY(mu)
  std::optional<Error> failure;      // GUARDED_BY(mu): a bad block or a bad CAR

  // Pool thread only (one drain at a time).
  ipld::CarParser parser;
  std::atomic<uint64_t> blocks{0};

  std::shared_ptr<FetchHandle> Handle() {
    std::lock_guard<std::mutex> lock(mu);
    return handle;
  }

  bool OnData(ByteSpan bytes) {
    bool post = false;
    {
      std::lock_guard<std::mutex> lock(mu);
      if (failure) return true;  // being cancelled: discard
      if (queued + verifying >= kMaxQueued) {
        paused = true;
        return false;
      }
      Bytes buf;
      if (!spare.empty()) {
        buf = std::move(spare.back());
        spare.pop_back();
      }
      buf.assign(bytes.begin(), bytes.end());
      chunks.push_back(std::move(buf));
      queued += bytes.size();
      if (!draining) post = draining = true;
    }
    if (post) {
      auto self = shared_from_this();
      cache->pool().Post([self] { self->Drain(); });
    }
    return true;
  }

  void OnNetDone(Status status) {
    auto self = shared_from_this();
    cache->pool().Post([self, status] {
      bool finish = false;
      {
        std::lock_guard<std::mutex> lock(self->mu);
        self->net_done = true;
        self->net_status = status;
        finish = !self->draining;
        if (finish) self->draining = true;
      }
      if (finish) self->Drain();
    });
  }

  // Feeds what is queued through the parser; reports when the net is done too.
  void Drain() {
    while (true) {
      Bytes chunk;
      bool resume = false;
      {
        std::lock_guard<std::mutex> lock(mu);
        if (chunks.empty() || failure) {
          chunks.clear();
          queued = 0;
          if (paused && !failure) {
            paused = false;
            resume = true;
          }
          if (net_done) {
            draining = false;
            break;  // finish below
          }
          draining = false;
          if (!resume) return;
        } else {
          chunk = std::move(chunks.front());
          chunks.pop_front();
          queued -= chunk.size();
        }
      }
      if (resume) {
        if (auto h = Handle()) h->Resume();
        return;
      }
      parser.Feed(chunk);
      if (auto s = Parse(); !s) Fail(s.error());
      std::lock_guard<std::mutex> lock(mu);
      if (spare.size() < 8) spare.push_back(std::move(chunk));
    }
    Finish();
  }

  Status Parse() {
    while (true) {
      IPFSFS_ASSIGN_OR_RETURN(auto block, parser.Next());
      if (!block) return OkStatus();
      size_t n = block->data.size();
      {
        std::lock_guard<std::mutex> lock(mu);
        if (failure) return OkStatus();
        ++pending;
        verifying += n;
      }
      auto self = shared_from_this();
      auto data = std::make_shared<const Bytes>(std::move(block->data));
      cache->pool().Post([self, cid = std::move(block->cid), data, n] { self->VerifyOne(cid, data, n); });
    }
  }

  void VerifyOne(const ipld::Cid& cid, const std::shared_ptr<const Bytes>& data, size_t n) {
    auto r = cache->Accept(cid, data, source);
    if (r) ++blocks;
    else Fail(r.error());
    bool resume = false, report = false;
    {
      std::lock_guard<std::mutex> lock(mu);
      --pending;
      verifying -= n;
      if (paused && !failure && !draining && queued + verifying < kMaxQueued / 2) {
        paused = false;
        resume = true;
      }
      report = parse_status.has_value() && pending == 0 && !reported;
    }
    if (resume) {
      if (auto h = Handle()) h->Resume();
    }
    if (report) Report();
  }

  void Fail(const Error& e) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (failure) return;
      failure = e;
    }
    if (auto h = Handle()) h->Cancel();
  }

  // The response is over: parse what is left, then report when no block task is pending.
  void Finish() {
    Status result = OkStatus();
    {
      std::lock_guard<std::mutex> lock(mu);
      if (failure) {
        result = tl::unexpected(*failure);
      } else if (net_status && !*net_status) {
        result = *net_status;
      }
    }
    if (result) {
      parser.Finish();
      auto s = Parse();
      if (!s) {
        result = s;
      } else if (!parser.at_end()) {
        result = MakeError(ErrorCode::kCorrupt, "car for " + root.ToString() + " ended early");
      }
    }
    bool report;
    {
      std::lock_guard<std::mutex> lock(mu);
      parse_status = result;
      report = pending == 0 && !reported;
    }
    if (report) Report();
  }

  void Report() {
    Status result = OkStatus();
    {
      std::lock_guard<std::mutex> lock(mu);
      if (reported) return;
      reported = true;
      result = failure ? Status(tl::unexpected(*failure)) : *parse_status;
      handle.reset();  // the request holds this stream's callbacks: break the cycle
    }
    if (!result && result.error().code != ErrorCode::kCancelled) {
      Log()->debug("car {} from {}: {} ({} blocks)", root.ToString(), cache->source(source).name(),
                   result.error().message, blocks.load());
    }
    auto d = std::move(done);
    d(result, blocks.load());
    cache->EndRequest();
  }
};

}  // namespace

void BlockCacheImpl::CancelCarStreams(const CarStreamFilter& which, const std::string& why) {
  std::vector<std::shared_ptr<void>> chosen;
  {
    std::lock_guard<std::mutex> lock(car_streams_mu_);
    for (auto& w : car_streams_) {
      auto s = w.lock();
      if (!s) continue;
      const auto* stream = static_cast<CarStream*>(s.get());
      if (which(stream->root, stream->asked)) chosen.push_back(std::move(s));
    }
  }
  // Outside the lock: a stream that fails may report, and its done start another.
  for (auto& s : chosen) static_cast<CarStream*>(s.get())->Fail(Error{ErrorCode::kCancelled, why});
}

void BlockCacheImpl::CancelRange(const ipld::Cid& root, ByteRange range) {
  CancelCarStreams(
      [&](const ipld::Cid& r, const std::optional<ByteRange>& asked) { return asked == range && r == root; },
      "ranged car cancelled: its reader is gone");
}

Result<Block> BlockCacheImpl::Accept(const ipld::Cid& cid, std::shared_ptr<const Bytes> data, size_t source) {
  auto block = Block::Verify(cid, std::move(data));
  if (!block) {
    NoteCorrupt(source);
    Log()->warn("{} sent a bad block in a car: {}; source demoted", sources_[source].stats.name,
                block.error().message);
    return tl::unexpected(block.error().Wrap(sources_[source].stats.name));
  }
  if (cid.hash().is_identity()) return block;
  bool have;
  {
    std::lock_guard<std::mutex> lock(mu_);
    have = index_.count(cid.hash()) > 0;
    sources_[source].stats.bytes += block->size();
  }
  Status stored = OkStatus();
  if (!have) {
    ++fetched_blocks_;
    fetched_bytes_ += block->size();
    stored = Commit(*block, 0);
    NoteStored(cid, stored);
  }
  // Looked up only now: a get that missed while the block was being stored
  // waits in inflight_ (GetImpl checks the index and inflight_ under one lock).
  std::shared_ptr<InFlight> waiting;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = inflight_.find(cid.hash());
    if (it != inflight_.end()) waiting = it->second;
  }
  if (waiting) Complete(waiting, *block);  // a reader gets its block even when it cannot be kept
  if (!stored) return tl::unexpected(stored.error());  // a prefetch that cannot store stops
  return block;
}

void BlockCacheImpl::StreamCar(const ipld::Cid& root, PrefetchScope scope, std::optional<ByteRange> bytes,
                               std::function<void(Status, uint64_t)> done, std::optional<ByteRange> asked) {
  if (options_.offline || sources_.empty()) {
    done(MakeError(ErrorCode::kUnavailable, "no source to stream a car from"), 0);
    return;
  }
  size_t source = SIZE_MAX;
  for (size_t i : Ranked()) {
    if (!bytes || sources_[i].source->SupportsByteRanges()) {
      source = i;
      break;
    }
  }
  if (source == SIZE_MAX) {
    done(MakeError(ErrorCode::kUnsupported, "no source serves byte ranges of a file as a car"), 0);
    return;
  }
  bool closing;
  {
    std::lock_guard<std::mutex> lock(mu_);
    closing = closing_;
  }
  if (closing) {  // done takes mu_ itself
    done(MakeError(ErrorCode::kCancelled, "block cache is closing"), 0);
    return;
  }
  auto stream = std::make_shared<CarStream>();
  stream->cache = this;
  stream->root = root;
  stream->asked = asked;
  stream->source = source;
  stream->done = std::move(done);
  BeginRequest();
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++sources_[stream->source].stats.requests;
  }
  {
    std::lock_guard<std::mutex> lock(car_streams_mu_);
    std::erase_if(car_streams_, [](const auto& w) { return w.expired(); });
    car_streams_.push_back(stream);
  }
  auto handle = sources_[stream->source].source->FetchCar(
      root, scope, bytes, [stream](ByteSpan data) { return stream->OnData(data); },
      [stream](Status s) { stream->OnNetDone(std::move(s)); });
  bool cancel;
  {
    std::lock_guard<std::mutex> lock(stream->mu);
    stream->handle = handle;
    cancel = stream->failure.has_value();
  }
  if (cancel) handle->Cancel();
}

void BlockCacheImpl::Prefetch(const ipld::Cid& root, PrefetchScope scope) {
  if (options_.offline || sources_.empty() || root.hash().is_identity()) return;
  {
    // One prefetch per root at a time, and none for a root already fetched whole.
    std::lock_guard<std::mutex> lock(mu_);
    if (closing_ || prefetching_.count(root.hash()) || prefetched_.count(root.hash())) return;
    prefetching_.insert(root.hash());
  }
  StreamCar(root, scope, std::nullopt, [this, root](Status s, uint64_t blocks) {
    std::lock_guard<std::mutex> lock(mu_);
    prefetching_.erase(root.hash());
    if (s) {
      if (prefetched_.size() > 100000) prefetched_.clear();
      prefetched_.insert(root.hash());
    } else {
      Log()->debug("prefetch {}: {} after {} blocks", root.ToString(), s.error().message, blocks);
    }
  });
}

namespace {
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

bool BlockCacheImpl::HasOrComing(const ipld::Cid& cid) {
  if (cid.hash().is_identity()) return true;
  std::lock_guard<std::mutex> lock(mu_);
  if (index_.count(cid.hash())) return true;
  // Asked for alone already (a reader's window): a CAR would bring it twice.
  // A deferred flight waits for a CAR, so it counts as missing.
  auto it = inflight_.find(cid.hash());
  return it != inflight_.end() && !it->second->deferred;
}

void BlockCacheImpl::FindMissingBytes(const ipld::Cid& cid, uint64_t base, uint64_t end, ByteRange want,
                                      int& budget, std::optional<ByteRange>& missing) {
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
  std::optional<uint64_t> stored;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = index_.find(cid.hash());
    if (it != index_.end()) stored = it->second.size;
  }
  if (cid.hash().is_identity()) stored = cid.hash().digest().size();
  if (!stored) return Widen(missing, from, to);
  if (end != UINT64_MAX && *stored >= end - base) return;
  // Anything this walk cannot follow is left to the CAR (the gateway knows).
  if (cid.codec() != static_cast<uint64_t>(ipld::Codec::kDagPb)) return Widen(missing, from, to);
  auto block = GetLocal(cid);
  if (!block || !*block) return Widen(missing, from, to);
  auto node = ipld::DecodePbNode((*block)->bytes());
  if (!node) return Widen(missing, from, to);
  if (node->links.empty()) return;  // a leaf
  if (!node->data) return Widen(missing, from, to);
  auto fs = ipld::DecodeUnixfsData(*node->data);
  if (!fs || fs->blocksizes.size() != node->links.size()) return Widen(missing, from, to);
  uint64_t at = base + (fs->data ? fs->data->size() : 0);
  for (size_t i = 0; i < node->links.size() && at < want.to; ++i) {
    const uint64_t next = at + fs->blocksizes[i];
    // Children beyond their parent's bytes: not a DAG to trust for this.
    if (next < at || next > end) return Widen(missing, std::max(at, want.from), to);
    if (next > want.from) FindMissingBytes(node->links[i].hash, at, next, want, budget, missing);
    at = next;
  }
}

void BlockCacheImpl::PrefetchRange(const ipld::Cid& root, ByteRange range, std::function<void(Status)> done) {
  if (options_.offline || sources_.empty()) {
    done(MakeError(ErrorCode::kUnsupported, "offline: no ranged prefetch"));
    return;
  }
  bool ranges = false;
  for (const auto& src : sources_) ranges = ranges || src.source->SupportsByteRanges();
  if (!ranges) {
    done(MakeError(ErrorCode::kUnsupported, "no source serves byte ranges of a file as a car"));
    return;
  }
  // Every get answered from the cache lately: the file is (most likely) here
  // already, and a CAR would only bring blocks to hash and drop.
  if (SteadyMs() - last_miss_ms_.load(std::memory_order_relaxed) > 1000) {
    done(OkStatus());
    return;
  }
  // Misses lately, maybe another reader's: ask only for what this file lacks.
  std::optional<ByteRange> missing;
  int budget = 4096;  // nodes: a 64 MiB range of 256 KiB blocks visits ~260
  FindMissingBytes(root, 0, UINT64_MAX, range, budget, missing);
  if (!missing) {
    done(OkStatus());
    return;
  }
  const ByteRange asked = range;
  range = *missing;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++car_ranges_;
  }
  StreamCar(root, PrefetchScope::kEntity, range, [this, root, done = std::move(done)](Status s, uint64_t blocks) {
    std::vector<std::shared_ptr<InFlight>> waiting;
    {
      std::lock_guard<std::mutex> lock(mu_);
      // Blocks still awaited once no ranged CAR is left will not come that way.
      if (--car_ranges_ == 0) waiting.swap(deferred_);
    }
    if (!s) Log()->debug("ranged car of {}: {} after {} blocks", root.ToString(), s.error().message, blocks);
    for (auto& f : waiting) StartDeferred(f);
    done(std::move(s));
  }, asked);
}

}  // namespace ipfsfs::blockcache::internal
