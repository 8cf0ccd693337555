// BlockCache: the composition, and the getter side (get, put, stats).
#include <spdlog/sinks/stdout_color_sinks.h>

#include <algorithm>

#include "blockcache/internal/block_cache_impl.h"
#include "blockcache/memory_tier.h"
#include "blockcache/provider_source.h"

namespace ipfsfs::blockcache {
namespace internal {

std::shared_ptr<spdlog::logger> Log() {
  // Registered once, on stderr: nothing below tools/ writes to stdout. tools/
  // may register its own "blockcache" logger first (file, level).
  static std::shared_ptr<spdlog::logger> logger = [] {
    if (auto l = spdlog::get("blockcache")) return l;
    try {
      return spdlog::stderr_color_mt("blockcache");
    } catch (const spdlog::spdlog_ex&) {
      return spdlog::get("blockcache");
    }
  }();
  return logger;
}

uint64_t NowMs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

BlockCacheImpl::BlockCacheImpl(BlockCacheOptions options, std::unique_ptr<Store> store,
                               std::vector<std::unique_ptr<Source>> sources, std::unique_ptr<net::HttpEngine> engine)
    : options_(std::move(options)),
      disk_(store.get()),
      store_(NewMemoryTier(std::move(store), options_.memory_cache_bytes)),
      sources_(std::make_unique<Sources>(std::move(sources), options_.hedge_min)),
      engine_(std::move(engine)) {}

Status BlockCacheImpl::Init() {
  quota_ = std::make_unique<Quota>(*store_, options_.max_bytes, [this] {
    std::lock_guard<std::mutex> lock(prefetch_mu_);
    prefetched_.clear();  // a root fetched whole may have lost blocks
  });
  IPFSFS_RETURN_IF_ERROR(quota_->Load());
  pool_ = std::make_unique<WorkerPool>(options_.workers);
  timers_ = std::make_unique<TimerQueue>();
  fetcher_ = std::make_unique<Fetcher>(
      FetcherOptions{options_.fetch_timeout, options_.max_attempts}, *sources_, *pool_, *timers_, requests_,
      [this](const Block& block) { NoteStored(block.cid(), quota_->Commit(block, 0)); },
      [this](const ipld::Multihash& mh) { return quota_->Contains(mh); });
  streamer_ = std::make_unique<CarStreamer>(
      *sources_, *pool_, requests_,
      [this](const ipld::Cid& root, const ipld::Cid& cid, std::shared_ptr<const Bytes> data, size_t source) {
        return Accept(root, cid, std::move(data), source);
      });
  ScheduleFlush();
  return OkStatus();
}

// Last-use times reach the store in batches, so a hit costs no write.
void BlockCacheImpl::ScheduleFlush() {
  timers_->After(std::chrono::seconds(30), [this] {
    pool_->Post([this] {
      if (auto s = Flush(); !s) Log()->warn("flushing last-use times: {}", s.error().message);
    });
    ScheduleFlush();
  });
}

BlockCacheImpl::~BlockCacheImpl() {
  closing_ = true;
  fetcher_->Close();
  streamer_->Close();
  requests_.WaitNone();  // every request's callback comes (cancelled ones promptly)
  // Joined before they are released: a timer task (the 30 s flush) uses
  // timers_ and pool_ until the queue's thread is gone.
  timers_->Shutdown();
  pool_->Shutdown();
  timers_.reset();
  pool_.reset();
  streamer_.reset();
  fetcher_.reset();
  if (auto s = Flush(); !s) Log()->warn("flushing last-use times: {}", s.error().message);
  sources_.reset();
  engine_.reset();
  quota_.reset();
  store_.reset();
}

std::chrono::steady_clock::time_point BlockCacheImpl::Now() const {
  return options_.now ? options_.now() : std::chrono::steady_clock::now();
}

void BlockCacheImpl::Get(const ipld::Cid& cid, BlockCallback done) { GetImpl(cid, std::nullopt, std::move(done)); }

void BlockCacheImpl::GetExpected(const ipld::Cid& cid, std::chrono::milliseconds patience, BlockCallback done) {
  GetImpl(cid, patience, std::move(done));
}

std::optional<Block> BlockCacheImpl::ReadStored(const ipld::Cid& cid) {
  const ipld::Multihash& mh = cid.hash();
  if (!quota_->Touch(mh)) return std::nullopt;
  auto data = store_->GetData(mh);
  if (data && *data) {
    // Stored only after Verify; re-hashed only when asked (disks rot, rarely).
    Result<Block> block = options_.hash_on_read ? Block::Verify(cid, std::move(**data))
                                                 : Block::FromStore(cid, std::move(**data));
    if (block) return std::move(*block);
    Log()->error("cached block {} is damaged ({}); dropping it", cid.ToString(), block.error().message);
  } else if (!data) {
    Log()->error("reading cached block {}: {}", cid.ToString(), data.error().message);
    return std::nullopt;  // a read error is not a damaged block: it stays
  }
  (void)quota_->DropDamaged({mh});
  return std::nullopt;
}

void BlockCacheImpl::GetImpl(const ipld::Cid& cid, std::optional<std::chrono::milliseconds> patience,
                             BlockCallback done) {
  if (cid.hash().is_identity()) {
    done(Block::FromIdentity(cid));
    return;
  }
  if (auto block = ReadStored(cid)) {
    ++hits_;
    done(std::move(*block));
    return;
  }
  ++misses_;
  last_miss_.store(Now().time_since_epoch().count(), std::memory_order_relaxed);
  if (options_.offline) {
    done(MakeError(ErrorCode::kNotFound, "block " + cid.ToString() + " is not in the cache (offline)"));
    return;
  }
  if (sources_->empty()) {
    done(MakeError(ErrorCode::kNotFound, "block " + cid.ToString() + " is not in the cache and no source is configured"));
    return;
  }
  if (!fetcher_->Fetch(cid, patience, done)) {
    --misses_;  // counted above; the retry finds it and counts a hit
    GetImpl(cid, std::nullopt, std::move(done));
  }
}

// A full or failing disk must not flood the log: one line when storing starts
// to fail, one when it works again (the blocks are still served meanwhile).
void BlockCacheImpl::NoteStored(const ipld::Cid& cid, const Status& stored) {
  if (stored) {
    if (uint64_t lost = store_failures_.exchange(0); lost > 0) {
      Log()->warn("storing blocks works again ({} blocks were served without being cached)", lost);
    }
    return;
  }
  if (store_failures_.fetch_add(1) == 0) {
    Log()->error("cannot store block {}: {}; blocks are served but not cached until this is fixed", cid.ToString(),
                 stored.error().message);
  }
}

Status BlockCacheImpl::Accept(const ipld::Cid& root, const ipld::Cid& cid, std::shared_ptr<const Bytes> data,
                              size_t source) {
  auto block = Block::Verify(cid, std::move(data));
  if (!block) {
    bool demoted = sources_->NoteCorrupt(source, root);
    Log()->warn("{} sent a bad block in a car: {}; {}", sources_->name(source), block.error().message,
                demoted ? "source demoted" : "the provider that sent it is dropped");
    return tl::unexpected(block.error().Wrap(sources_->name(source)));
  }
  if (cid.hash().is_identity()) return OkStatus();
  sources_->NoteBytes(source, block->size());
  Status stored = OkStatus();
  if (!quota_->Contains(cid.hash())) {
    fetcher_->CountFetched(block->size());
    stored = quota_->Commit(*block, 0);
    NoteStored(cid, stored);
  }
  // Only now: a get that missed while the block was being stored waits in the
  // fetcher (Fetcher::Fetch checks the store after registering).
  fetcher_->Deliver(*block);  // a reader gets its block even when it cannot be kept
  return stored;              // a prefetch that cannot store stops
}

void BlockCacheImpl::Prefetch(const ipld::Cid& root, PrefetchScope scope) {
  if (options_.offline || sources_->empty() || root.hash().is_identity() || closing_) return;
  {
    // One prefetch per root at a time, and none for a root already fetched whole.
    std::lock_guard<std::mutex> lock(prefetch_mu_);
    if (prefetching_.count(root.hash()) || prefetched_.count(root.hash())) return;
    prefetching_.insert(root.hash());
  }
  streamer_->Stream(root, scope, std::nullopt, [this, root](Status s, uint64_t blocks) {
    std::lock_guard<std::mutex> lock(prefetch_mu_);
    prefetching_.erase(root.hash());
    if (s) {
      if (prefetched_.size() > 100000) prefetched_.clear();
      prefetched_.insert(root.hash());
    } else {
      Log()->debug("prefetch {}: {} after {} blocks", root.ToString(), s.error().message, blocks);
    }
  });
}

Status BlockCacheImpl::Put(const Block& block) {
  if (block.cid().hash().is_identity()) return OkStatus();  // carried by the CID itself
  return quota_->Commit(block, 0);
}

std::shared_ptr<void> BlockCacheImpl::HoldNewBlocks() { return quota_->Hold(); }

Status BlockCacheImpl::Flush() { return quota_->Flush(); }

Result<std::optional<Block>> BlockCacheImpl::GetLocal(const ipld::Cid& cid) {
  if (cid.hash().is_identity()) {
    IPFSFS_ASSIGN_OR_RETURN(auto b, Block::FromIdentity(cid));
    return std::optional<Block>(std::move(b));
  }
  if (!quota_->Contains(cid.hash())) return std::optional<Block>();
  IPFSFS_ASSIGN_OR_RETURN(auto data, store_->GetData(cid.hash()));
  if (!data) return std::optional<Block>();
  if (!options_.hash_on_read) return std::optional<Block>(Block::FromStore(cid, std::move(*data)));
  IPFSFS_ASSIGN_OR_RETURN(auto block, Block::Verify(cid, std::move(*data)));
  return std::optional<Block>(std::move(block));
}

Result<std::optional<BlockExtent>> BlockCacheImpl::GetExtent(const ipld::Cid& cid) {
  if (cid.hash().is_identity() || options_.hash_on_read) return std::optional<BlockExtent>();
  if (!quota_->Touch(cid.hash())) return std::optional<BlockExtent>();
  IPFSFS_ASSIGN_OR_RETURN(auto extent, store_->Locate(cid.hash()));
  if (extent) ++hits_;
  return extent;
}

bool BlockCacheImpl::Has(const ipld::Cid& cid) { return cid.hash().is_identity() || quota_->Contains(cid.hash()); }

std::optional<uint64_t> BlockCacheImpl::StoredSize(const ipld::Cid& cid) {
  if (cid.hash().is_identity()) return cid.hash().digest().size();
  return quota_->StoredSize(cid.hash());
}

bool BlockCacheImpl::FetchingAlone(const ipld::Cid& cid) { return fetcher_->FetchingAlone(cid.hash()); }

std::optional<std::chrono::steady_clock::time_point> BlockCacheImpl::LastMiss() {
  auto ticks = last_miss_.load(std::memory_order_relaxed);
  // No miss yet: as if long ago, so a warm cache plans no CAR.
  if (ticks == 0) return Now() - std::chrono::hours(1);
  return std::chrono::steady_clock::time_point(std::chrono::steady_clock::duration(ticks));
}

Status BlockCacheImpl::CanStreamRanges(const char* what) const {
  if (options_.offline || sources_->empty() || closing_) {
    return MakeError(ErrorCode::kUnsupported, std::string("offline: no ") + what + " prefetch");
  }
  if (!sources_->AnySupportsByteRanges()) {
    return MakeError(ErrorCode::kUnsupported, "no source serves byte ranges of a file as a car");
  }
  return OkStatus();
}

void BlockCacheImpl::PrefetchRange(const ipld::Cid& root, ByteRange range, std::function<void(Status)> done) {
  if (auto can = CanStreamRanges("ranged"); !can) return done(std::move(can));
  fetcher_->BeginRange();
  streamer_->Stream(
      root, PrefetchScope::kEntity, range,
      [this, root, done = std::move(done)](Status s, uint64_t blocks) {
        if (!s) Log()->debug("ranged car of {}: {} after {} blocks", root.ToString(), s.error().message, blocks);
        fetcher_->EndRange();
        done(std::move(s));
      },
      range);
}

void BlockCacheImpl::PrefetchHead(const ipld::Cid& root, uint64_t bytes, uint64_t max_bytes,
                                  std::function<void(Status)> done) {
  if (bytes == 0) return done(MakeError(ErrorCode::kUnsupported, "no head prefetch of 0 bytes"));
  if (auto can = CanStreamRanges("head"); !can) return done(std::move(can));
  fetcher_->BeginRange();
  streamer_->Stream(
      root, PrefetchScope::kEntity, ByteRange{0, bytes},
      [this, root, done = std::move(done)](Status s, uint64_t blocks) {
        if (!s) Log()->debug("head car of {}: {} after {} blocks", root.ToString(), s.error().message, blocks);
        fetcher_->EndRange();
        fetcher_->Wake(root.hash());  // a lookup waits for its root: not behind other CARs
        done(std::move(s));
      },
      std::nullopt, max_bytes);
}

size_t BlockCacheImpl::RangeSources() const {
  if (options_.offline) return 0;
  size_t n = 0;
  for (size_t i = 0; i < sources_->size(); ++i) n += sources_->at(i).SupportsByteRanges() ? 1 : 0;
  return n;
}

void BlockCacheImpl::PrefetchDag(const ipld::Cid& root, PrefetchScope scope, uint64_t max_bytes,
                                 std::function<void(Status)> done) {
  if (options_.offline || sources_->empty() || closing_) {
    done(MakeError(ErrorCode::kUnsupported, "offline: no CAR prefetch"));
    return;
  }
  bool running;
  {
    std::lock_guard<std::mutex> lock(prefetch_mu_);
    running = !dag_streams_.insert(root.hash()).second;
  }
  if (running) {
    done(OkStatus());  // its GetExpected waiters wait for the one in flight
    return;
  }
  // Counted as a range: GetExpected waits for the blocks it brings, and the
  // ones still awaited when it ends are asked for alone.
  fetcher_->BeginRange();
  streamer_->Stream(
      root, scope, std::nullopt,
      [this, root, done = std::move(done)](Status s, uint64_t blocks) {
        {
          std::lock_guard<std::mutex> lock(prefetch_mu_);
          dag_streams_.erase(root.hash());
        }
        if (!s) Log()->debug("car of {}: {} after {} blocks", root.ToString(), s.error().message, blocks);
        fetcher_->EndRange();
        done(std::move(s));
      },
      std::nullopt, max_bytes);
}

void BlockCacheImpl::CancelRange(const ipld::Cid& root, ByteRange range) {
  streamer_->Cancel([&](const ipld::Cid& r, const std::optional<ByteRange>& tag) { return tag == range && r == root; },
                    "ranged car cancelled: its reader is gone");
}

CacheStats BlockCacheImpl::Stats() {
  CacheStats s;
  s.hits = hits_;
  s.misses = misses_;
  auto f = fetcher_->Counts();
  s.coalesced = f.coalesced;
  s.fetched_blocks = f.fetched_blocks;
  s.fetched_bytes = f.fetched_bytes;
  s.fetch_errors = f.fetch_errors;
  s.in_flight = f.in_flight;
  auto q = quota_->Counts();
  s.evicted_blocks = q.evicted_blocks;
  s.stored_blocks = q.stored_blocks;
  s.stored_bytes = q.stored_bytes;
  s.pinned_blocks = q.pinned_blocks;
  s.max_bytes = options_.max_bytes;
  auto roots = store_->Roots();
  s.pinned_roots = roots ? roots->size() : 0;
  s.sources = sources_->Stats();
  return s;
}

}  // namespace internal

Result<std::unique_ptr<BlockCache>> BlockCache::Create(BlockCacheOptions options, std::unique_ptr<Store> store,
                                                       std::vector<std::unique_ptr<Source>> sources) {
  auto cache = std::make_unique<internal::BlockCacheImpl>(std::move(options), std::move(store), std::move(sources),
                                                          nullptr);
  IPFSFS_RETURN_IF_ERROR(cache->Init());
  return std::unique_ptr<BlockCache>(std::move(cache));
}

Result<std::unique_ptr<BlockCache>> BlockCache::Open(BlockCacheOptions options) {
  std::unique_ptr<Store> store;
  if (options.cache_dir.empty()) {
    store = NewMemoryStore();
  } else {
    RocksStoreOptions ro;
    // A pack goes once nothing in it is live: small against the quota, so
    // eviction gives space back as it goes.
    ro.pack_bytes = std::clamp<uint64_t>(options.max_bytes / 16, 1u << 20, 64u << 20);
    IPFSFS_ASSIGN_OR_RETURN(store, OpenRocksStore(options.cache_dir, ro));
  }
  std::unique_ptr<net::HttpEngine> engine;
  std::vector<std::unique_ptr<Source>> sources;
  if (!options.offline && !options.sources.empty()) {
    net::HttpEngineOptions eo;
    eo.threads = options.net_threads;
    IPFSFS_ASSIGN_OR_RETURN(engine, net::HttpEngine::Create(eo));
    HttpSourceOptions so;
    so.request_timeout = options.request_timeout;
    so.connect_timeout = options.connect_timeout;
    for (const auto& spec : options.sources) {
      switch (spec.kind) {
        case SourceSpec::Kind::kGateway: sources.push_back(NewGatewaySource(*engine, spec.url, so)); break;
        case SourceSpec::Kind::kKuboRpc: sources.push_back(NewKuboSource(*engine, spec.url, so)); break;
        case SourceSpec::Kind::kProviders: {
          ProviderSourceOptions po;
          po.http = so;
          sources.push_back(NewProviderSource(*engine, spec.url, po));
          break;
        }
      }
    }
  }
  auto cache = std::make_unique<internal::BlockCacheImpl>(std::move(options), std::move(store), std::move(sources),
                                                          std::move(engine));
  IPFSFS_RETURN_IF_ERROR(cache->Init());
  return std::unique_ptr<BlockCache>(std::move(cache));
}

BlockCache::~BlockCache() = default;

}  // namespace ipfsfs::blockcache
