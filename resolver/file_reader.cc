#include "resolver/file_reader.h"

#include <algorithm>
#include <atomic>
#include <optional>
#include <utility>

namespace ipfsfs::resolver {

// One descent over a byte range: for a read it gathers slices; for a prefetch
// it only makes the covering nodes arrive in slots_.
struct FileReader::Walk {
  uint64_t begin = 0;
  uint64_t end = 0;
  bool collect = true;
  uint64_t generation = 0;  // prefetches: the reader's generation when started
  ReadCallback done;

  std::mutex mu;
  size_t pending = 1;  // GUARDED_BY(mu): the root's WalkNode plus one per child in flight
  std::vector<std::pair<uint64_t, Slice>> slices;  // GUARDED_BY(mu): file offset, bytes
  std::optional<Error> error;                      // GUARDED_BY(mu)
};

FileReader::FileReader(Resolver& resolver, NodePtr root, FileReaderOptions options)
    : resolver_(resolver),
      root_(std::move(root)),
      options_(options),
      planner_(resolver_.getter(), options_.car_planner) {}

Result<std::shared_ptr<FileReader>> FileReader::Open(Resolver& resolver, NodePtr file, FileReaderOptions options) {
  if (file->info.kind != NodeKind::kFile) {
    return MakeError(ErrorCode::kInvalidArgument, file->info.cid.ToString() + " is not a file");
  }
  return std::make_shared<FileReader>(resolver, std::move(file), options);
}

std::shared_ptr<FileReader::NodeSlot> FileReader::FetchSlot(const ipld::Cid& cid, const SlotKey& key,
                                                            bool background) {
  std::shared_ptr<NodeSlot> slot;
  // The lookup's head CAR (Resolver::GetNodeAhead) brings the first bytes' nodes.
  bool expected = std::get<0>(key) < resolver_.HeadInFlight(root_->info.cid);
  {
    std::lock_guard lock(mu_);
    auto [it, inserted] = slots_.try_emplace(key);
    if (!inserted) return it->second;
    it->second = std::make_shared<NodeSlot>();
    slot = it->second;
    expected = expected || InCarRange(std::get<0>(key), std::get<1>(key));
  }
  auto fetch = [resolver = resolver_, cid, slot, expected, background, patience = options_.car_patience,
                extents = options_.extents] {
    auto set = [slot](Result<NodePtr> node) { slot->Set(std::move(node)); };
    if (extents) {
      return resolver.GetFileChild(cid, expected ? std::optional(patience) : std::nullopt, background,
                                   std::move(set));
    }
    if (expected) {
      resolver.GetExpectedNode(cid, patience, std::move(set));
    } else {
      resolver.GetNode(cid, std::move(set));
    }
  };
  if (background && options_.executor) {
    options_.executor(std::move(fetch));
  } else {
    fetch();
  }
  return slot;
}

bool FileReader::InCarRange(uint64_t start, uint64_t length) const {
  for (const auto& c : car_inflight_) {
    if (start < c.planned.to && start + length > c.planned.from) return true;
  }
  return false;
}

void FileReader::PlanCarRanges(uint64_t end, std::vector<blockcache::ByteRange>& start) {
  const uint64_t size = root_->info.size;
  // One source: two ranges of car_range / 2 in flight (car_pipeline; else
  // one of car_range), so the next is asked before the previous ends and no
  // round trip is lost between them; each streams as fast as the source
  // sends, ahead of the reader. Several: stripes, one in flight per source, each going where it
  // will finish first (Sources::BeginStream), so their bandwidth adds up;
  // no more than car_range ahead of the reader in all.
  const size_t sources = std::clamp<size_t>(resolver_.getter().RangeSources(), 1, options_.car_max_streams);
  const bool pipeline = sources == 1 && options_.car_pipeline;
  const size_t streams = pipeline ? 2 : sources;
  // Started by a read at offset 0 and not yet sequential for long: one range
  // of the read-ahead window only (a reader of a file's header costs little).
  const uint64_t ahead = car_probe_ ? options_.max_window : options_.car_range;
  const uint64_t piece = std::min(ahead, sources > 1 ? std::min(options_.car_stripe, options_.car_range)
                                         : pipeline  ? std::max<uint64_t>(1, options_.car_range / 2)
                                                     : options_.car_range);
  while (piece > 0 && car_inflight_.size() < streams && car_until_ < size && car_until_ < end + ahead) {
    blockcache::ByteRange r{std::max(car_until_, end), 0};
    // Near the end, the rest split evenly: no source left alone with a long last stripe.
    uint64_t rest = size - r.from;
    uint64_t cut = sources > 1 && rest < piece * streams ? std::max<uint64_t>(1u << 20, (rest + streams - 1) / streams) : piece;
    r.to = std::min(size, r.from + cut);
    car_inflight_.push_back(CarRange{r, std::nullopt});
    car_until_ = r.to;
    start.push_back(r);
  }
}

FileReader::~FileReader() {
  // Closed: nobody reads the rest of its ranges (up to car_range each).
  for (const auto& c : car_inflight_) {
    if (c.asked) resolver_.getter().CancelRange(root_->info.cid, *c.asked);
  }
}

void FileReader::StartCarRange(blockcache::ByteRange range) {
  std::weak_ptr<FileReader> weak = weak_from_this();
  auto returned = std::make_shared<std::atomic<bool>>(false);
  auto done = [weak, range, returned](Status s) {
    auto self = weak.lock();
    if (!self) return;
    std::lock_guard lock(self->mu_);
    std::erase_if(self->car_inflight_, [&](const auto& c) { return c.planned == range; });
    if (!s && s.error().code == ErrorCode::kCancelled) {
      return;  // not the source's fault (the cache is closing, or the range was given up)
    } else if (!s && (s.error().code == ErrorCode::kUnsupported ||
                      std::clamp<size_t>(self->resolver_.getter().RangeSources(), 1, self->options_.car_max_streams) == 1)) {
      // Unsupported, or the one source failed: block by block from here on.
      self->car_off_ = true;
      self->car_mode_ = false;
    } else if (!s) {
      // One of several sources failed: its range's blocks come alone when
      // read (from the others), the next stripes from the others too.
    } else if (!returned->load() && self->car_until_ == range.to) {
      // Answered at once: nothing was missing (a warm file). Ask again for
      // these bytes on a later read: they may be missing when it comes.
      self->car_until_ = range.from;
    }
  };
  auto missing = planner_.MissingBytes(root_->info.cid, range);
  if (!missing) return done(OkStatus());
  {
    std::lock_guard lock(mu_);
    for (auto& c : car_inflight_) {
      if (c.planned == range) c.asked = *missing;
    }
  }
  resolver_.getter().PrefetchRange(root_->info.cid, *missing, std::move(done));
  returned->store(true);
}

void FileReader::WalkNode(const std::shared_ptr<Walk>& walk, const NodePtr& node, uint64_t base, int depth) {
  if (walk->collect && node->data_length > 0) {
    uint64_t s = std::max(base, walk->begin);
    uint64_t e = std::min(base + node->data_length, walk->end);
    if (s < e) {
      Slice slice{node->data, node->data_offset + static_cast<size_t>(s - base), static_cast<size_t>(e - s),
                  node->extent};
      std::lock_guard lock(walk->mu);
      walk->slices.emplace_back(s, std::move(slice));
    }
  }
  if (!walk->collect) {
    std::lock_guard lock(mu_);
    if (walk->generation != generation_) return Finish(walk);  // the reader seeked away
  }
  uint64_t pos = base + node->data_length;
  for (size_t i = 0; i < node->links.size(); ++i) {
    uint64_t start = pos;
    uint64_t length = node->blocksizes[i];
    pos += length;
    if (length == 0 || start + length <= walk->begin) continue;
    if (start >= walk->end) break;
    {
      std::lock_guard lock(walk->mu);
      if (walk->error) break;
      ++walk->pending;
    }
    WalkChild(walk, node->links[i].hash, start, length, depth + 1);
  }
  Finish(walk);
}

void FileReader::WalkChild(const std::shared_ptr<Walk>& walk, const ipld::Cid& cid, uint64_t start,
                           uint64_t length, int depth) {
  auto slot = FetchSlot(cid, SlotKey{start, length, depth}, !walk->collect);
  // The continuation keeps the reader alive until the walk ends; the slot
  // drops it once the node arrives, so no cycle outlives the fetch.
  auto self = shared_from_this();
  slot->OnReady([self, walk, slot, start, length, depth](const Result<NodePtr>& node) {
    std::optional<Error> error;
    if (!node) {
      error = node.error();
    } else if ((*node)->info.kind != NodeKind::kFile || (*node)->info.size != length) {
      error = Error{ErrorCode::kCorrupt, (*node)->info.cid.ToString() + ": file child of " +
                                             std::to_string((*node)->info.size) + " bytes where its parent says " +
                                             std::to_string(length)};
    }
    if (error) {
      {
        // A failed fetch is not remembered: the next read of the range retries.
        std::lock_guard lock(self->mu_);
        auto it = self->slots_.find(SlotKey{start, length, depth});
        if (it != self->slots_.end() && it->second == slot) self->slots_.erase(it);
      }
      {
        std::lock_guard lock(walk->mu);
        if (!walk->error) walk->error = std::move(error);
      }
      self->Finish(walk);
      return;
    }
    self->WalkNode(walk, *node, start, depth);
  });
}

void FileReader::Finish(const std::shared_ptr<Walk>& walk) {
  std::vector<std::pair<uint64_t, Slice>> slices;
  std::optional<Error> error;
  {
    std::lock_guard lock(walk->mu);
    if (--walk->pending > 0) return;
    slices.swap(walk->slices);
    error = std::move(walk->error);
  }
  if (!walk->collect) return;
  if (error) return walk->done(tl::unexpected(std::move(*error)));
  std::sort(slices.begin(), slices.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<Slice> out;
  out.reserve(slices.size());
  uint64_t pos = walk->begin;
  for (auto& [offset, slice] : slices) {
    if (offset != pos) break;
    pos += slice.length;
    out.push_back(std::move(slice));
  }
  if (pos != walk->end) {
    return walk->done(MakeError(ErrorCode::kCorrupt, root_->info.cid.ToString() + ": DAG does not cover bytes " +
                                                         std::to_string(pos) + ".." + std::to_string(walk->end)));
  }
  walk->done(std::move(out));
}

void FileReader::Read(uint64_t offset, size_t length, ReadCallback done) {
  const uint64_t size = root_->info.size;
  if (offset >= size || length == 0) return done(std::vector<Slice>{});
  const uint64_t end = std::min<uint64_t>(size, offset + length);
  const uint64_t slack = options_.sequential_slack;

  std::shared_ptr<Walk> prefetch;
  std::vector<blockcache::ByteRange> car_ranges;
  const uint64_t head = offset == 0 ? resolver_.HeadInFlight(root_->info.cid) : 0;
  {
    std::lock_guard lock(mu_);
    const bool first = offset == 0 && next_expected_ == 0 && window_ == 0;
    bool sequential = offset + slack >= next_expected_ && offset <= next_expected_ + slack;
    if (sequential) {
      window_ = window_ == 0 ? options_.initial_window : window_ * 2;
      window_ = std::min(window_, options_.max_window);
      next_expected_ = std::max(next_expected_, end);
    } else {
      window_ = 0;
      next_expected_ = end;
      prefetched_until_ = 0;
      ++generation_;
      car_mode_ = false;  // ranges in flight finish on their own (bounded)
      car_probe_ = false;
      car_until_ = 0;
      for (auto it = slots_.begin(); it != slots_.end();) {
        auto [start, len, depth] = it->first;
        bool overlaps = start < end && start + len > offset;
        it = overlaps ? std::next(it) : slots_.erase(it);
      }
    }
    // Drop what the reader has passed (keeping a little for reordered reads).
    uint64_t keep_from = offset > slack ? offset - slack : 0;
    for (auto it = slots_.begin(); it != slots_.end();) {
      auto [start, len, depth] = it->first;
      if (start >= keep_from) break;
      it = start + len <= keep_from ? slots_.erase(it) : std::next(it);
    }
    if (sequential && !car_off_ && options_.car_range > 0 && window_ >= options_.max_window &&
        size - end >= options_.car_min_remaining) {
      car_mode_ = true;
      car_probe_ = false;
    }
    if (first && options_.car_from_start && !car_off_ && options_.car_range > 0 &&
        size - end >= options_.car_min_remaining) {
      car_mode_ = true;
      car_probe_ = window_ < options_.max_window;
      car_until_ = std::max(car_until_, std::min(head, size));  // the head CAR brings those
    }
    if (car_mode_) PlanCarRanges(end, car_ranges);
    uint64_t from = std::max(end, prefetched_until_);
    uint64_t to = std::min(size, end + window_);
    // With ranged CARs in flight, the window stops where they do: a block
    // past them, walked now, would be asked for alone and then come again with
    // the next range (stripes end at their own pace; the next is planned when
    // one does). None in flight (a warm file): the window as usual.
    if (car_mode_ && !car_inflight_.empty()) to = std::min(to, std::max(end, car_until_));
    if (window_ > 0 && to > from) {
      prefetched_until_ = to;
      prefetch = std::make_shared<Walk>();
      prefetch->begin = from;
      prefetch->end = to;
      prefetch->collect = false;
      prefetch->generation = generation_;
    }
  }

  auto walk = std::make_shared<Walk>();
  walk->begin = offset;
  walk->end = end;
  walk->done = std::move(done);
  // The read first (its blocks are never in the ranges planned now: they
  // begin at its end), then the ranges, then the window that awaits them.
  WalkNode(walk, root_, 0, 0);
  for (const auto& r : car_ranges) StartCarRange(r);
  if (prefetch) WalkNode(prefetch, root_, 0, 0);
}

size_t FileReader::held_nodes() const {
  std::lock_guard lock(mu_);
  return slots_.size();
}

uint64_t FileReader::window() const {
  std::lock_guard lock(mu_);
  return window_;
}

}  // namespace ipfsfs::resolver
