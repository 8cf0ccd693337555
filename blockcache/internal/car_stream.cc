#include "blockcache/internal/car_stream.h"

#include <atomic>
#include <deque>
#include <vector>

#include "ipld/car.h"

namespace ipfsfs::blockcache::internal {
namespace {

constexpr size_t kMaxQueued = 8u << 20;

}  // namespace

struct CarStreamer::CarStream : std::enable_shared_from_this<CarStreamer::CarStream> {
  CarStreamer* owner = nullptr;
  ipld::Cid root;
  std::optional<ByteRange> tag;  // what Cancel finds it by
  size_t source = 0;
  uint64_t expected = 0;  // what BeginStream was told (striping)
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::atomic<uint64_t> received{0};  // response bytes, for the source's throughput
  // When the first bytes came: throughput is measured from there, so a short
  // stream (a file's head) does not count its round trip as lost bandwidth.
  std::optional<std::chrono::steady_clock::time_point> first_data;  // GUARDED_BY(mu)
  uint64_t max_bytes = 0;  // 0: no cap
  std::function<void(Status, uint64_t)> done;

  std::mutex mu;
  std::shared_ptr<FetchHandle> handle;  // GUARDED_BY(mu); set once the request started
  std::deque<Bytes> chunks;             // GUARDED_BY(mu)
  std::vector<Bytes> spare;             // GUARDED_BY(mu): drained buffers, reused (no fresh pages per chunk)
  size_t queued = 0;                    // GUARDED_BY(mu)
  bool draining = false;                // GUARDED_BY(mu)
  bool paused = false;                  // GUARDED_BY(mu)
  bool net_done = false;                // GUARDED_BY(mu)
  bool reported = false;                // GUARDED_BY(mu)
  size_t verifying = 0;                 // GUARDED_BY(mu): bytes of blocks handed to the pool
  size_t pending = 0;                   // GUARDED_BY(mu): their tasks
  std::optional<Status> parse_status;   // GUARDED_BY(mu): set when parsing reached the end
  std::optional<Status> net_status;     // GUARDED_BY(mu)
  std::optional<Error> failure;         // GUARDED_BY(mu): a bad block or a bad CAR

  // Pool thread only (one drain at a time).
  ipld::CarParser parser;
  uint64_t parsed_bytes = 0;
  std::atomic<uint64_t> blocks{0};

  std::shared_ptr<FetchHandle> Handle() {
    std::lock_guard<std::mutex> lock(mu);
    return handle;
  }

  bool OnData(ByteSpan bytes) {
    bool post = false;
    {
      std::lock_guard<std::mutex> lock(mu);
      if (failure) return true;  // being cancelled: discard
      if (queued + verifying >= kMaxQueued) {
        paused = true;
        return false;
      }
      received += bytes.size();
      if (!first_data) first_data = std::chrono::steady_clock::now();
      Bytes buf;
      if (!spare.empty()) {
        buf = std::move(spare.back());
        spare.pop_back();
      }
      buf.assign(bytes.begin(), bytes.end());
      chunks.push_back(std::move(buf));
      queued += bytes.size();
      if (!draining) post = draining = true;
    }
    if (post) {
      auto self = shared_from_this();
      owner->pool_.Post([self] { self->Drain(); });
    }
    return true;
  }

  void OnNetDone(Status status) {
    auto self = shared_from_this();
    owner->pool_.Post([self, status] {
      bool finish = false;
      {
        std::lock_guard<std::mutex> lock(self->mu);
        self->net_done = true;
        self->net_status = status;
        finish = !self->draining;
        if (finish) self->draining = true;
      }
      if (finish) self->Drain();
    });
  }

  // Feeds what is queued through the parser; reports when the net is done too.
  void Drain() {
    while (true) {
      Bytes chunk;
      bool resume = false;
      {
        std::lock_guard<std::mutex> lock(mu);
        if (chunks.empty() || failure) {
          chunks.clear();
          queued = 0;
          if (paused && !failure) {
            paused = false;
            resume = true;
          }
          if (net_done) {
            draining = false;
            break;  // finish below
          }
          draining = false;
          if (!resume) return;
        } else {
          chunk = std::move(chunks.front());
          chunks.pop_front();
          queued -= chunk.size();
        }
      }
      if (resume) {
        if (auto h = Handle()) h->Resume();
        return;
      }
      parser.Feed(chunk);
      if (auto s = Parse(); !s) Fail(s.error());
      std::lock_guard<std::mutex> lock(mu);
      if (spare.size() < 8) spare.push_back(std::move(chunk));
    }
    Finish();
  }

  Status Parse() {
    while (true) {
      IPFSFS_ASSIGN_OR_RETURN(auto block, parser.Next());
      if (!block) return OkStatus();
      size_t n = block->data.size();
      parsed_bytes += n;
      if (max_bytes > 0 && parsed_bytes > max_bytes) {
        return MakeError(ErrorCode::kTooLarge, "car for " + root.ToString() + " passed its budget of " +
                                                   std::to_string(max_bytes) + " bytes");
      }
      {
        std::lock_guard<std::mutex> lock(mu);
        if (failure) return OkStatus();
        ++pending;
        verifying += n;
      }
      auto self = shared_from_this();
      auto data = std::make_shared<const Bytes>(std::move(block->data));
      owner->pool_.Post([self, cid = std::move(block->cid), data, n] { self->VerifyOne(cid, data, n); });
    }
  }

  void VerifyOne(const ipld::Cid& cid, const std::shared_ptr<const Bytes>& data, size_t n) {
    auto r = owner->accept_(root, cid, data, source);
    if (r)
      ++blocks;
    else
      Fail(r.error());
    bool resume = false, report = false;
    {
      std::lock_guard<std::mutex> lock(mu);
      --pending;
      verifying -= n;
      if (paused && !failure && !draining && queued + verifying < kMaxQueued / 2) {
        paused = false;
        resume = true;
      }
      report = parse_status.has_value() && pending == 0 && !reported;
    }
    if (resume) {
      if (auto h = Handle()) h->Resume();
    }
    if (report) Report();
  }

  void Fail(const Error& e) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (failure) return;
      failure = e;
    }
    if (auto h = Handle()) h->Cancel();
  }

  // The response is over: parse what is left, then report when no block task is pending.
  void Finish() {
    Status result = OkStatus();
    {
      std::lock_guard<std::mutex> lock(mu);
      if (failure) {
        result = tl::unexpected(*failure);
      } else if (net_status && !*net_status) {
        result = *net_status;
      }
    }
    if (result) {
      parser.Finish();
      auto s = Parse();
      if (!s) {
        result = s;
      } else if (!parser.at_end()) {
        result = MakeError(ErrorCode::kCorrupt, "car for " + root.ToString() + " ended early");
      }
    }
    bool report;
    {
      std::lock_guard<std::mutex> lock(mu);
      parse_status = result;
      report = pending == 0 && !reported;
    }
    if (report) Report();
  }

  void Report() {
    Status result = OkStatus();
    {
      std::lock_guard<std::mutex> lock(mu);
      if (reported) return;
      reported = true;
      result = failure ? Status(tl::unexpected(*failure)) : *parse_status;
      handle.reset();  // the request holds this stream's callbacks: break the cycle
    }
    if (!result && result.error().code == ErrorCode::kUnsupported) owner->NoCars(source);
    if (!result && result.error().code != ErrorCode::kCancelled) {
      Log()->debug("car {} from {}: {} ({} blocks)", root.ToString(), owner->sources_.name(source),
                   result.error().message, blocks.load());
    }
    std::chrono::steady_clock::time_point from = started;
    {
      std::lock_guard<std::mutex> lock(mu);
      if (first_data) from = *first_data;
    }
    std::chrono::duration<double> took = std::chrono::steady_clock::now() - from;
    owner->sources_.EndStream(source, expected, received.load(), took.count());
    auto d = std::move(done);
    d(result, blocks.load());
    owner->requests_.End();
  }
};

CarStreamer::CarStreamer(Sources& sources, WorkerPool& pool, PendingRequests& requests, Accept accept)
    : sources_(sources), pool_(pool), requests_(requests), accept_(std::move(accept)) {}

void CarStreamer::Cancel(const Filter& which, const std::string& why) {
  std::vector<std::shared_ptr<CarStream>> chosen;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& w : streams_) {
      auto s = w.lock();
      if (s && which(s->root, s->tag)) chosen.push_back(std::move(s));
    }
  }
  // Outside the lock: a stream that fails may report, and its done start another.
  for (auto& s : chosen) s->Fail(Error{ErrorCode::kCancelled, why});
}

void CarStreamer::NoCars(size_t source) {
  std::lock_guard<std::mutex> lock(mu_);
  if (no_cars_.size() <= source) no_cars_.resize(source + 1, false);
  if (!no_cars_[source]) Log()->info("{} serves no CARs: blocks are asked for one by one", sources_.name(source));
  no_cars_[source] = true;
}

void CarStreamer::Close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
  }
  // A 64 MiB ranged CAR must not hold an unmount up.
  Cancel([](const ipld::Cid&, const std::optional<ByteRange>&) { return true; }, "block cache is closing");
}

void CarStreamer::Stream(const ipld::Cid& root, PrefetchScope scope, std::optional<ByteRange> bytes, Done done,
                         std::optional<ByteRange> tag, uint64_t max_bytes) {
  // Striping: each stream goes where it is expected to finish first, so
  // several ranges of one file spread over the sources by their speed.
  const uint64_t expected = bytes ? bytes->to - bytes->from : (1u << 20);
  size_t source;
  {
    std::lock_guard<std::mutex> lock(mu_);  // no_cars_; Sources' own lock is taken inside, never the other way
    source = sources_.BeginStream(expected, [&](size_t i) {
      if (i < no_cars_.size() && no_cars_[i]) return false;
      return !bytes || sources_.at(i).SupportsByteRanges();
    });
  }
  if (source == SIZE_MAX) {
    done(MakeError(
             sources_.empty() ? ErrorCode::kUnavailable : ErrorCode::kUnsupported,
             sources_.empty() ? "no source to stream a car from"
             : bytes         ? "no source serves byte ranges of a file as a car"
                             : "no source serves CARs"),
         0);
    return;
  }
  auto stream = std::make_shared<CarStream>();
  stream->owner = this;
  stream->root = root;
  stream->tag = tag;
  stream->source = source;
  stream->expected = expected;
  stream->max_bytes = max_bytes;
  stream->done = std::move(done);
  bool closed;
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed = closed_;
    if (!closed) {
      std::erase_if(streams_, [](const auto& w) { return w.expired(); });
      streams_.push_back(stream);
      // Counted under the lock that saw closed_ false: the cache's WaitNone
      // after Close() then waits for this stream's report.
      requests_.Begin();
    }
  }
  if (closed) {
    sources_.EndStream(source, expected, 0, 0);
    stream->done(MakeError(ErrorCode::kCancelled, "block cache is closing"), 0);
    return;
  }
  sources_.NoteRequest(source);
  auto handle = sources_.at(source).FetchCar(
      root, scope, bytes, [stream](ByteSpan data) { return stream->OnData(data); },
      [stream](Status s) { stream->OnNetDone(std::move(s)); });
  bool cancel;
  {
    std::lock_guard<std::mutex> lock(stream->mu);
    stream->handle = handle;
    cancel = stream->failure.has_value();
  }
  if (cancel) handle->Cancel();
}

}  // namespace ipfsfs::blockcache::internal
