// Warmer: fetches the root blocks of listed children in the background, a
// bounded number at a time, so the stat calls that follow a listing (ls -l)
// find them cached. Work beyond `max_queued` is dropped: warming is a hint.
// A fetch that answers at once (a cache hit) runs its sink before Add
// returns. Thread-safe; the Resolver outlives the Warmer, and the destructor
// waits for fetches in flight. Owned by IpfsTree.
#ifndef IPFSFS_FS_WARMER_H_
#define IPFSFS_FS_WARMER_H_

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>

#include "ipld/cid.h"
#include "resolver/resolver.h"

namespace ipfsfs::fs {

class Warmer {
 public:
  // Told the fetched node's facts (only on success).
  using Sink = std::function<void(const resolver::NodeInfo&)>;
  Warmer(size_t max_in_flight, size_t max_queued);
  ~Warmer();

  void Add(const resolver::Resolver& resolver, ipld::Cid cid, Sink sink);
  size_t in_flight() const;

 private:
  // Starts queued work; `finished_one` retires a fetch that just ended.
  void Pump(bool finished_one);

  const size_t max_in_flight_;
  const size_t max_queued_;
  struct Job {
    resolver::Resolver resolver;
    ipld::Cid cid;
    Sink sink;
  };
  mutable std::mutex mu_;
  std::condition_variable idle_;
  std::deque<Job> queue_;  // GUARDED_BY(mu_)
  size_t in_flight_ = 0;                                       // GUARDED_BY(mu_)
  bool pumping_ = false;                                       // GUARDED_BY(mu_)
  bool again_ = false;                                         // GUARDED_BY(mu_)
};

}  // namespace ipfsfs::fs

#endif  // IPFSFS_FS_WARMER_H_
