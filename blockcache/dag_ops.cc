// The blocking DAG operations: fetch, pin, unpin, CAR export/import, verify.
#include <deque>
#include <fstream>
#include <future>
#include <set>

#include "blockcache/internal/block_cache_impl.h"
#include "ipld/car.h"
#include "ipld/dag_pb.h"

namespace ipfsfs::blockcache::internal {
namespace {

// The links of a block: dag-pb has them, raw has none; other codecs are not walked.
Result<std::vector<ipld::Cid>> Links(const Block& block) {
  std::vector<ipld::Cid> out;
  if (block.cid().codec() != static_cast<uint64_t>(ipld::Codec::kDagPb)) return out;
  IPFSFS_ASSIGN_OR_RETURN(auto node, ipld::DecodePbNode(block.bytes()));
  for (auto& link : node.links) out.push_back(std::move(link.hash));
  return out;
}

}  // namespace

Status BlockCacheImpl::WalkDag(const ipld::Cid& root, size_t window, const Visit& visit,
                               const std::function<void()>& tick) {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<ipld::Cid> queue{root};
  std::set<ipld::Multihash> seen{root.hash()};
  size_t running = 0;
  std::optional<Error> error;
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
      std::optional<uint64_t> size;
      {
        std::lock_guard<std::mutex> l(mu_);
        auto it = index_.find(cid.hash());
        if (it != index_.end()) size = it->second.size;
      }
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
    Get(cid, [&, cid](Result<Block> block) {
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

Result<BlockCache::FetchProgress> BlockCacheImpl::Fetch(const ipld::Cid& root, bool use_car,
                                                        std::function<void(const FetchProgress&)> progress) {
  std::atomic<uint64_t> car_blocks{0};
  if (use_car && !options_.offline && !sources_.empty()) {
    std::promise<Status> promise;
    auto future = promise.get_future();
    StreamCar(root, PrefetchScope::kAll, std::nullopt, [&](Status s, uint64_t n) {
      car_blocks = n;
      promise.set_value(std::move(s));
    });
    Status s = future.get();
    if (!s) Log()->info("car fetch of {} incomplete ({}); continuing block by block", root.ToString(), s.error().message);
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
      root, 64,
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

Status BlockCacheImpl::PinBlock(const ipld::Cid& cid, const Block* block, int delta,
                                std::vector<std::pair<ipld::Multihash, BlockMeta>>& metas) {
  const auto& mh = cid.hash();
  if (mh.is_identity()) return OkStatus();
  for (int round = 0; round < 2; ++round) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = index_.find(mh);
      if (it != index_.end()) {
        auto& e = it->second;
        uint32_t before = e.pins;
        e.pins = delta > 0 ? e.pins + 1 : (e.pins > 0 ? e.pins - 1 : 0);
        if (before == 0 && e.pins > 0) ++pinned_blocks_;
        if (before > 0 && e.pins == 0) --pinned_blocks_;
        metas.emplace_back(mh, BlockMeta{e.size, e.last_use, e.pins});
        return OkStatus();
      }
    }
    if (delta < 0) return OkStatus();
    if (!block) return MakeError(ErrorCode::kNotFound, "block " + cid.ToString() + " was evicted");
    // Evicted between the get and now (a DAG bigger than the quota): store it pinned.
    IPFSFS_RETURN_IF_ERROR(Commit(*block, 1));
    std::lock_guard<std::mutex> lock(mu_);
    auto it = index_.find(mh);
    if (it != index_.end() && it->second.pins > 0) {
      metas.emplace_back(mh, BlockMeta{it->second.size, it->second.last_use, it->second.pins});
      return OkStatus();
    }
  }
  return MakeError(ErrorCode::kInternal, "could not pin " + cid.ToString());
}

Status BlockCacheImpl::Pin(const ipld::Cid& root) {
  std::lock_guard<std::mutex> pin_lock(pin_mu_);
  IPFSFS_ASSIGN_OR_RETURN(auto roots, store_->Roots());
  for (const auto& r : roots) {
    if (r.hash() == root.hash()) return OkStatus();
  }
  std::mutex mu;
  std::vector<std::pair<ipld::Multihash, BlockMeta>> metas;
  std::vector<ipld::Cid> pinned;  // to undo on failure
  auto s = WalkDag(root, 64, [&](const ipld::Cid& cid, const Block* b, uint64_t) {
    std::lock_guard<std::mutex> l(mu);
    auto r = PinBlock(cid, b, +1, metas);
    if (r) pinned.push_back(cid);
    return r;
  });
  if (!s) {
    std::vector<std::pair<ipld::Multihash, BlockMeta>> undo;
    for (const auto& cid : pinned) (void)PinBlock(cid, nullptr, -1, undo);
    (void)store_->PutMeta(undo);
    return tl::unexpected(s.error().Wrap("pin " + root.ToString()));
  }
  IPFSFS_RETURN_IF_ERROR(store_->PutMeta(metas));
  return store_->AddRoot(root);
}

Status BlockCacheImpl::Unpin(const ipld::Cid& root) {
  std::lock_guard<std::mutex> pin_lock(pin_mu_);
  IPFSFS_ASSIGN_OR_RETURN(auto roots, store_->Roots());
  const ipld::Cid* found = nullptr;
  for (const auto& r : roots) {
    if (r.hash() == root.hash()) found = &r;
  }
  if (!found) return MakeError(ErrorCode::kNotFound, root.ToString() + " is not pinned");
  std::mutex mu;
  std::vector<std::pair<ipld::Multihash, BlockMeta>> metas;
  IPFSFS_RETURN_IF_ERROR(WalkDag(*found, 64, [&](const ipld::Cid& cid, const Block* b, uint64_t) {
    std::lock_guard<std::mutex> l(mu);
    return PinBlock(cid, b, -1, metas);
  }));
  IPFSFS_RETURN_IF_ERROR(store_->PutMeta(metas));
  {
    std::lock_guard<std::mutex> lock(mu_);
    evict_blocked_ = false;  // its blocks may be evicted now
  }
  return store_->RemoveRoot(*found);
}

Result<std::vector<ipld::Cid>> BlockCacheImpl::Pins() { return store_->Roots(); }

Status BlockCacheImpl::ExportCar(const ipld::Cid& root, const std::string& path) {
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
    IPFSFS_ASSIGN_OR_RETURN(auto block, GetBlocking(cid));
    section.clear();
    ipld::AppendCarSection(section, cid, block.bytes());
    out.write(reinterpret_cast<const char*>(section.data()), static_cast<std::streamsize>(section.size()));
    IPFSFS_ASSIGN_OR_RETURN(auto links, Links(block));
    for (auto it = links.rbegin(); it != links.rend(); ++it) stack.push_back(std::move(*it));
  }
  out.flush();
  if (!out) return MakeError(ErrorCode::kUnavailable, "writing " + path + " failed");
  return OkStatus();
}

Result<std::vector<ipld::Cid>> BlockCacheImpl::ImportCar(const std::string& path) {
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
      IPFSFS_RETURN_IF_ERROR(Put(block));
    }
    if (parser.at_end()) break;
    if (n <= 0) return MakeError(ErrorCode::kCorrupt, path + ": truncated car");
  }
  return parser.header() ? parser.header()->roots : std::vector<ipld::Cid>{};
}

Result<VerifyResult> BlockCacheImpl::Verify() {
  std::vector<ipld::Multihash> all;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [mh, e] : index_) all.push_back(mh);
  }
  VerifyResult result;
  std::vector<ipld::Multihash> bad;
  for (const auto& mh : all) {
    auto data = store_->GetData(mh);
    if (!data) return tl::unexpected(data.error());
    if (!*data) continue;  // evicted meanwhile
    ++result.checked;
    if (!mh.Matches(***data)) {
      Log()->error("cached block {} is damaged; removing it", ipld::Cid::V1(ipld::Codec::kRaw, mh).ToString());
      bad.push_back(mh);
    }
  }
  if (!bad.empty()) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (const auto& mh : bad) {
        auto it = index_.find(mh);
        if (it == index_.end()) continue;
        stored_bytes_ -= it->second.size;
        if (it->second.pins > 0) {
          --pinned_blocks_;
          lost_pins_[it->first] = it->second.pins;  // restored when the block is stored again
        }
        index_.erase(it);
      }
    }
    IPFSFS_RETURN_IF_ERROR(store_->Delete(bad));
  }
  result.removed = bad.size();
  return result;
}

}  // namespace ipfsfs::blockcache::internal
