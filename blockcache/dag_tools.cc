#include "blockcache/dag_tools.h"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <future>
#include <set>

#include "blockcache/internal/log.h"
#include "ipld/car.h"
#include "ipld/dag_pb.h"

namespace ipfsfs::blockcache {
namespace {

// The links of a block: dag-pb has them, raw has none; other codecs are not walked.
Result<std::vector<ipld::Cid>> Links(const Block& block) {
  std::vector<ipld::Cid> out;
  if (block.cid().codec() != static_cast<uint64_t>(ipld::Codec::kDagPb)) return out;
  IPFSFS_ASSIGN_OR_RETURN(auto node, ipld::DecodePbNode(block.bytes()));
  for (auto& link : node.links) out.push_back(std::move(link.hash));
  return out;
}

// Visits every block of the DAG under root once (Get: cache, then network),
// up to `window` gets at a time; visit runs on whichever thread got the block.
// Raw leaves already stored are visited from their size alone (block null, no
// read, no hash); visit may answer kNotFound then (evicted meanwhile) and the
// leaf is fetched as usual.
using Visit = std::function<Status(const ipld::Cid& cid, const Block* block, uint64_t size)>;
Status WalkDag(BlockCache& cache, const ipld::Cid& root, size_t window, const Visit& visit,
               const std::function<void()>& tick = nullptr) {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<ipld::Cid> queue{root};
  std::set<ipld::Multihash> seen{root.hash()};
  size_t running = 0;
  std::optional<Error> error;
  using Clock = std::chrono::steady_clock;
  auto last_tick = Clock::now();
  std::unique_lock<std::mutex> lock(mu);
  while (true) {
    cv.wait_for(lock, std::chrono::milliseconds(200),
                [&] { return error || (queue.empty() && running == 0) || (!queue.empty() && running < window); });
    if (tick && Clock::now() - last_tick >= std::chrono::milliseconds(200)) {
      last_tick = Clock::now();
      lock.unlock();
      tick();
      lock.lock();
    }
    if (error || (queue.empty() && running == 0)) break;
    if (queue.empty() || running >= window) continue;
    ipld::Cid cid = std::move(queue.front());
    queue.pop_front();
    lock.unlock();
    if (cid.codec() == static_cast<uint64_t>(ipld::Codec::kRaw) && !cid.hash().is_identity()) {
      std::optional<uint64_t> size = cache.StoredSize(cid);
      if (size) {
        Status s = visit(cid, nullptr, *size);
        if (s || s.error().code != ErrorCode::kNotFound) {
          lock.lock();
          if (!s && !error) error = s.error();
          continue;
        }
      }
    }
    lock.lock();
    ++running;
    lock.unlock();
    cache.Get(cid, [&, cid](Result<Block> block) {
      Status status = OkStatus();
      std::vector<ipld::Cid> links;
      if (!block) {
        status = tl::unexpected(block.error());
      } else {
        status = visit(cid, &*block, block->size());
        if (status) {
          auto l = Links(*block);
          if (l) links = std::move(*l);
          else status = tl::unexpected(l.error().Wrap("block " + cid.ToString()));
        }
      }
      std::lock_guard<std::mutex> l(mu);
      --running;
      if (!status && !error) error = status.error();
      for (auto& c : links) {
        if (seen.insert(c.hash()).second) queue.push_back(std::move(c));
      }
      cv.notify_all();
    });
    lock.lock();
  }
  cv.wait(lock, [&] { return running == 0; });
  if (error) return tl::unexpected(*error);
  return OkStatus();
}

}  // namespace

Result<FetchProgress> FetchDag(BlockCache& cache, const ipld::Cid& root, bool use_car,
                               std::function<void(const FetchProgress&)> progress) {
  if (use_car) {
    std::promise<Status> promise;
    auto future = promise.get_future();
    cache.StreamCar(root, PrefetchScope::kAll, [&](Status s, uint64_t) { promise.set_value(std::move(s)); });
    Status s = future.get();
    if (!s && s.error().code != ErrorCode::kUnsupported) {  // kUnsupported: offline, no source
      internal::Log()->info("car fetch of {} incomplete ({}); continuing block by block", root.ToString(),
                            s.error().message);
    }
  }
  std::mutex mu;
  FetchProgress p;
  auto report = [&] {
    if (!progress) return;
    FetchProgress copy;
    {
      std::lock_guard<std::mutex> l(mu);
      copy = p;
    }
    progress(copy);
  };
  IPFSFS_RETURN_IF_ERROR(WalkDag(
      cache, root, 64,
      [&](const ipld::Cid&, const Block*, uint64_t size) {
        std::lock_guard<std::mutex> l(mu);
        ++p.blocks;
        p.bytes += size;
        return OkStatus();
      },
      report));
  report();
  return p;
}

Status Pin(BlockCache& cache, const ipld::Cid& root) {
  auto pin_lock = cache.LockPins();
  IPFSFS_ASSIGN_OR_RETURN(auto roots, cache.Pins());
  for (const auto& r : roots) {
    if (r.hash() == root.hash()) return OkStatus();
  }
  std::mutex mu;
  std::vector<ipld::Cid> pinned;  // to undo on failure
  auto s = WalkDag(cache, root, 64, [&](const ipld::Cid& cid, const Block* b, uint64_t) {
    std::lock_guard<std::mutex> l(mu);
    auto r = cache.AdjustPin(cid, b, +1);
    if (r) pinned.push_back(cid);
    return r;
  });
  if (!s) {
    for (const auto& cid : pinned) (void)cache.AdjustPin(cid, nullptr, -1);
    (void)cache.Flush();
    return tl::unexpected(s.error().Wrap("pin " + root.ToString()));
  }
  return cache.AddPinnedRoot(root);
}

Status Unpin(BlockCache& cache, const ipld::Cid& root) {
  auto pin_lock = cache.LockPins();
  IPFSFS_ASSIGN_OR_RETURN(auto roots, cache.Pins());
  const ipld::Cid* found = nullptr;
  for (const auto& r : roots) {
    if (r.hash() == root.hash()) found = &r;
  }
  if (!found) return MakeError(ErrorCode::kNotFound, root.ToString() + " is not pinned");
  std::mutex mu;
  IPFSFS_RETURN_IF_ERROR(WalkDag(cache, *found, 64, [&](const ipld::Cid& cid, const Block* b, uint64_t) {
    std::lock_guard<std::mutex> l(mu);
    return cache.AdjustPin(cid, b, -1);
  }));
  return cache.RemovePinnedRoot(*found);
}

Status ExportCar(BlockCache& cache, const ipld::Cid& root, const std::string& path,
                 const std::function<void(uint64_t)>& progress) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return MakeError(ErrorCode::kUnavailable, "cannot write " + path);
  Bytes header = ipld::EncodeCarV1Header({root});
  out.write(reinterpret_cast<const char*>(header.data()), static_cast<std::streamsize>(header.size()));
  // Depth-first, links in order, each block once (what gateways send as order=dfs, dups=n).
  std::vector<ipld::Cid> stack{root};
  std::set<ipld::Multihash> seen;
  Bytes section;
  while (!stack.empty()) {
    ipld::Cid cid = std::move(stack.back());
    stack.pop_back();
    if (!seen.insert(cid.hash()).second) continue;
    IPFSFS_ASSIGN_OR_RETURN(auto block, cache.GetBlocking(cid));
    section.clear();
    ipld::AppendCarSection(section, cid, block.bytes());
    out.write(reinterpret_cast<const char*>(section.data()), static_cast<std::streamsize>(section.size()));
    if (progress) progress(section.size());
    IPFSFS_ASSIGN_OR_RETURN(auto links, Links(block));
    for (auto it = links.rbegin(); it != links.rend(); ++it) stack.push_back(std::move(*it));
  }
  out.flush();
  if (!out) return MakeError(ErrorCode::kUnavailable, "writing " + path + " failed");
  return OkStatus();
}

Result<std::vector<ipld::Cid>> ImportCar(BlockCache& cache, const std::string& path,
                                         const std::function<void(uint64_t)>& progress) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return MakeError(ErrorCode::kNotFound, "cannot open " + path);
  ipld::CarParser parser;
  std::vector<char> buf(1 << 20);
  while (true) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    auto n = in.gcount();
    if (n > 0) parser.Feed(ByteSpan(reinterpret_cast<const std::byte*>(buf.data()), static_cast<size_t>(n)));
    else parser.Finish();
    while (true) {
      auto next = parser.Next();
      if (!next) return tl::unexpected(next.error().Wrap(path));
      if (!*next) break;
      auto& cb = **next;
      IPFSFS_ASSIGN_OR_RETURN(auto block, Block::Verify(cb.cid, std::move(cb.data)));
      IPFSFS_RETURN_IF_ERROR(cache.Put(block));
    }
    if (progress && n > 0) progress(static_cast<uint64_t>(n));
    if (parser.at_end()) break;
    if (n <= 0) return MakeError(ErrorCode::kCorrupt, path + ": truncated car");
  }
  return parser.header() ? parser.header()->roots : std::vector<ipld::Cid>{};
}

}  // namespace ipfsfs::blockcache
