#include "resolver/directory_stream.h"

#include <algorithm>
#include <utility>

#include "ipld/hamt.h"

namespace ipfsfs::resolver {

DirectoryStream::DirectoryStream(Resolver& resolver, DirectoryStreamOptions options)
    : resolver_(resolver), options_(options) {}

Result<std::shared_ptr<DirectoryStream>> DirectoryStream::Open(Resolver& resolver, NodePtr dir,
                                                               DirectoryStreamOptions options) {
  auto stream = std::make_shared<DirectoryStream>(resolver, options);
  if (dir->info.kind == NodeKind::kDirectory) {
    for (const auto& link : dir->links) {
      stream->AddEntry(DirEntry{link.name.value_or(""), link.hash, link.tsize.value_or(0)});
    }
    stream->StartCar(*dir);
    return stream;
  }
  if (dir->info.kind != NodeKind::kHamtShard) {
    return MakeError(ErrorCode::kInvalidArgument, dir->info.cid.ToString() + " is not a directory");
  }
  IPFSFS_RETURN_IF_ERROR(stream->Expand(*dir, stream->queue_));
  stream->StartCar(*dir);
  return stream;
}

bool DirectoryStream::ColdEntries(const Node& dir, int depth) const {
  const auto& links = dir.links;
  auto& getter = resolver_.getter();
  for (size_t i : {size_t{0}, links.size() / 2, links.size() - 1}) {
    if (i >= links.size() || links[i].hash.hash().is_identity()) continue;
    if (!getter.StoredSize(links[i].hash)) return true;
    if (dir.info.kind != NodeKind::kHamtShard || depth <= 0) continue;
    auto parsed = ipld::ParseHamtLinkName(links[i].name.value_or(""), dir.fanout);
    if (!parsed || !parsed->entry.empty()) continue;  // an entry, stored
    auto block = getter.GetLocal(links[i].hash);
    if (!block || !*block) continue;  // stored after all: as before, warm
    auto shard = DecodeNode(**block);
    if (!shard || shard->info.kind != NodeKind::kHamtShard) continue;  // the listing will say
    if (ColdEntries(*shard, depth - 1)) return true;
  }
  return false;
}

void DirectoryStream::StartCar(const Node& dir) {
  const auto& links = dir.links;
  if (!options_.use_cars || links.empty()) return;
  auto& getter = resolver_.getter();
  // Cold when a sampled entry's block is not stored (a listing seen before, or
  // a tree fetched whole, needs no CAR). A HAMT's stored sub-shards are looked
  // through to their entries: the lookup's head CAR may have brought the
  // shards alone (Resolver::GetNodeAhead).
  if (!ColdEntries(dir, 4)) return;
  const bool hamt = dir.info.kind == NodeKind::kHamtShard;
  uint64_t entries = 0, entry_bytes = 0;
  for (const auto& link : links) {
    if (hamt) {
      auto parsed = ipld::ParseHamtLinkName(link.name.value_or(""), dir.fanout);
      if (!parsed || parsed->entry.empty()) continue;  // a sub-shard (a bad name fails the listing later)
    }
    ++entries;
    entry_bytes += link.tsize.value_or(0);
  }
  const uint64_t dag = dir.info.dag_size;
  const bool whole = dag <= options_.whole_dag_max && (entries == 0 || entry_bytes / entries <= options_.small_child);
  if (!whole && !hamt) return;  // a plain directory's own block is here already
  auto scope = whole ? blockcache::PrefetchScope::kAll : blockcache::PrefetchScope::kEntity;
  uint64_t budget = whole ? dag + dag / 4 + (64u << 10) : 0;
  car_ = true;
  children_in_car_ = whole;
  getter.PrefetchDag(dir.info.cid, scope, budget, [weak = weak_from_this()](Status s) {
    // kUnsupported comes at once (offline, no source): nothing will come.
    // Other failures come later; the blocks it did not bring are asked for alone.
    if (s || s.error().code != ErrorCode::kUnsupported) return;
    if (auto self = weak.lock()) {
      self->car_ = false;
      self->children_in_car_ = false;
    }
  });
}

void DirectoryStream::AddEntry(DirEntry entry) {
  if (!IsExposableName(entry.name)) return;
  if (!seen_.insert(entry.name).second) return;  // first of repeated names wins, as lookups do
  entries_.push_back(std::move(entry));
}

// Appends the shard's links in slot order: entries, and sub-shards to expand
// in their place later.
Status DirectoryStream::Expand(const Node& shard, std::deque<Item>& out) {
  std::deque<Item> items;
  for (const auto& link : shard.links) {
    if (!link.name) return MakeError(ErrorCode::kCorrupt, shard.info.cid.ToString() + ": shard link without a name");
    auto parsed = ipld::ParseHamtLinkName(*link.name, shard.fanout);  // views into *link.name
    if (!parsed) return tl::unexpected(parsed.error().Wrap(shard.info.cid.ToString()));
    Item item;
    if (parsed->entry.empty()) {
      item.shard = std::make_shared<ShardFetch>();
      item.shard->cid = link.hash;
      item.shard->fanout = shard.fanout;
    } else {
      item.entry = DirEntry{std::string(parsed->entry), link.hash, link.tsize.value_or(0)};
    }
    items.push_back(std::move(item));
  }
  out.insert(out.begin(), std::make_move_iterator(items.begin()), std::make_move_iterator(items.end()));
  return OkStatus();
}

void DirectoryStream::Fill(size_t want, std::function<void(Status)> done) {
  {
    std::lock_guard lock(mu_);
    waiters_.push_back(Waiter{want, std::move(done)});
    want_ = std::max(want_, want);
  }
  Drive();
}

void DirectoryStream::Advance(std::vector<std::shared_ptr<ShardFetch>>& to_start) {
  while (!error_ && !queue_.empty() && entries_.size() < want_) {
    Item& front = queue_.front();
    if (front.entry) {
      AddEntry(std::move(*front.entry));
      queue_.pop_front();
      continue;
    }
    auto shard = front.shard;
    if (!shard->result) {
      if (!shard->started) {
        shard->started = true;
        to_start.push_back(shard);
      }
      break;
    }
    queue_.pop_front();
    if (!*shard->result) {
      error_ = shard->result->error();
      break;
    }
    const Node& node = ***shard->result;
    if (node.info.kind != NodeKind::kHamtShard || node.fanout != shard->fanout) {
      error_ = Error{ErrorCode::kCorrupt, node.info.cid.ToString() + ": sub-shard is not a shard of the same fanout"};
      break;
    }
    if (auto st = Expand(node, queue_); !st) error_ = st.error();
  }
  if (error_ || entries_.size() >= want_) return;
  // Waiting on a shard: fetch the next few ahead in parallel.
  size_t ahead = 0;
  for (const Item& item : queue_) {
    if (ahead >= options_.shard_lookahead) break;
    if (!item.shard) continue;
    ++ahead;
    if (!item.shard->started) {
      item.shard->started = true;
      to_start.push_back(item.shard);
    }
  }
}

void DirectoryStream::Drive() {
  std::unique_lock lock(mu_);
  if (driving_) {
    again_ = true;
    return;
  }
  driving_ = true;
  for (;;) {
    again_ = false;
    std::vector<std::shared_ptr<ShardFetch>> to_start;
    Advance(to_start);
    bool ended = error_.has_value() || queue_.empty();
    std::vector<Waiter> ready;
    for (auto it = waiters_.begin(); it != waiters_.end();) {
      if (ended || entries_.size() >= it->want) {
        ready.push_back(std::move(*it));
        it = waiters_.erase(it);
      } else {
        ++it;
      }
    }
    std::optional<Error> error = error_;
    size_t have = entries_.size();
    lock.unlock();
    std::weak_ptr<DirectoryStream> weak = weak_from_this();
    for (auto& fetch : to_start) {
      auto got = [weak, fetch](Result<NodePtr> node) {
        auto self = weak.lock();
        if (!self) return;
        {
          std::lock_guard lock(self->mu_);
          fetch->result = std::move(node);
        }
        self->Drive();
      };
      if (car_) {
        resolver_.GetExpectedNode(fetch->cid, options_.car_patience, std::move(got));
      } else {
        resolver_.GetNode(fetch->cid, std::move(got));
      }
    }
    for (auto& w : ready) {
      if (error && have < w.want) {
        w.done(tl::unexpected(*error));
      } else {
        w.done(OkStatus());
      }
    }
    lock.lock();
    if (!again_) break;
  }
  driving_ = false;
}

std::vector<DirEntry> DirectoryStream::Entries(size_t from, size_t max) const {
  std::lock_guard lock(mu_);
  std::vector<DirEntry> out;
  for (size_t i = from; i < entries_.size() && out.size() < max; ++i) out.push_back(entries_[i]);
  return out;
}

size_t DirectoryStream::available() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

bool DirectoryStream::finished() const {
  std::lock_guard lock(mu_);
  return error_.has_value() || queue_.empty();
}

}  // namespace ipfsfs::resolver
