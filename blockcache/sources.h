// Sources: the places requests can go (trustless gateways, kubo RPCs, fakes),
// ranked by how well they have answered lately.
//
// Owns its Sources. Knows nothing of what is asked (blocks, CARs, records):
// callers pick an index from Ranked(), send their request to at(i), and
// report how it went (NoteSuccess, NoteFailure, NoteMissing, NoteCorrupt), which
// moves the source's health, latency and counters. A source that sent bad
// bytes is demoted (tried last) for a minute. Thread-safe: one mutex guards the
// health and counters; at(i) is fixed after construction.
#ifndef IPFSFS_BLOCKCACHE_SOURCES_H_
#define IPFSFS_BLOCKCACHE_SOURCES_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "blockcache/source.h"

namespace ipfsfs::blockcache {

// One source's counters (Sources::Stats, CacheStats::sources).
struct SourceStats {
  std::string name;
  uint64_t requests = 0;
  uint64_t failures = 0;  // transport errors, 5xx, timeouts, missing blocks
  uint64_t corrupt = 0;   // bytes that failed their hash
  uint64_t bytes = 0;     // verified bytes received
  double mean_latency_ms = 0;
  double health = 1.0;  // 0..1; lower is tried later
  double throughput = 0;  // bytes/s of its CAR streams lately (0: not measured yet)
  uint64_t streams = 0;   // CAR streams in flight now
  bool demoted = false;   // sent bad bytes lately: tried last
};

class Sources {
 public:
  // A hedged request goes to the next source when the first is slower than
  // max(hedge_min, 3 x that source's usual latency).
  Sources(std::vector<std::unique_ptr<Source>> sources, std::chrono::milliseconds hedge_min);
  Sources(const Sources&) = delete;
  Sources& operator=(const Sources&) = delete;

  size_t size() const { return states_.size(); }
  bool empty() const { return states_.empty(); }
  Source& at(size_t i) const { return *states_[i].source; }
  const std::string& name(size_t i) const { return states_[i].name; }
  bool AnySupportsByteRanges() const;

  // Indexes, best first: not demoted, then healthier, then clearly faster.
  std::vector<size_t> Ranked() const;
  std::chrono::milliseconds HedgeDelay(size_t i) const;

  // Striping: the source for the next CAR stream of about `bytes` bytes (of
  // those `eligible` says may serve it), the one expected to finish it first
  // given the streams it already has and the throughput it showed. Sources
  // not measured yet count as fast as the best one measured, so each gets
  // tried; demoted and unhealthy ones come only when nothing else can.
  // SIZE_MAX when none is eligible. Records the stream as begun on it.
  size_t BeginStream(uint64_t bytes, const std::function<bool(size_t)>& eligible);
  // The stream begun with BeginStream(bytes) on `i` ended after `seconds`,
  // having brought `received` verified bytes.
  void EndStream(size_t i, uint64_t bytes, uint64_t received, double seconds);

  void NoteRequest(size_t i);
  // A good answer after `ms` carrying `bytes` verified bytes.
  void NoteSuccess(size_t i, double ms, uint64_t bytes);
  // Verified bytes that came without a timed answer (a CAR stream's blocks).
  void NoteBytes(size_t i, uint64_t bytes);
  // Transport error, 5xx, timeout.
  void NoteFailure(size_t i);
  // "Not here": says little about a source's health.
  void NoteMissing(size_t i);
  // Bytes that failed their hash: demoted for a while.
  void NoteCorrupt(size_t i);
  // The same for bytes sent for `sent_for` (a block, or a CAR's root), unless
  // the source blames one of its own upstreams (Source::BlameCorrupt): then
  // only counted. True when the source was demoted.
  bool NoteCorrupt(size_t i, const ipld::Cid& sent_for);

  std::vector<SourceStats> Stats() const;

 private:
  using Clock = std::chrono::steady_clock;
  struct State {
    std::unique_ptr<Source> source;
    std::string name;
    SourceStats stats;                  // GUARDED_BY(mu_)
    double ewma_ms = 0;                 // GUARDED_BY(mu_): usual latency of a good answer
    Clock::time_point demoted_until{};  // GUARDED_BY(mu_)
    uint64_t stream_bytes = 0;          // GUARDED_BY(mu_): expected bytes of its streams in flight
  };

  const std::chrono::milliseconds hedge_min_;
  mutable std::mutex mu_;
  std::vector<State> states_;
};

}  // namespace ipfsfs::blockcache

#endif  // IPFSFS_BLOCKCACHE_SOURCES_H_
