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

std::vector<SourceStats> Sources::Stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<SourceStats> out;
  for (const auto& s : states_) out.push_back(s.stats);
  return out;
}

}  // namespace ipfsfs::blockcache
