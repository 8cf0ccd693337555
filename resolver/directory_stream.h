// DirectoryStream: the entries of a plain or HAMT-sharded directory, produced
// in order as they are needed.
//
// A plain directory is listed from its block alone. A sharded one is walked
// shard by shard in slot order; only the shards needed for the entries asked
// for are read, with a bounded number of the next shards fetched in parallel
// ahead. Names that IsExposableName rejects and repeated names are skipped.
// Entries stay available for the stream's life (a directory handle), so
// rewinds and repeated offsets are free. Thread-safe; callbacks run without
// the stream's lock held, on the caller's thread or a block layer thread.
//
// A cold directory's blocks come as one CAR when the source offers CARs
// (BlockGetter::PrefetchDag): the whole DAG when it is small and its children
// are small (their root blocks, what stat needs, come with it), else a sharded
// directory's own shards. Shards are then asked for with GetExpected, so they
// wait for the CAR instead of going out one request each, and entries answer
// as their shard arrives, before the CAR ends. A source without CARs, a CAR
// cut short or a bad block: the blocks it did not bring are asked for alone.
#ifndef IPFSFS_RESOLVER_DIRECTORY_STREAM_H_
#define IPFSFS_RESOLVER_DIRECTORY_STREAM_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "base/result.h"
#include "ipld/cid.h"
#include "resolver/node.h"
#include "resolver/resolver.h"

namespace ipfsfs::resolver {

struct DirEntry {
  std::string name;
  ipld::Cid cid;
  uint64_t tsize = 0;  // the link's Tsize (size of the child's DAG)
};

struct DirectoryStreamOptions {
  // Sub-shards fetched in parallel ahead of the one being listed.
  size_t shard_lookahead = 32;
  // The whole DAG as one CAR (dag-scope=all) when its links' Tsizes add up to
  // at most this and the children listed in the top block average at most
  // `small_child` bytes; the CAR stops past its Tsizes and a quarter
  // (Tsizes are the writer's word). Otherwise a HAMT's shards (dag-scope=entity).
  uint64_t whole_dag_max = 16u << 20;
  uint64_t small_child = 64u << 10;
  bool use_cars = true;
  // How long a block the CAR should bring is waited for before it is asked
  // for alone; the CAR's end releases the wait sooner.
  std::chrono::milliseconds car_patience{10000};
};

class DirectoryStream : public std::enable_shared_from_this<DirectoryStream> {
 public:
  // `dir` must be a directory or HAMT shard node (kInvalidArgument otherwise).
  [[nodiscard]] static Result<std::shared_ptr<DirectoryStream>> Open(Resolver& resolver, NodePtr dir,
                                                                     DirectoryStreamOptions options = {});

  // Calls `done` once entries [0, want) are available or the listing ended.
  // An error (a shard that cannot be read or decoded) is reported only once
  // the entries before it are available; entries() keeps what was listed.
  void Fill(size_t want, std::function<void(Status)> done);

  // Up to `max` entries from index `from`.
  std::vector<DirEntry> Entries(size_t from, size_t max) const;
  size_t available() const;
  // True once every entry is listed (or an error ended the listing).
  bool finished() const;
  // A CAR of the whole DAG was asked for: the children's root blocks are on
  // their way (fetch them with GetExpected and `car_patience`).
  bool children_in_car() const { return children_in_car_.load(); }
  const DirectoryStreamOptions& options() const { return options_; }

  // Use Open.
  DirectoryStream(Resolver& resolver, DirectoryStreamOptions options);

 private:
  struct ShardFetch {
    ipld::Cid cid;
    uint64_t fanout = 0;
    bool started = false;
    std::optional<Result<NodePtr>> result;
  };
  struct Item {
    std::optional<DirEntry> entry;        // an entry, or
    std::shared_ptr<ShardFetch> shard;    // a shard still to expand
  };
  struct Waiter {
    size_t want;
    std::function<void(Status)> done;
  };

  // Asks for the cold directory `dir`'s blocks as one CAR (see the top).
  // A sampled entry (through stored sub-shards, `depth` levels) is not stored.
  bool ColdEntries(const Node& dir, int depth) const;
  void StartCar(const Node& dir);
  void Drive();
  // Under mu_: moves ready items into entries_, collects fetches to start.
  void Advance(std::vector<std::shared_ptr<ShardFetch>>& to_start);
  Status Expand(const Node& shard, std::deque<Item>& out);
  void AddEntry(DirEntry entry);

  Resolver resolver_;  // a handle: outlives the caller's Resolver if need be
  const DirectoryStreamOptions options_;

  mutable std::mutex mu_;
  std::vector<DirEntry> entries_;          // GUARDED_BY(mu_)
  std::unordered_set<std::string> seen_;   // GUARDED_BY(mu_)
  std::deque<Item> queue_;                 // GUARDED_BY(mu_)
  std::vector<Waiter> waiters_;            // GUARDED_BY(mu_)
  std::optional<Error> error_;             // GUARDED_BY(mu_)
  size_t want_ = 0;                        // GUARDED_BY(mu_)
  bool driving_ = false;                   // GUARDED_BY(mu_)
  bool again_ = false;                     // GUARDED_BY(mu_)
  std::atomic<bool> car_{false};           // a CAR was asked for: shards use GetExpected
  std::atomic<bool> children_in_car_{false};
};

}  // namespace ipfsfs::resolver

#endif  // IPFSFS_RESOLVER_DIRECTORY_STREAM_H_
