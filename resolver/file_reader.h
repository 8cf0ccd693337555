// FileReader: reads byte ranges of a UnixFS file (or raw block) without ever
// assembling the file.
//
// Design (after mountpoint-s3's prefetcher): a read maps its range to the
// children that cover it, descending the DAG only where the range goes, and
// answers with slices of the leaves' own bytes (no copy of raw leaves). Reads
// that follow each other (within a small tolerance, as the kernel's parallel
// readahead reorders them) open a prefetch window after the read that doubles
// per sequential read up to `max_window`; a seek resets it to nothing. The
// reader holds only the nodes inside [read offset - slack, read end + window],
// so memory stays bounded whatever the file size.
//
// Thread-safe: concurrent Reads on one reader are fine. Callbacks run on the
// caller's thread or a block layer thread, without the reader's lock held.
// The reader holds its own Resolver handle.
#ifndef IPFSFS_RESOLVER_FILE_READER_H_
#define IPFSFS_RESOLVER_FILE_READER_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <tuple>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "resolver/internal/async_value.h"
#include "resolver/node.h"
#include "resolver/range_planner.h"
#include "resolver/resolver.h"

namespace ipfsfs::resolver {

struct FileReaderOptions {
  // Prefetch window after the first sequential read; doubles from there.
  uint64_t initial_window = 1u << 20;
  // The most read ahead of the reader (the mount's --read-ahead).
  uint64_t max_window = 8u << 20;
  // Reads this close to the previous one's end still count as sequential.
  uint64_t sequential_slack = 4u << 20;
  // Once a sequential reader's window is at its cap with at least
  // `car_min_remaining` of the file left, the bytes ahead come as ranged CARs
  // of `car_range` bytes (BlockGetter::PrefetchRange: one request per range,
  // not one per block, which pays with a distant gateway), one at a time,
  // and the blocks inside them are awaited (GetExpected, up to
  // `car_patience`) instead of asked for again. Each range is trimmed to
  // what the cache lacks first (RangePlanner; nothing lacking: not asked). A
  // seek ends it; a source that cannot serve ranges turns it off for the
  // reader. car_range 0: never.
  uint64_t car_range = 64u << 20;
  // A read at offset 0 of a file with at least car_min_remaining after it
  // asks for the next max_window bytes as one ranged CAR at once, not block by
  // block through the window's ramp (one round trip per step); once the reader
  // is sequential for that long, the ranges go car_range ahead as above.
  bool car_from_start = true;
  // One source: two ranges of car_range / 2 in flight, the next asked while
  // the previous still streams (no round trip between them).
  bool car_pipeline = true;
  // With several sources serving ranges (BlockGetter::RangeSources): ranges
  // of `car_stripe` bytes, up to `car_max_streams` in flight (striping).
  uint64_t car_stripe = 16u << 20;
  size_t car_max_streams = 4;
  uint64_t car_min_remaining = 32u << 20;
  std::chrono::milliseconds car_patience{3000};
  RangePlannerOptions car_planner;
  // Leaves the cache keeps on disk come as their file ranges (Slice::extent),
  // unread, for a caller that splices them to the kernel; a prefetch asks
  // the kernel to start reading them. Off: every slice is bytes.
  bool extents = false;
  // Runs prefetch fetches off the reading thread (a cache hit is answered on
  // the caller's thread, so inline prefetches would be serial and hold a FUSE
  // worker). Unset: inline.
  std::function<void(std::function<void()>)> executor;
};

// A piece of a read: bytes [offset, offset + length) of *owner, or (with
// FileReaderOptions::extents) of a cached block's file range, owner null.
struct Slice {
  std::shared_ptr<const Bytes> owner;
  size_t offset = 0;
  size_t length = 0;
  std::optional<blockcache::BlockExtent> extent;
  // Memory slices only.
  ByteSpan span() const { return ByteSpan(*owner).subspan(offset, length); }
};

using ReadCallback = std::function<void(Result<std::vector<Slice>>)>;

class FileReader : public std::enable_shared_from_this<FileReader> {
 public:
  // `file` must be a kFile node (kInvalidArgument otherwise).
  [[nodiscard]] static Result<std::shared_ptr<FileReader>> Open(Resolver& resolver, NodePtr file,
                                                                FileReaderOptions options = {});

  uint64_t size() const { return root_->info.size; }
  const NodePtr& root() const { return root_; }

  // Slices covering [offset, offset + length) clipped to the file size, in
  // order (none at or past the end). Errors from the block layer as they are
  // (kNotFound, kUnavailable, kTimeout, kCorrupt...); kCorrupt when the DAG
  // does not match its own sizes.
  void Read(uint64_t offset, size_t length, ReadCallback done);

  // Nodes currently held (prefetched or being read), for tests and stats.
  size_t held_nodes() const;
  uint64_t window() const;

  FileReader(Resolver& resolver, NodePtr root, FileReaderOptions options);
  // Cancels the ranged CARs it still has in flight.
  ~FileReader();

 private:
  using SlotKey = std::tuple<uint64_t, uint64_t, int>;  // start, length, depth
  using NodeSlot = internal::AsyncValue<Result<NodePtr>>;
  struct Walk;

  void WalkNode(const std::shared_ptr<Walk>& walk, const NodePtr& node, uint64_t base, int depth);
  void WalkChild(const std::shared_ptr<Walk>& walk, const ipld::Cid& cid, uint64_t start, uint64_t length,
                 int depth);
  void Finish(const std::shared_ptr<Walk>& walk);
  std::shared_ptr<NodeSlot> FetchSlot(const ipld::Cid& cid, const SlotKey& key, bool background);
  // Ranged CARs: which to ask for now (under mu_), asking, and their end.
  void PlanCarRanges(uint64_t end, std::vector<blockcache::ByteRange>& start);
  void StartCarRange(blockcache::ByteRange range);
  bool InCarRange(uint64_t start, uint64_t length) const;  // REQUIRES(mu_)

  Resolver resolver_;  // a handle: outlives the caller's Resolver if need be
  const NodePtr root_;
  const FileReaderOptions options_;
  const RangePlanner planner_;

  mutable std::mutex mu_;
  std::map<SlotKey, std::shared_ptr<NodeSlot>> slots_;  // GUARDED_BY(mu_)
  uint64_t next_expected_ = 0;    // GUARDED_BY(mu_)
  uint64_t window_ = 0;           // GUARDED_BY(mu_)
  uint64_t prefetched_until_ = 0;  // GUARDED_BY(mu_)
  uint64_t generation_ = 0;  // GUARDED_BY(mu_): bumped on a seek; older prefetches stop descending
  bool car_mode_ = false;         // GUARDED_BY(mu_)
  bool car_probe_ = false;        // GUARDED_BY(mu_): started at offset 0, ranges up to max_window ahead
  bool car_off_ = false;          // GUARDED_BY(mu_): the source cannot (or failed)
  uint64_t car_until_ = 0;        // GUARDED_BY(mu_): end of the ranges asked for
  // Ranges in flight: as planned by PlanCarRanges, and as asked of the getter
  // (trimmed to what the cache lacked), by which it is cancelled.
  struct CarRange {
    blockcache::ByteRange planned;
    std::optional<blockcache::ByteRange> asked;
  };
  std::vector<CarRange> car_inflight_;  // GUARDED_BY(mu_)
};

}  // namespace ipfsfs::resolver

#endif  // IPFSFS_RESOLVER_FILE_READER_H_
