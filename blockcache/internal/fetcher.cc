#include "blockcache/internal/fetcher.h"

#include <algorithm>

namespace ipfsfs::blockcache::internal {

// One block being fetched; every Get of its multihash waits here. GUARDED_BY(Fetcher::mu_).
struct Fetcher::Flight {
  ipld::Cid cid;
  std::vector<BlockCallback> waiters;
  std::vector<std::shared_ptr<FetchHandle>> handles;
  std::vector<size_t> tried;       // source indexes, in order of attempts
  std::vector<bool> said_missing;  // per source: answered "not found"
  int attempts = 0;
  int outstanding = 0;
  bool done = false;
  bool deferred = false;           // waiting for a ranged CAR to bring it (GetExpected)
  bool any_not_found_only = true;  // every failure so far was kNotFound
  std::optional<Error> last_error;
  Clock::time_point deadline;
};

Fetcher::Fetcher(FetcherOptions options, Sources& sources, WorkerPool& pool, TimerQueue& timers,
                 PendingRequests& requests, Commit commit, Stored stored)
    : options_(options),
      sources_(sources),
      pool_(pool),
      timers_(timers),
      requests_(requests),
      commit_(std::move(commit)),
      stored_(std::move(stored)) {}

bool Fetcher::Fetch(const ipld::Cid& cid, std::optional<std::chrono::milliseconds> patience, BlockCallback& done) {
  const ipld::Multihash& mh = cid.hash();
  std::shared_ptr<Flight> flight;
  bool deferred = false;  // read under mu_: a CAR ending on another thread may start it meanwhile
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (closing_) {
      lock.unlock();
      done(MakeError(ErrorCode::kCancelled, "block cache is closing"));
      return true;
    }
    auto it = inflight_.find(mh);
    if (it != inflight_.end()) {
      it->second->waiters.push_back([cid, done = std::move(done)](Result<Block> r) {
        // Same multihash, maybe another CID form: re-verify under the asked CID.
        if (r && !(r->cid() == cid)) r = Block::Verify(cid, r->shared_bytes());
        done(std::move(r));
      });
      ++coalesced_;
      return true;
    }
    // A ranged CAR may have stored it since the caller looked: waiting for it
    // to come again would wait for nothing. (Deliver looks for entries only
    // after the block is stored.)
    if (patience && stored_(mh)) return false;
    flight = std::make_shared<Flight>();
    flight->cid = cid;
    flight->waiters.push_back(std::move(done));
    flight->said_missing.assign(sources_.size(), false);
    flight->deadline = Clock::now() + options_.fetch_timeout;
    inflight_[mh] = flight;
    if (patience && ranges_ > 0) {
      // A ranged CAR in flight should bring it: no request of its own yet.
      flight->deferred = true;
      flight->deadline += *patience;
      std::erase_if(deferred_, [](const auto& f) { return f->done; });
      deferred_.push_back(flight);
      deferred = true;
    }
  }
  timers_.At(flight->deadline, [this, flight] {
    pool_.Post([this, flight] {
      std::string why;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (flight->done) return;
        if (flight->last_error) why = " (last error: " + flight->last_error->message + ")";
      }
      Complete(flight,
               MakeError(ErrorCode::kTimeout, "block " + flight->cid.ToString() + ": no source answered within " +
                                                  std::to_string(options_.fetch_timeout.count()) + " ms" + why));
    });
  });
  if (deferred) {
    timers_.After(*patience, [this, flight] { pool_.Post([this, flight] { StartDeferred(flight); }); });
  } else {
    StartAttempt(flight);
  }
  return true;
}

void Fetcher::StartDeferred(const std::shared_ptr<Flight>& flight) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (flight->done || !flight->deferred) return;
    flight->deferred = false;
  }
  Log()->debug("block {} did not come with its CAR; asking for it alone", flight->cid.ToString());
  StartAttempt(flight);
}

void Fetcher::StartAttempt(const std::shared_ptr<Flight>& flight) {
  auto ranked = sources_.Ranked();
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
      // Counted under the lock that saw closing_ false: Close() then cannot
      // finish its WaitNone before this request's callback has come.
      requests_.Begin();
    } else if (flight->outstanding == 0) {
      std::string what = "block " + flight->cid.ToString();
      if (flight->any_not_found_only) {
        give_up = Error{ErrorCode::kNotFound, what + " not found on any source"};
        if (flight->last_error) give_up->message += " (" + flight->last_error->message + ")";
      } else {
        give_up =
            flight->last_error ? flight->last_error->Wrap(what) : Error{ErrorCode::kUnavailable, what + ": no source"};
      }
    }
  }
  if (pick == SIZE_MAX) {
    if (give_up) Complete(flight, tl::unexpected(std::move(*give_up)));
    return;
  }
  sources_.NoteRequest(pick);
  auto started = Clock::now();
  auto handle =
      sources_.at(pick).FetchBlock(flight->cid, [this, flight, pick, started](Result<std::shared_ptr<Bytes>> r) {
        pool_.Post([this, flight, pick, started, r = std::move(r)]() mutable {
          OnFetched(flight, pick, started, std::move(r));
          requests_.End();
        });
      });
  bool cancel = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (flight->done)
      cancel = true;
    else
      flight->handles.push_back(handle);
  }
  if (cancel) {
    handle->Cancel();
    return;
  }
  if (sources_.size() > 1) ScheduleHedge(flight, pick);
}

void Fetcher::ScheduleHedge(const std::shared_ptr<Flight>& flight, size_t source) {
  int attempts_then;
  {
    std::lock_guard<std::mutex> lock(mu_);
    attempts_then = flight->attempts;
  }
  timers_.After(sources_.HedgeDelay(source), [this, flight, attempts_then] {
    pool_.Post([this, flight, attempts_then] {
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

void Fetcher::OnFetched(const std::shared_ptr<Flight>& flight, size_t source, Clock::time_point started,
                        Result<std::shared_ptr<Bytes>> result) {
  std::optional<Error> error;
  if (!result) {
    error = result.error();
    if (error->code != ErrorCode::kCancelled) {
      if (error->code == ErrorCode::kNotFound) {
        sources_.NoteMissing(source);
      } else {
        sources_.NoteFailure(source);
      }
      Log()->debug("block {} from {}: {}", flight->cid.ToString(), sources_.name(source), error->message);
    }
  } else {
    auto block = Block::Verify(flight->cid, std::shared_ptr<const Bytes>(std::move(*result)));
    if (!block) {
      bool demoted = sources_.NoteCorrupt(source, flight->cid);
      Log()->warn("{} sent bad bytes for {}: {}; {}", sources_.name(source), flight->cid.ToString(),
                  block.error().message, demoted ? "source demoted" : "the provider that sent them is dropped");
      error = block.error().Wrap(sources_.name(source));
    } else {
      sources_.NoteSuccess(source, std::chrono::duration<double, std::milli>(Clock::now() - started).count(),
                           block->size());
      CountFetched(block->size());
      commit_(*block);
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
    timers_.After(delay, [this, flight] { pool_.Post([this, flight] { StartAttempt(flight); }); });
  } else {
    StartAttempt(flight);
  }
}

void Fetcher::Complete(const std::shared_ptr<Flight>& flight, Result<Block> result) {
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

void Fetcher::Deliver(const Block& block) {
  std::shared_ptr<Flight> waiting;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = inflight_.find(block.cid().hash());
    if (it != inflight_.end()) waiting = it->second;
  }
  if (!waiting) return;
  // Same multihash, maybe another CID form (raw vs dag-pb): the waiters asked
  // for theirs, and a node is decoded by its CID's codec.
  if (waiting->cid == block.cid()) return Complete(waiting, block);
  Complete(waiting, Block::Verify(waiting->cid, block.shared_bytes()));
}

void Fetcher::CountFetched(uint64_t bytes) {
  ++fetched_blocks_;
  fetched_bytes_ += bytes;
}

bool Fetcher::FetchingAlone(const ipld::Multihash& mh) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = inflight_.find(mh);
  return it != inflight_.end() && !it->second->deferred;
}

void Fetcher::BeginRange() {
  std::lock_guard<std::mutex> lock(mu_);
  ++ranges_;
}

void Fetcher::EndRange() {
  std::vector<std::shared_ptr<Flight>> waiting;
  {
    std::lock_guard<std::mutex> lock(mu_);
    // Blocks still awaited once no ranged CAR is left will not come that way.
    if (--ranges_ == 0) waiting.swap(deferred_);
  }
  for (auto& f : waiting) StartDeferred(f);
}

void Fetcher::Wake(const ipld::Multihash& mh) {
  std::shared_ptr<Flight> flight;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = inflight_.find(mh);
    if (it == inflight_.end() || !it->second->deferred) return;
    flight = it->second;
  }
  StartDeferred(flight);
}

void Fetcher::Close() {
  std::vector<std::shared_ptr<Flight>> flights;
  {
    std::lock_guard<std::mutex> lock(mu_);
    closing_ = true;
    for (auto& [mh, f] : inflight_) flights.push_back(f);
  }
  for (auto& f : flights) Complete(f, MakeError(ErrorCode::kCancelled, "block cache is closing"));
}

FetcherCounts Fetcher::Counts() const {
  FetcherCounts c{coalesced_, fetched_blocks_, fetched_bytes_, fetch_errors_, 0};
  std::lock_guard<std::mutex> lock(mu_);
  c.in_flight = inflight_.size();
  return c;
}

}  // namespace ipfsfs::blockcache::internal
