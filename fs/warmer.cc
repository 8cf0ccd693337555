#include "fs/warmer.h"

#include <utility>
#include <vector>

namespace ipfsfs::fs {

Warmer::Warmer(size_t max_in_flight, size_t max_queued) : max_in_flight_(max_in_flight), max_queued_(max_queued) {}

Warmer::~Warmer() {
  std::unique_lock lock(mu_);
  queue_.clear();
  idle_.wait(lock, [this] { return in_flight_ == 0 && !pumping_; });
}

void Warmer::Add(const resolver::Resolver& resolver, ipld::Cid cid, Sink sink) {
  {
    std::lock_guard lock(mu_);
    if (queue_.size() >= max_queued_) return;
    queue_.push_back(Job{resolver, std::move(cid), std::move(sink)});
  }
  Pump(false);
}

size_t Warmer::in_flight() const {
  std::lock_guard lock(mu_);
  return in_flight_;
}

// Fetches may complete inline (cache hits); the pumping_ flag turns that
// recursion into another turn of this loop.
void Warmer::Pump(bool finished_one) {
  std::unique_lock lock(mu_);
  if (finished_one) --in_flight_;
  if (pumping_) {
    again_ = true;
    return;
  }
  pumping_ = true;
  for (;;) {
    again_ = false;
    while (in_flight_ < max_in_flight_ && !queue_.empty()) {
      Job job = std::move(queue_.front());
      queue_.pop_front();
      ++in_flight_;
      lock.unlock();
      job.resolver.GetNode(job.cid, [this, sink = std::move(job.sink)](Result<resolver::NodePtr> node) {
        if (node) sink((*node)->info);
        Pump(true);
      });
      lock.lock();
    }
    if (!again_) break;
  }
  pumping_ = false;
  if (in_flight_ == 0) idle_.notify_all();
}

}  // namespace ipfsfs::fs
