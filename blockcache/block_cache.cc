// BlockCache: get, in-flight fetches across sources, commit, quota.
#include <algorithm>
#include <thread>

#include <spdlog/sinks/stdout_color_sinks.h>

#include "blockcache/internal/block_cache_impl.h"

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

namespace {
double MsSince(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}
}  // namespace

BlockCacheImpl::BlockCacheImpl(BlockCacheOptions options, std::unique_ptr<Store> store,
                               std::vector<std::unique_ptr<Source>> sources, std::unique_ptr<net::HttpEngine> engine)
    : options_(std::move(options)), store_(std::move(store)), engine_(std::move(engine)) {
  for (auto& s : sources) {
    SourceState st;
    st.stats.name = s->name();
    st.source = std::move(s);
    sources_.push_back(std::move(st));
  }
}

Status BlockCacheImpl::Init() {
  IPFSFS_RETURN_IF_ERROR(store_->ForEachMeta([this](const ipld::Multihash& mh, const BlockMeta& meta) {
    index_[mh] = IndexEntry{meta.size, meta.last_use, meta.pins, false};
    stored_bytes_ += meta.size;
    if (meta.pins > 0) ++pinned_blocks_;
  }));
  pool_ = std::make_unique<WorkerPool>(options_.workers);
  timers_ = std::make_unique<TimerQueue>();
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
  std::vector<std::shared_ptr<InFlight>> flights;
  {
    std::lock_guard<std::mutex> lock(mu_);
    closing_ = true;
    for (auto& [mh, f] : inflight_) flights.push_back(f);
  }
  for (auto& f : flights) Complete(f, MakeError(ErrorCode::kCancelled, "block cache is closing"));
  // A 64 MiB ranged CAR must not hold an unmount up.
  CancelCarStreams([](const ipld::Cid&, const std::optional<ByteRange>&) { return true; }, "block cache is closing");
  // Every request's callback comes (cancelled ones promptly); a short poll keeps
  // this destructor-only wait free of a condition variable the callers notify.
  while (requests_.load(std::memory_order_acquire) != 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  timers_.reset();
  pool_.reset();
  if (auto s = Flush(); !s) Log()->warn("flushing last-use times: {}", s.error().message);
  sources_.clear();
  engine_.reset();
  store_.reset();
}

void BlockCacheImpl::BeginRequest() { requests_.fetch_add(1, std::memory_order_relaxed); }

void BlockCacheImpl::EndRequest() { requests_.fetch_sub(1, std::memory_order_release); }

void BlockCacheImpl::Get(const ipld::Cid& cid, BlockCallback done) { GetImpl(cid, std::nullopt, std::move(done)); }

void BlockCacheImpl::GetExpected(const ipld::Cid& cid, std::chrono::milliseconds patience, BlockCallback done) {
  GetImpl(cid, patience, std::move(done));
}

void BlockCacheImpl::GetImpl(const ipld::Cid& cid, std::optional<std::chrono::milliseconds> patience,
                             BlockCallback done) {
  if (cid.hash().is_identity()) {
    done(Block::FromIdentity(cid));
    return;
  }
  const ipld::Multihash& mh = cid.hash();
  if (auto m = MemoryGet(mh)) {
    Result<Block> block = *m;
    if (!(m->cid() == cid)) block = Block::FromStore(cid, m->shared_bytes());  // another CID form, same multihash
    if (block) {
      ++hits_;
      std::lock_guard<std::mutex> lock(mu_);
      auto it = index_.find(mh);
      if (it != index_.end()) {
        it->second.last_use = NowMs();
        it->second.dirty = true;
      }
    }
    done(std::move(block));
    return;
  }
  bool present = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = index_.find(mh);
    if (it != index_.end()) {
      present = true;
      it->second.last_use = NowMs();
      it->second.dirty = true;
    }
  }
  if (present) {
    auto data = store_->GetData(mh);
    if (data && *data) {
      // Stored only after Verify; re-hashed only when asked (disks rot, rarely).
      Result<Block> block = options_.hash_on_read ? Block::Verify(cid, std::move(**data))
                                                   : Block::FromStore(cid, std::move(**data));
      if (block) {
        ++hits_;
        MemoryPut(*block);
        done(std::move(block));
        return;
      }
      Log()->error("cached block {} is damaged ({}); dropping it", cid.ToString(), block.error().message);
    } else if (!data) {
      Log()->error("reading cached block {}: {}", cid.ToString(), data.error().message);
    }
    bool drop = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = index_.find(mh);
      if (it != index_.end() && data) {
        stored_bytes_ -= it->second.size;
        if (it->second.pins > 0) {
          --pinned_blocks_;
          lost_pins_[it->first] = it->second.pins;  // restored when the block is stored again
        }
        index_.erase(it);
        drop = true;
      }
    }
    if (drop) (void)store_->Delete({mh});
  }
  ++misses_;
  last_miss_ms_.store(SteadyMs(), std::memory_order_relaxed);
  if (options_.offline) {
    done(MakeError(ErrorCode::kNotFound, "block " + cid.ToString() + " is not in the cache (offline)"));
    return;
  }
  if (sources_.empty()) {
    done(MakeError(ErrorCode::kNotFound, "block " + cid.ToString() + " is not in the cache and no source is configured"));
    return;
  }
  std::shared_ptr<InFlight> flight;
  bool stored_meanwhile = false;
  bool deferred = false;  // read under mu_: a CAR ending on another thread may start it meanwhile
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closing_) {
      done(MakeError(ErrorCode::kCancelled, "block cache is closing"));
      return;
    }
    auto it = inflight_.find(mh);
    if (it != inflight_.end()) {
      it->second->waiters.push_back([cid, done = std::move(done)](Result<Block> r) {
        // Same multihash, maybe another CID form: re-verify under the asked CID.
        if (r && !(r->cid() == cid)) r = Block::Verify(cid, r->shared_bytes());
        done(std::move(r));
      });
      ++coalesced_;
      return;
    }
    // A ranged CAR may have stored it since the lookup above: waiting for it
    // to come again would wait for nothing.
    stored_meanwhile = patience && index_.count(mh) > 0;
    if (!stored_meanwhile) {
      flight = std::make_shared<InFlight>();
      flight->cid = cid;
      flight->waiters.push_back(std::move(done));
      flight->said_missing.assign(sources_.size(), false);
      flight->deadline = Clock::now() + options_.fetch_timeout;
      inflight_[mh] = flight;
      if (patience && car_ranges_ > 0) {
        // A ranged CAR in flight should bring it: no request of its own yet.
        flight->deferred = true;
        flight->deadline += *patience;
        std::erase_if(deferred_, [](const auto& f) { return f->done; });
        deferred_.push_back(flight);
        deferred = true;
      }
    }
  }
  if (stored_meanwhile) {
    --misses_;  // counted above; the retry finds it and counts a hit
    return GetImpl(cid, std::nullopt, std::move(done));
  }
  timers_->At(flight->deadline, [this, flight] {
    pool_->Post([this, flight] {
      std::string why;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (flight->done) return;
        if (flight->last_error) why = " (last error: " + flight->last_error->message + ")";
      }
      Complete(flight, MakeError(ErrorCode::kTimeout, "block " + flight->cid.ToString() + ": no source answered within " +
                                                          std::to_string(options_.fetch_timeout.count()) + " ms" + why));
    });
  });
  if (deferred) {
    timers_->After(*patience, [this, flight] { pool_->Post([this, flight] { StartDeferred(flight); }); });
    return;
  }
  StartAttempt(flight);
}

void BlockCacheImpl::StartDeferred(const std::shared_ptr<InFlight>& flight) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (flight->done || !flight->deferred) return;
    flight->deferred = false;
  }
  Log()->debug("block {} did not come with its CAR; asking for it alone", flight->cid.ToString());
  StartAttempt(flight);
}

std::vector<size_t> BlockCacheImpl::Ranked() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<size_t> order(sources_.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  auto now = Clock::now();
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const auto& x = sources_[a];
    const auto& y = sources_[b];
    bool dx = x.demoted_until > now, dy = y.demoted_until > now;
    if (dx != dy) return dy;
    int hx = static_cast<int>(x.stats.health * 10), hy = static_cast<int>(y.stats.health * 10);
    if (hx != hy) return hx > hy;
    // Latency only breaks ties when clearly different (>2x).
    if (x.ewma_ms > 0 && y.ewma_ms > 0 && (x.ewma_ms * 2 < y.ewma_ms || y.ewma_ms * 2 < x.ewma_ms)) {
      return x.ewma_ms < y.ewma_ms;
    }
    return false;
  });
  return order;
}

std::chrono::milliseconds BlockCacheImpl::HedgeDelay(size_t source) {
  std::lock_guard<std::mutex> lock(mu_);
  double usual = sources_[source].ewma_ms;
  auto d = std::chrono::milliseconds(static_cast<int64_t>(usual * 3));
  return std::max(options_.hedge_min, d);
}

void BlockCacheImpl::StartAttempt(const std::shared_ptr<InFlight>& flight) {
  auto ranked = Ranked();
  size_t pick = SIZE_MAX;
  std::optional<Error> give_up;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (flight->done || closing_) return;
    if (flight->attempts < options_.max_attempts) {
      for (size_t i : ranked) {  // an untried source first
        if (std::find(flight->tried.begin(), flight->tried.end(), i) == flight->tried.end()) {
          pick = i;
          break;
        }
      }
      if (pick == SIZE_MAX) {  // then a retry of the best that did not say "missing"
        for (size_t i : ranked) {
          if (!flight->said_missing[i]) {
            pick = i;
            break;
          }
        }
      }
    }
    if (pick != SIZE_MAX) {
      ++flight->attempts;
      ++flight->outstanding;
      flight->tried.push_back(pick);
      ++sources_[pick].stats.requests;
    } else if (flight->outstanding == 0) {
      std::string what = "block " + flight->cid.ToString();
      if (flight->any_not_found_only) {
        give_up = Error{ErrorCode::kNotFound, what + " not found on any source"};
        if (flight->last_error) give_up->message += " (" + flight->last_error->message + ")";
      } else {
        give_up = flight->last_error ? flight->last_error->Wrap(what) : Error{ErrorCode::kUnavailable, what + ": no source"};
      }
    }
  }
  if (pick == SIZE_MAX) {
    if (give_up) Complete(flight, tl::unexpected(std::move(*give_up)));
    return;
  }
  BeginRequest();
  auto started = Clock::now();
  auto handle = sources_[pick].source->FetchBlock(
      flight->cid, [this, flight, pick, started](Result<std::shared_ptr<Bytes>> r) {
        pool_->Post([this, flight, pick, started, r = std::move(r)]() mutable {
          OnFetched(flight, pick, started, std::move(r));
          EndRequest();
        });
      });
  bool cancel = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (flight->done) cancel = true;
    else flight->handles.push_back(handle);
  }
  if (cancel) {
    handle->Cancel();
    return;
  }
  if (sources_.size() > 1) ScheduleHedge(flight, pick);
}

void BlockCacheImpl::ScheduleHedge(const std::shared_ptr<InFlight>& flight, size_t source) {
  int attempts_then;
  {
    std::lock_guard<std::mutex> lock(mu_);
    attempts_then = flight->attempts;
  }
  timers_->After(HedgeDelay(source), [this, flight, attempts_then] {
    pool_->Post([this, flight, attempts_then] {
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (flight->done || closing_ || flight->attempts != attempts_then || flight->outstanding == 0) return;
        if (flight->tried.size() >= sources_.size()) return;  // hedge only to an untried source
      }
      Log()->debug("hedging block {}", flight->cid.ToString());
      StartAttempt(flight);
    });
  });
}

void BlockCacheImpl::NoteSourceResult(size_t source, bool ok, double ms, uint64_t bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& s = sources_[source];
  if (ok) {
    s.ewma_ms = s.ewma_ms == 0 ? ms : 0.8 * s.ewma_ms + 0.2 * ms;
    s.stats.mean_latency_ms = s.ewma_ms;
    s.stats.health = std::min(1.0, s.stats.health * 0.7 + 0.3);
    s.stats.bytes += bytes;
  } else {
    ++s.stats.failures;
    s.stats.health *= 0.6;
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

void BlockCacheImpl::NoteCorrupt(size_t source) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& s = sources_[source];
  ++s.stats.corrupt;
  s.stats.health *= 0.1;
  s.demoted_until = Clock::now() + std::chrono::seconds(60);
}

void BlockCacheImpl::OnFetched(const std::shared_ptr<InFlight>& flight, size_t source, Clock::time_point started,
                               Result<std::shared_ptr<Bytes>> result) {
  std::optional<Error> error;
  if (!result) {
    error = result.error();
    if (error->code != ErrorCode::kCancelled) {
      // A "missing" answer says little about a source's health.
      if (error->code == ErrorCode::kNotFound) {
        std::lock_guard<std::mutex> lock(mu_);
        sources_[source].stats.health *= 0.9;
      } else {
        NoteSourceResult(source, false, 0, 0);
      }
      Log()->debug("block {} from {}: {}", flight->cid.ToString(), sources_[source].stats.name, error->message);
    }
  } else {
    auto block = Block::Verify(flight->cid, std::shared_ptr<const Bytes>(std::move(*result)));
    if (!block) {
      NoteCorrupt(source);
      Log()->warn("{} sent bad bytes for {}: {}; source demoted", sources_[source].stats.name,
                  flight->cid.ToString(), block.error().message);
      error = block.error().Wrap(sources_[source].stats.name);
    } else {
      NoteSourceResult(source, true, MsSince(started), block->size());
      ++fetched_blocks_;
      fetched_bytes_ += block->size();
      NoteStored(flight->cid, Commit(*block, 0));
      MemoryPut(*block);
      Complete(flight, std::move(*block));
      return;
    }
  }
  bool retry = false;
  bool backoff = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    --flight->outstanding;
    if (flight->done) return;
    if (error->code == ErrorCode::kNotFound) {
      flight->said_missing[source] = true;
      if (!flight->last_error) flight->last_error = error;
    } else if (error->code != ErrorCode::kCancelled) {
      flight->any_not_found_only = false;
      flight->last_error = error;
    }
    retry = flight->outstanding == 0;
    backoff = flight->tried.size() >= sources_.size() && flight->attempts < options_.max_attempts;
  }
  if (!retry) return;
  if (backoff) {
    // Every source was asked once: wait a little before asking again.
    auto delay = std::chrono::milliseconds(50) * (1 << std::min(flight->attempts - 1, 5));
    timers_->After(delay, [this, flight] { pool_->Post([this, flight] { StartAttempt(flight); }); });
  } else {
    StartAttempt(flight);
  }
}

void BlockCacheImpl::Complete(const std::shared_ptr<InFlight>& flight, Result<Block> result) {
  std::vector<BlockCallback> waiters;
  std::vector<std::shared_ptr<FetchHandle>> handles;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (flight->done) return;
    flight->done = true;
    auto it = inflight_.find(flight->cid.hash());
    if (it != inflight_.end() && it->second == flight) inflight_.erase(it);
    waiters.swap(flight->waiters);
    handles.swap(flight->handles);
  }
  if (!result && result.error().code != ErrorCode::kCancelled) {
    ++fetch_errors_;
    Log()->debug("get {} failed: {}", flight->cid.ToString(), result.error().message);
  }
  for (auto& h : handles) h->Cancel();
  for (auto& w : waiters) w(result);
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
    IPFSFS_ASSIGN_OR_RETURN(store, OpenRocksStore(options.cache_dir));
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
      sources.push_back(spec.kind == SourceSpec::Kind::kGateway ? NewGatewaySource(*engine, spec.url, so)
                                                                 : NewKuboSource(*engine, spec.url, so));
    }
  }
  auto cache = std::make_unique<internal::BlockCacheImpl>(std::move(options), std::move(store), std::move(sources),
                                                          std::move(engine));
  IPFSFS_RETURN_IF_ERROR(cache->Init());
  return std::unique_ptr<BlockCache>(std::move(cache));
}

BlockCache::~BlockCache() = default;

}  // namespace ipfsfs::blockcache
