// Implementation of publish/republisher.h.
#include "publish/republisher.h"

#include <algorithm>

#include "ipld/ipns_name.h"

namespace ipfsfs::publish {
namespace {

ipld::Timestamp Add(ipld::Timestamp t, std::chrono::nanoseconds d) {
  int64_t total = t.nanos + d.count() % 1'000'000'000;
  int64_t s = t.seconds + d.count() / 1'000'000'000 + total / 1'000'000'000;
  total %= 1'000'000'000;
  if (total < 0) {
    total += 1'000'000'000;
    --s;
  }
  return ipld::Timestamp{s, static_cast<int32_t>(total)};
}

std::chrono::nanoseconds Between(ipld::Timestamp from, ipld::Timestamp to) {
  return std::chrono::seconds(to.seconds - from.seconds) + std::chrono::nanoseconds(to.nanos - from.nanos);
}

}  // namespace

Republisher::Republisher(NamePublisher& publisher, PublishedStore& published, KeyLookup keys,
                         RepublisherOptions options)
    : publisher_(publisher), published_(published), keys_(std::move(keys)), options_(std::move(options)) {}

Republisher::~Republisher() { Stop(); }

ipld::Timestamp Republisher::DueAt(const Publication& p, std::chrono::nanoseconds interval) {
  return Add(p.published_at, std::min(interval, p.lifetime / 2));
}

void Republisher::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { Loop(); });
}

void Republisher::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::vector<Republished> Republisher::RunOnce() {
  std::lock_guard<std::mutex> run(run_mu_);
  std::vector<Republished> out;
  auto list = published_.List();
  if (!list) return out;
  for (const Publication& p : *list) {
    if (p.key_name.empty()) continue;
    ipld::Timestamp now = options_.now();
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) break;
      auto retry = retry_at_.find(p.name);
      bool due = retry != retry_at_.end() ? now >= retry->second : now >= DueAt(p, options_.interval);
      if (!due) continue;
    }
    auto key = keys_(p.key_name);
    // A key removed from the keystore, or another key under that name: not ours to keep alive.
    if (!key || ipld::FormatIpnsName(key->Public().PeerId()) != p.name) {
      std::lock_guard<std::mutex> lock(mu_);
      retry_at_[p.name] = Add(now, options_.rescan);  // looked at again if the key comes back
      continue;
    }
    PublishOptions options;
    options.lifetime = p.lifetime;
    options.ttl = p.ttl;
    options.key_name = p.key_name;
    options.allow_offline = true;  // a mount without targets still refreshes its local record
    auto r = publisher_.Publish(*key, p.value, options);
    Republished done{p.name, r ? r->sequence : p.sequence, r && r->all_ok(), ""};
    if (!r) {
      done.error = r.error().message;
    } else {
      for (const auto& o : r->outcomes) {
        if (!o.status) {
          done.error = o.target + ": " + o.status.error().message;
          break;
        }
      }
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (done.ok) {
        retry_at_.erase(p.name);
        failures_.erase(p.name);
      } else {
        int n = std::min(failures_[p.name]++, 20);
        auto backoff = std::min(options_.first_retry * (int64_t{1} << n), options_.interval);
        retry_at_[p.name] = Add(now, backoff);
      }
    }
    out.push_back(std::move(done));
  }
  return out;
}

std::chrono::nanoseconds Republisher::NextWait() {
  std::chrono::nanoseconds wait = options_.rescan;
  ipld::Timestamp now = options_.now();
  auto list = published_.List();
  std::lock_guard<std::mutex> lock(mu_);
  if (list) {
    for (const Publication& p : *list) {
      if (p.key_name.empty()) continue;
      auto retry = retry_at_.find(p.name);
      ipld::Timestamp at = retry != retry_at_.end() ? retry->second : DueAt(p, options_.interval);
      wait = std::min(wait, std::max(Between(now, at), std::chrono::nanoseconds(0)));
    }
  }
  // Never a busy loop, whatever the lifetimes and clocks say.
  return std::max(wait, std::chrono::nanoseconds(std::chrono::seconds(1)));
}

void Republisher::Loop() {
  for (;;) {
    auto done = RunOnce();
    if (options_.on_result) {
      for (const auto& r : done) options_.on_result(r);
    }
    auto wait = NextWait();
    std::unique_lock<std::mutex> lock(mu_);
    // Wakes early only to stop; a spurious wake-up costs one pass that finds nothing due.
    wake_.wait_for(lock, wait, [this] { return stopping_; });
    if (stopping_) return;
  }
}

}  // namespace ipfsfs::publish
