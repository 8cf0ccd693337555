// CarStreamer: asks the best source for a DAG as a CAR (optionally only the
// blocks of a byte range it is given) and hands each block, as it arrives, to
// the accept callback (verify and commit); knows nothing of what the blocks
// mean.
//
// The network thread only queues bytes; one pool task at a time parses them
// (framing only) and hands each block to the pool, where blocks are accepted
// in parallel. The transfer pauses while 8 MiB wait (queued bytes plus blocks
// being accepted), so a CAR is never held whole; a block the callback refuses
// ends the stream at once. `done(status, blocks)` comes once, after the
// response is parsed to its end and the last block's task is done.
//
// A source that answers a CAR request with kUnsupported (a gateway without
// CARs) is not asked for CARs again.
//
// Owns the streams in flight (by weak reference: each stream owns itself
// until it reports); uses the Sources, pool and pending-request count, which
// must outlive every stream. Thread-safe: mu_ guards the list of streams.
#ifndef IPFSFS_BLOCKCACHE_INTERNAL_CAR_STREAM_H_
#define IPFSFS_BLOCKCACHE_INTERNAL_CAR_STREAM_H_

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "blockcache/block.h"
#include "blockcache/block_getter.h"
#include "blockcache/executor.h"
#include "blockcache/internal/log.h"
#include "blockcache/sources.h"

namespace ipfsfs::blockcache::internal {

class CarStreamer {
 public:
  // Verifies and stores one block of the CAR of `root` from source `source`;
  // an error ends the stream.
  using Accept =
      std::function<Status(const ipld::Cid& root, const ipld::Cid&, std::shared_ptr<const Bytes>, size_t source)>;
  using Done = std::function<void(Status, uint64_t blocks)>;
  // Picks the streams to cancel, by root and the tag given to Stream.
  using Filter = std::function<bool(const ipld::Cid& root, const std::optional<ByteRange>& tag)>;

  CarStreamer(Sources& sources, WorkerPool& pool, PendingRequests& requests, Accept accept);
  CarStreamer(const CarStreamer&) = delete;
  CarStreamer& operator=(const CarStreamer&) = delete;

  // Streams the DAG under `root` (only the blocks of file bytes `bytes`, if
  // set) from the best source that can. `tag` is what Cancel finds it by.
  // Past `max_bytes` of blocks (0: no cap) the stream stops with kTooLarge;
  // the blocks before the cap are kept. kUnsupported when no source serves
  // byte ranges; kCancelled once closed.
  void Stream(const ipld::Cid& root, PrefetchScope scope, std::optional<ByteRange> bytes, Done done,
              std::optional<ByteRange> tag = std::nullopt, uint64_t max_bytes = 0);
  // Ends the streams `which` picks with kCancelled `why`.
  void Cancel(const Filter& which, const std::string& why);
  // Cancels every stream, and every later one at once.
  void Close();
  // `source` serves no CARs: later streams go elsewhere, or fail kUnsupported at once.
  void NoCars(size_t source);

 private:
  struct CarStream;
  Sources& sources_;
  WorkerPool& pool_;
  PendingRequests& requests_;
  const Accept accept_;
  std::mutex mu_;
  std::vector<std::weak_ptr<CarStream>> streams_;  // GUARDED_BY(mu_)
  bool closed_ = false;                            // GUARDED_BY(mu_)
  std::vector<bool> no_cars_;                      // GUARDED_BY(mu_): per source, said it serves none
};

}  // namespace ipfsfs::blockcache::internal

#endif  // IPFSFS_BLOCKCACHE_INTERNAL_CAR_STREAM_H_
