#include "blockcache/sources.h"

#include <algorithm>

namespace ipfsfs::blockcache {

Sources::Sources(std::vector<std::unique_ptr<Source>> sources, std::chrono::milliseconds hedge_min)
    : hedge_min_(hedge_min) {
  for (auto& s : sources) {
    State st;
    st.name = s->name();
    st.stats.name = st.name;
    st.source = std::move(s);
    states_.push_back(std::move(st));
  }
}

bool Sources::AnySupportsByteRanges() const {
  return std::any_of(states_.begin(), states_.end(), [](const State& s) { return s.source->SupportsByteRanges(); });
}

std::vector<size_t> Sources::Ranked() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<size_t> order(states_.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  auto now = Clock::now();
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const auto& x = states_[a];
    const auto& y = states_[b];
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

std::chrono::milliseconds Sources::HedgeDelay(size_t i) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto d = std::chrono::milliseconds(static_cast<int64_t>(states_[i].ewma_ms * 3));
  return std::max(hedge_min_, d);
}

void Sources::NoteRequest(size_t i) {
  std::lock_guard<std::mutex> lock(mu_);
  ++states_[i].stats.requests;
}

void Sources::NoteSuccess(size_t i, double ms, uint64_t bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& s = states_[i];
  s.ewma_ms = s.ewma_ms == 0 ? ms : 0.8 * s.ewma_ms + 0.2 * ms;
  s.stats.mean_latency_ms = s.ewma_ms;
  s.stats.health = std::min(1.0, s.stats.health * 0.7 + 0.3);
  s.stats.bytes += bytes;
}

void Sources::NoteBytes(size_t i, uint64_t bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  states_[i].stats.bytes += bytes;
}

void Sources::NoteFailure(size_t i) {
  std::lock_guard<std::mutex> lock(mu_);
  ++states_[i].stats.failures;
  states_[i].stats.health *= 0.6;
}

void Sources::NoteMissing(size_t i) {
  std::lock_guard<std::mutex> lock(mu_);
  states_[i].stats.health *= 0.9;
}

void Sources::NoteCorrupt(size_t i) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& s = states_[i];
  ++s.stats.corrupt;
  s.stats.health *= 0.1;
  s.demoted_until = Clock::now() + std::chrono::seconds(60);
}

bool Sources::NoteCorrupt(size_t i, const ipld::Cid& sent_for) {
  if (!states_[i].source->BlameCorrupt(sent_for)) {
    NoteCorrupt(i);
    return true;
  }
  std::lock_guard<std::mutex> lock(mu_);
  ++states_[i].stats.corrupt;
  return false;
}

size_t Sources::BeginStream(uint64_t bytes, const std::function<bool(size_t)>& eligible) {
  std::lock_guard<std::mutex> lock(mu_);
  auto now = Clock::now();
  double best_tp = 0;
  for (const auto& s : states_) best_tp = std::max(best_tp, s.stats.throughput);
  if (best_tp <= 0) best_tp = 1;  // nothing measured yet: all alike
  size_t pick = SIZE_MAX;
  // Ordered by (tier, expected finish): tier 0 healthy, 1 unhealthy, 2 demoted.
  std::pair<int, double> best{3, 0};
  for (size_t i = 0; i < states_.size(); ++i) {
    if (!eligible(i)) continue;
    const auto& s = states_[i];
    int tier = s.demoted_until > now ? 2 : s.stats.health < 0.5 ? 1 : 0;
    double tp = s.stats.throughput > 0 ? s.stats.throughput : best_tp;
    double finish = static_cast<double>(s.stream_bytes + bytes) / tp;
    std::pair<int, double> key{tier, finish};
    if (pick == SIZE_MAX || key < best) {
      pick = i;
      best = key;
    }
  }
  if (pick != SIZE_MAX) {
    states_[pick].stream_bytes += bytes;
    ++states_[pick].stats.streams;
  }
  return pick;
}

void Sources::EndStream(size_t i, uint64_t bytes, uint64_t received, double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& s = states_[i];
  s.stream_bytes -= std::min(s.stream_bytes, bytes);
  if (s.stats.streams > 0) --s.stats.streams;
  // Only a stream long enough to say something about bandwidth counts.
  if (received >= (256u << 10) && seconds > 0.01) {
    double tp = static_cast<double>(received) / seconds;
    s.stats.throughput = s.stats.throughput == 0 ? tp : 0.6 * s.stats.throughput + 0.4 * tp;
  }
}

std::vector<SourceStats> Sources::Stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<SourceStats> out;
  auto now = Clock::now();
  for (const auto& s : states_) {
    out.push_back(s.stats);
    out.back().demoted = s.demoted_until > now;
  }
  return out;
}

}  // namespace ipfsfs::blockcache
