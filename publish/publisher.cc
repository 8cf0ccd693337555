#include "publish/publisher.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace ipfsfs::publish {
namespace {

int64_t UnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Publisher::Publisher(std::vector<std::unique_ptr<Target>> targets, PublisherOptions options) : options_(options) {
  for (auto& t : targets) {
    Slot slot;
    slot.status.target = t->Name();
    slot.target = std::move(t);
    slots_.push_back(std::move(slot));
  }
  if (!slots_.empty()) retry_thread_ = std::thread([this] { RetryLoop(); });
}

Publisher::~Publisher() { Stop(); }

void Publisher::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (retry_thread_.joinable()) retry_thread_.join();
}

TargetOutcome Publisher::RunLocked(Slot& slot, const ipld::Cid& root) {
  PublishRequest request{root, std::nullopt};
  {
    std::lock_guard lock(mu_);
    if (slot.status.last_root == root && slot.status.last_error.empty()) {
      slot.status.pending.reset();
      return {slot.status.target, true, "up to date (" + root.ToString() + ")"};
    }
    request.previous = slot.status.last_root;
  }
  auto r = slot.target->Publish(request);
  std::lock_guard lock(mu_);
  TargetStatus& s = slot.status;
  if (r) {
    s.last_root = root;
    s.last_published_ms = UnixMs();
    s.last_detail = *r;
    s.last_error.clear();
    s.failures = 0;
    s.next_retry_ms = 0;
    if (s.pending == root) s.pending.reset();
    spdlog::info("publish {}: {}", s.target, *r);
    return {s.target, true, *r};
  }
  s.last_error = r.error().message;
  s.pending = root;
  ++s.failures;
  auto delay = options_.retry_min * (1LL << std::min(s.failures - 1, 20));
  delay = std::min<std::chrono::milliseconds>(delay, options_.retry_max);
  s.next_retry_ms = UnixMs() + delay.count();
  spdlog::warn("publish {}: {} (retry in {} s)", s.target, s.last_error, delay.count() / 1000);
  cv_.notify_all();
  return {s.target, false, r.error().message};
}

std::vector<TargetOutcome> Publisher::Publish(const ipld::Cid& root) {
  std::lock_guard run(run_mu_);
  std::vector<TargetOutcome> out;
  for (auto& slot : slots_) out.push_back(RunLocked(slot, root));
  return out;
}

std::vector<TargetOutcome> Publisher::PublishOnce(const ipld::Cid& root, std::vector<std::unique_ptr<Target>>& extra) {
  std::lock_guard run(run_mu_);
  std::vector<TargetOutcome> out;
  for (auto& t : extra) {
    PublishRequest request{root, std::nullopt};
    {
      std::lock_guard lock(mu_);
      for (const auto& slot : slots_) {
        if (slot.status.target == t->Name()) request.previous = slot.status.last_root;
      }
    }
    auto r = t->Publish(request);
    if (r) spdlog::info("publish {}: {}", t->Name(), *r);
    else spdlog::warn("publish {}: {}", t->Name(), r.error().message);
    out.push_back({t->Name(), r.has_value(), r ? *r : r.error().message});
  }
  return out;
}

std::vector<TargetStatus> Publisher::Status() const {
  std::lock_guard lock(mu_);
  std::vector<TargetStatus> out;
  for (const auto& slot : slots_) {
    out.push_back(slot.status);
    out.back().progress = slot.target->Progress();
  }
  return out;
}

void Publisher::RetryLoop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    Slot* due = nullptr;
    int64_t next = 0;
    for (auto& slot : slots_) {
      if (!slot.status.pending) continue;
      if (next == 0 || slot.status.next_retry_ms < next) {
        next = slot.status.next_retry_ms;
        due = &slot;
      }
    }
    if (!due) {
      cv_.wait(lock);
      continue;
    }
    const int64_t now = UnixMs();
    if (next > now) {
      cv_.wait_for(lock, std::chrono::milliseconds(next - now));
      continue;
    }
    const ipld::Cid root = *due->status.pending;
    lock.unlock();
    {
      std::lock_guard run(run_mu_);
      bool still = false;
      {
        std::lock_guard check(mu_);
        still = !stopping_ && due->status.pending == root;
      }
      if (still) RunLocked(*due, root);
    }
    lock.lock();
  }
}

}  // namespace ipfsfs::publish
