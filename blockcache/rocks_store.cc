// Store on RocksDB and pack files: block bytes in append-only pack files in the
// order they arrive (internal/pack_files.h), RocksDB holding the index, the
// metadata and the pins.
//
// Persisted layout, format 2 (never change without a migration):
//   default: "ipfsfs-format" = "2"; a cache with a higher number is refused.
//   "packs": key = multihash bytes, value = PackLocation (16 bytes, pack_files.h)
//   "meta":  key = 'm' + multihash bytes, value = BlockMeta (20 bytes, see store.h)
//            key = 'p' + CID bytes, value = "" (a pinned root)
//   "blocks": format 1 (before pack files): key = multihash bytes, value =
//            block bytes (RocksDB blob files). Still read; a block read there
//            is moved into a pack (lazily, no migration pass at open), and
//            eviction deletes it. Its presence is what makes an older ipfsfs
//            refuse to open this cache ("Column families not opened: packs").
//   DIR/packs/NNNNNNNN.pack: the block bytes.
// Crash safety: a block's bytes are written to its pack before its index
// entry. Index entries and metadata skip RocksDB's write-ahead log (a WAL write that hits a
// full disk aborts this RocksDB) and reach disk with a memtable flush, and
// every flush first fdatasyncs the packs: a kill -9 or a power loss at any
// moment leaves no index entry without its bytes. A flush starts every
// kFlushBytes of new blocks, so a crash forgets at most about that much (their
// bytes become garbage that the pack's deletion or Reclaim gives back); a pin
// flushes first, so a pinned block is never forgotten.
#include <sys/statvfs.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <future>
#include <mutex>
#include <set>
#include <tuple>

#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/listener.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include "blockcache/internal/log.h"
#include "blockcache/internal/pack_files.h"
#include "blockcache/store.h"

namespace ipfsfs::blockcache {
namespace {

constexpr char kMetaPrefix = 'm';
constexpr char kRootPrefix = 'p';
constexpr size_t kMetaSize = 20;
constexpr char kFormatKey[] = "ipfsfs-format";
constexpr int kFormat = 2;
// New blocks' index entries reach disk (a memtable flush) at least this often.
constexpr uint64_t kFlushBytes = 16u << 20;

using internal::PackFiles;
using internal::PackLocation;

rocksdb::Slice SliceOf(const Bytes& b) { return rocksdb::Slice(AsText(b).data(), b.size()); }

std::string MetaKey(const ipld::Multihash& mh) {
  Bytes enc = mh.Encode();
  std::string key(1, kMetaPrefix);
  key.append(AsText(enc));
  return key;
}

std::string EncodeMeta(const BlockMeta& m) {
  std::string out;
  AppendLe(out, m.size, 8);
  AppendLe(out, m.last_use, 8);
  AppendLe(out, m.pins, 4);
  return out;
}

std::optional<BlockMeta> DecodeMeta(std::string_view v) {
  if (v.size() != kMetaSize) return std::nullopt;
  return BlockMeta{ReadLe(v.data(), 8), ReadLe(v.data() + 8, 8), static_cast<uint32_t>(ReadLe(v.data() + 16, 4))};
}

Error FromRocks(const rocksdb::Status& s, std::string_view what) {
  ErrorCode code = ErrorCode::kInternal;
  if (s.IsCorruption()) code = ErrorCode::kCorrupt;
  if (s.IsIOError()) code = ErrorCode::kUnavailable;
  if (s.IsNoSpace()) code = ErrorCode::kNoSpace;
  if (s.IsBusy() || s.IsTimedOut()) code = ErrorCode::kUnavailable;
  return Error{code, std::string(what) + ": " + s.ToString()};
}

// Before RocksDB writes a memtable to a table file, the pack bytes its index
// entries point at go to disk first (a power loss then never leaves a
// persisted entry without its bytes).
class SyncPacksBeforeFlush : public rocksdb::EventListener {
 public:
  explicit SyncPacksBeforeFlush(PackFiles*& packs) : packs_(packs) {}
  void OnFlushBegin(rocksdb::DB*, const rocksdb::FlushJobInfo&) override {
    if (packs_) (void)packs_->Sync();
  }

 private:
  PackFiles*& packs_;
};

class RocksStore : public Store {
 public:
  ~RocksStore() override {
    if (counting_.valid()) counting_.wait();
    if (db_) {
      if (packs_) (void)packs_->Sync();
      db_->Flush(rocksdb::FlushOptions(), handles_).PermitUncheckedError();
      for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
      db_->Close().PermitUncheckedError();
    }
  }

  Status Open(const std::string& dir, const RocksStoreOptions& o) {
    std::error_code ec;
    const bool existed = std::filesystem::exists(dir, ec);
    std::filesystem::create_directories(dir, ec);
    if (ec) return MakeError(ErrorCode::kUnavailable, "cannot create " + dir + ": " + ec.message());
    // Cached blocks are private to their owner: nothing is shared with other
    // users unless they ask (a directory they made keeps its own mode).
    if (!existed) std::filesystem::permissions(dir, std::filesystem::perms::owner_all, ec);
    rocksdb::DBOptions db_options;
    db_options.create_if_missing = true;
    db_options.create_missing_column_families = true;
    db_options.max_background_jobs = 2;
    db_options.keep_log_file_num = 3;
    db_options.max_open_files = 512;
    // Index writes skip the WAL (see above): flushing all column families
    // together keeps a block's index entry and metadata whole-or-absent.
    db_options.atomic_flush = true;
    db_options.listeners.push_back(std::make_shared<SyncPacksBeforeFlush>(packs_raw_));
    auto table = [&] {
      rocksdb::BlockBasedTableOptions t;
      t.block_cache = cache_;
      t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
      return rocksdb::NewBlockBasedTableFactory(t);
    };
    cache_ = rocksdb::NewLRUCache(o.read_cache_bytes);
    // Format 1's blocks (read and deleted only; nothing new goes there).
    rocksdb::ColumnFamilyOptions legacy;
    legacy.enable_blob_files = true;
    legacy.min_blob_size = 4096;
    legacy.blob_compression_type = rocksdb::kNoCompression;
    legacy.compression = rocksdb::kNoCompression;
    legacy.enable_blob_garbage_collection = false;
    legacy.write_buffer_size = 1u << 20;
    legacy.table_factory.reset(table());
    // The index and metadata: small values, point lookups (bloom filters),
    // small memtables (RSS goal 100 MiB while streaming).
    rocksdb::ColumnFamilyOptions small;
    small.write_buffer_size = o.write_buffer_bytes;
    small.max_write_buffer_number = 2;
    small.table_factory.reset(table());
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs = {
        {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions()},
        {"blocks", legacy},
        {"meta", small},
        {"packs", small},
    };
    rocksdb::DB* db = nullptr;
    auto s = rocksdb::DB::Open(db_options, dir, cfs, &handles_, &db);
    if (!s.ok()) {
      Error e = FromRocks(s, "cannot open cache " + dir);
      if (s.ToString().find("lock") != std::string::npos) {
        e = Error{ErrorCode::kUnavailable, "cache " + dir + " is in use by another process"};
      }
      return tl::unexpected(e);
    }
    db_.reset(db);
    dir_ = dir;
    IPFSFS_RETURN_IF_ERROR(CheckFormat());
    IPFSFS_ASSIGN_OR_RETURN(packs_, PackFiles::Open(dir + "/packs", o.pack_bytes));
    packs_raw_ = packs_.get();
    // Live bytes per pack, from the index, on a thread of its own while the
    // quota loads the metadata (a million-block cache opens in under a
    // second); what releases pack bytes waits for it (Counted).
    counting_ = std::async(std::launch::async, [this] { return CountPacks(); }).share();
    uint64_t legacy_bytes = 0;
    legacy_ = db_->GetIntProperty(blocks(), rocksdb::DB::Properties::kTotalBlobFileSize, &legacy_bytes) &&
              legacy_bytes > 0;
    if (!legacy_) {
      // No blob files; blocks below the blob threshold may still sit in tables.
      std::unique_ptr<rocksdb::Iterator> b(db_->NewIterator(rocksdb::ReadOptions(), blocks()));
      b->SeekToFirst();
      legacy_ = b->Valid();
    }
    return OkStatus();
  }

  // Packs nothing points at (a crash between append and index, or an
  // interrupted reclaim) go once all are counted. An index that cannot be
  // read leaves every pack in place (Counted is then false).
  bool CountPacks() {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), packs()));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (auto loc = internal::DecodeLocation(std::string_view(it->value().data(), it->value().size()))) {
        packs_->Count(*loc);
      }
    }
    if (!it->status().ok()) {
      internal::Log()->error("cannot scan the block index of {}: {}; no pack file is deleted until it can be",
                             dir_, it->status().ToString());
      return false;
    }
    packs_->DropUnreferenced();
    return true;
  }
  bool Counted() { return counting_.valid() && counting_.get(); }

  Result<std::optional<std::shared_ptr<const Bytes>>> GetData(const ipld::Multihash& mh) override {
    Bytes key = mh.Encode();
    std::string value;
    auto s = db_->Get(rocksdb::ReadOptions(), packs(), SliceOf(key), &value);
    if (s.ok()) {
      auto loc = internal::DecodeLocation(value);
      if (!loc) return std::optional<std::shared_ptr<const Bytes>>();  // unreadable: dropped as damaged
      IPFSFS_ASSIGN_OR_RETURN(auto bytes, packs_->Read(*loc));
      if (!bytes) return std::optional<std::shared_ptr<const Bytes>>();
      return std::optional<std::shared_ptr<const Bytes>>(std::make_shared<const Bytes>(std::move(*bytes)));
    }
    if (!s.IsNotFound()) return tl::unexpected(FromRocks(s, "read block index"));
    if (!legacy_) return std::optional<std::shared_ptr<const Bytes>>();
    return GetLegacy(mh, key);
  }

  Result<std::optional<BlockExtent>> Locate(const ipld::Multihash& mh) override {
    Bytes key = mh.Encode();
    std::string value;
    auto s = db_->Get(rocksdb::ReadOptions(), packs(), SliceOf(key), &value);
    if (s.IsNotFound()) return std::optional<BlockExtent>();  // absent, or a format-1 blob: GetData
    if (!s.ok()) return tl::unexpected(FromRocks(s, "read block index"));
    auto loc = internal::DecodeLocation(value);
    if (!loc) return std::optional<BlockExtent>();
    return packs_->Extent(*loc);
  }

  Status Put(const ipld::Multihash& mh, ByteSpan data, const BlockMeta& meta) override {
    IPFSFS_ASSIGN_OR_RETURN(auto loc, packs_->Append(data));
    Bytes key = mh.Encode();
    rocksdb::WriteBatch batch;
    batch.Put(packs(), SliceOf(key), internal::EncodeLocation(loc));
    batch.Put(metas(), MetaKey(mh), EncodeMeta(meta));
    auto written = Write(batch, "store block", /*wal=*/false);
    if (!written) {
      packs_->Release(loc);
      return written;
    }
    if (unflushed_.fetch_add(data.size()) + data.size() >= kFlushBytes) {
      unflushed_ = 0;
      rocksdb::FlushOptions fo;
      fo.wait = false;  // in the background; the next Put does not wait for it
      fo.allow_write_stall = true;
      db_->Flush(fo, handles_).PermitUncheckedError();
    }
    return written;
  }

  // Unlogged like the index entries, so a crash keeps both or neither; and
  // only for blocks still stored (a last-use time batched before an eviction
  // must not bring back metadata without bytes).
  Status PutMeta(const std::vector<std::pair<ipld::Multihash, BlockMeta>>& list) override {
    std::lock_guard<std::mutex> lock(index_mu_);
    std::vector<Bytes> keys;
    keys.reserve(list.size());
    for (const auto& [mh, meta] : list) keys.push_back(mh.Encode());
    IPFSFS_ASSIGN_OR_RETURN(auto locs, Locations(keys));
    rocksdb::WriteBatch batch;
    for (size_t i = 0; i < list.size(); ++i) {
      if (!locs[i] && !HasLegacy(keys[i])) continue;
      batch.Put(metas(), MetaKey(list[i].first), EncodeMeta(list[i].second));
    }
    return Write(batch, "store metadata", /*wal=*/false);
  }

  Status Delete(const std::vector<ipld::Multihash>& mhs) override {
    std::lock_guard<std::mutex> lock(index_mu_);
    std::vector<Bytes> keys;
    keys.reserve(mhs.size());
    for (const auto& mh : mhs) keys.push_back(mh.Encode());
    IPFSFS_ASSIGN_OR_RETURN(auto locs, Locations(keys));
    rocksdb::WriteBatch batch;
    for (size_t i = 0; i < mhs.size(); ++i) {
      if (legacy_) batch.Delete(blocks(), SliceOf(keys[i]));
      batch.Delete(packs(), SliceOf(keys[i]));
      batch.Delete(metas(), MetaKey(mhs[i]));
    }
    IPFSFS_RETURN_IF_ERROR(Write(batch, "delete blocks"));
    if (!Counted()) return OkStatus();  // the packs keep their bytes as garbage
    for (const auto& loc : locs) {
      if (loc) packs_->Release(*loc);  // an emptied pack is deleted
    }
    return OkStatus();
  }

  Status Reclaim(uint64_t live_bytes, uint64_t min_garbage) override {
    if (legacy_) IPFSFS_RETURN_IF_ERROR(ReclaimLegacy(live_bytes, min_garbage));
    return ReclaimPacks(min_garbage);
  }

  Status ForEachMeta(const std::function<void(ipld::Multihash, const BlockMeta&)>& fn) override {
    rocksdb::ReadOptions ro;
    ro.readahead_size = 2u << 20;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, metas()));
    for (it->Seek(std::string(1, kMetaPrefix)); it->Valid() && it->key()[0] == kMetaPrefix; it->Next()) {
      auto k = it->key();
      auto mh = ipld::Multihash::Decode(AsBytes(std::string_view(k.data() + 1, k.size() - 1)));
      auto meta = DecodeMeta(std::string_view(it->value().data(), it->value().size()));
      if (!mh || !meta) continue;  // unreadable entries are ignored; verify() removes them
      fn(std::move(*mh), *meta);
    }
    if (!it->status().ok()) return tl::unexpected(FromRocks(it->status(), "scan metadata"));
    return OkStatus();
  }

  uint64_t EstimatedBlocks() override {
    uint64_t n = 0;
    return db_->GetIntProperty(metas(), "rocksdb.estimate-num-keys", &n) ? n : 0;
  }

  Status AddRoot(const ipld::Cid& root) override {
    // Blocks indexed without the WAL must be on disk before the pin is (the
    // flush syncs their packs first).
    auto f = db_->Flush(rocksdb::FlushOptions(), handles_);
    if (!f.ok()) return tl::unexpected(FromRocks(f, "flush before pin"));
    auto s = db_->Put(rocksdb::WriteOptions(), metas(), RootKey(root), "");
    if (!s.ok()) return tl::unexpected(FromRocks(s, "store pin"));
    return OkStatus();
  }
  Status RemoveRoot(const ipld::Cid& root) override {
    // The pin counts it lowered (unlogged) on disk before the root goes.
    auto f = db_->Flush(rocksdb::FlushOptions(), handles_);
    if (!f.ok()) return tl::unexpected(FromRocks(f, "flush before unpin"));
    auto s = db_->Delete(rocksdb::WriteOptions(), metas(), RootKey(root));
    if (!s.ok()) return tl::unexpected(FromRocks(s, "remove pin"));
    return OkStatus();
  }
  Result<std::vector<ipld::Cid>> Roots() override {
    std::vector<ipld::Cid> out;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), metas()));
    for (it->Seek(std::string(1, kRootPrefix)); it->Valid() && it->key()[0] == kRootPrefix; it->Next()) {
      auto k = it->key();
      auto cid = ipld::Cid::FromBytes(AsBytes(std::string_view(k.data() + 1, k.size() - 1)));
      if (cid) out.push_back(*cid);
    }
    if (!it->status().ok()) return tl::unexpected(FromRocks(it->status(), "scan pins"));
    return out;
  }

 private:
  static std::string RootKey(const ipld::Cid& cid) {
    Bytes b = cid.ToBytes();
    std::string key(1, kRootPrefix);
    key.append(AsText(b));
    return key;
  }

  // Refuses a cache written by a newer ipfsfs; marks an older or new one.
  Status CheckFormat() {
    std::string v;
    auto s = db_->Get(rocksdb::ReadOptions(), db_->DefaultColumnFamily(), kFormatKey, &v);
    if (s.ok()) {
      int found = std::atoi(v.c_str());
      if (found > kFormat) {
        return MakeError(ErrorCode::kUnsupported,
                         "cache " + dir_ + " has layout " + v + ", written by a newer ipfsfs; this one reads up to " +
                             std::to_string(kFormat) + ": upgrade ipfsfs or use another --cache-dir");
      }
      if (found == kFormat) return OkStatus();
    } else if (!s.IsNotFound()) {
      return tl::unexpected(FromRocks(s, "read cache format"));
    }
    rocksdb::WriteOptions wo;
    wo.sync = true;
    auto w = db_->Put(wo, db_->DefaultColumnFamily(), kFormatKey, std::to_string(kFormat));
    if (!w.ok()) return tl::unexpected(FromRocks(w, "write cache format"));
    return OkStatus();
  }

  Result<std::vector<std::optional<PackLocation>>> Locations(const std::vector<Bytes>& keys) {
    std::vector<rocksdb::Slice> slices;
    slices.reserve(keys.size());
    for (const auto& k : keys) slices.push_back(SliceOf(k));
    std::vector<std::string> values;
    std::vector<rocksdb::ColumnFamilyHandle*> cfs(keys.size(), packs());
    auto statuses = db_->MultiGet(rocksdb::ReadOptions(), cfs, slices, &values);
    std::vector<std::optional<PackLocation>> out(keys.size());
    for (size_t i = 0; i < keys.size(); ++i) {
      if (statuses[i].ok()) {
        out[i] = internal::DecodeLocation(values[i]);
      } else if (!statuses[i].IsNotFound()) {
        return tl::unexpected(FromRocks(statuses[i], "read block index"));
      }
    }
    return out;
  }

  bool HasLegacy(const Bytes& key) {
    if (!legacy_) return false;
    rocksdb::PinnableSlice value;
    return db_->Get(rocksdb::ReadOptions(), blocks(), SliceOf(key), &value).ok();
  }

  // Format 1: the block from the blob files, moved into a pack on the way.
  Result<std::optional<std::shared_ptr<const Bytes>>> GetLegacy(const ipld::Multihash& mh, const Bytes& key) {
    rocksdb::PinnableSlice value;
    rocksdb::ReadOptions ro;
    ro.verify_checksums = false;  // the caller re-hashes every block against its CID
    auto s = db_->Get(ro, blocks(), SliceOf(key), &value);
    if (s.IsNotFound()) return std::optional<std::shared_ptr<const Bytes>>();
    if (!s.ok()) return tl::unexpected(FromRocks(s, "read block"));
    auto* p = reinterpret_cast<const std::byte*>(value.data());
    auto data = std::make_shared<const Bytes>(p, p + value.size());
    value.Reset();
    // Only a block whose bytes are right moves; a damaged one is the caller's to drop.
    if (mh.Matches(*data)) {
      if (auto moved = MoveLegacy(key, *data); !moved) {
        internal::Log()->debug("moving a cached block into a pack: {}", moved.error().message);
      }
    }
    return std::optional<std::shared_ptr<const Bytes>>(std::move(data));
  }

  Status MoveLegacy(const Bytes& key, const Bytes& data) {
    std::lock_guard<std::mutex> lock(index_mu_);
    std::string still;
    // Deleted meanwhile (evicted): nothing to move.
    if (!db_->Get(rocksdb::ReadOptions(), blocks(), SliceOf(key), &still).ok()) return OkStatus();
    IPFSFS_ASSIGN_OR_RETURN(auto loc, packs_->Append(data));
    rocksdb::WriteBatch batch;
    batch.Put(packs(), SliceOf(key), internal::EncodeLocation(loc));
    batch.Delete(blocks(), SliceOf(key));
    auto written = Write(batch, "move block into a pack", /*wal=*/false);
    if (!written) packs_->Release(loc);
    return written;
  }

  Status ReclaimLegacy(uint64_t live_bytes, uint64_t min_garbage) {
    // RocksDB counts garbage only once compactions have seen the deletions:
    // compare the blob files with what the caller knows is live instead.
    uint64_t files = 0;
    if (!db_->GetIntProperty(blocks(), rocksdb::DB::Properties::kTotalBlobFileSize, &files) ||
        files + packs_->FileBytes() < live_bytes + min_garbage) {
      return OkStatus();
    }
    IPFSFS_RETURN_IF_ERROR(HasSpaceFor(files));
    // Blob GC only for this one compaction (see Open): every blob file with
    // garbage has its live blocks moved and is then dropped.
    auto on = db_->SetOptions(blocks(), {{"enable_blob_garbage_collection", "true"},
                                         {"blob_garbage_collection_age_cutoff", "1.0"}});
    if (!on.ok()) return tl::unexpected(FromRocks(on, "enable blob gc"));
    rocksdb::CompactRangeOptions co;
    co.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
    auto c = db_->CompactRange(co, blocks(), nullptr, nullptr);
    auto off = db_->SetOptions(blocks(), {{"enable_blob_garbage_collection", "false"}});
    if (!c.ok()) {
      // A failed compaction (a full disk) stops RocksDB's writes: start them again.
      db_->Resume().PermitUncheckedError();
      return tl::unexpected(FromRocks(c, "reclaim blob space"));
    }
    if (!off.ok()) return tl::unexpected(FromRocks(off, "disable blob gc"));
    return OkStatus();
  }

  // The rewrite copies live blocks before it drops their old pack: leave it for
  // later rather than fill the disk (and stop the cache).
  Status HasSpaceFor(uint64_t bytes) {
    struct statvfs fs {};
    if (statvfs(dir_.c_str(), &fs) == 0 && static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize < bytes + (64u << 20)) {
      return MakeError(ErrorCode::kNoSpace, "too little free space to compact " + dir_ + " (needs about " +
                                               std::to_string((bytes >> 20) + 64) + " MiB)");
    }
    return OkStatus();
  }

  // Packs at least half garbage (evicted blocks beside pinned or recently used
  // ones) have their live blocks moved to the active pack, then go. Worth it
  // only when the garbage they hold reaches `min_garbage`.
  Status ReclaimPacks(uint64_t min_garbage) {
    if (!Counted()) return OkStatus();
    IPFSFS_RETURN_IF_ERROR(packs_->Rotate());
    std::set<uint32_t> victims;
    uint64_t garbage = 0, moving = 0;
    for (const auto& p : packs_->Packs()) {
      if (p.active || p.file_bytes - p.live_bytes < p.file_bytes / 2) continue;
      victims.insert(p.id);
      garbage += p.file_bytes - p.live_bytes;
      moving += p.live_bytes;
    }
    if (victims.empty() || garbage < min_garbage) return OkStatus();
    IPFSFS_RETURN_IF_ERROR(HasSpaceFor(moving));
    std::vector<std::pair<Bytes, PackLocation>> todo;
    {
      std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), packs()));
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        auto loc = internal::DecodeLocation(std::string_view(it->value().data(), it->value().size()));
        if (!loc || !victims.count(loc->pack)) continue;
        auto k = it->key();
        auto* p = reinterpret_cast<const std::byte*>(k.data());
        todo.emplace_back(Bytes(p, p + k.size()), *loc);
      }
      if (!it->status().ok()) return tl::unexpected(FromRocks(it->status(), "scan block index"));
    }
    // In pack order, so the moved blocks keep their order.
    std::sort(todo.begin(), todo.end(), [](const auto& a, const auto& b) {
      return std::tie(a.second.pack, a.second.offset) < std::tie(b.second.pack, b.second.offset);
    });
    std::vector<PackLocation> released;
    for (const auto& [key, old] : todo) {
      IPFSFS_ASSIGN_OR_RETURN(auto bytes, packs_->Read(old));
      if (!bytes) continue;  // cut short: left for the reader to drop as damaged
      IPFSFS_ASSIGN_OR_RETURN(auto loc, packs_->Append(*bytes));
      std::lock_guard<std::mutex> lock(index_mu_);
      std::string now;
      auto s = db_->Get(rocksdb::ReadOptions(), packs(), SliceOf(key), &now);
      if (!s.ok() || internal::DecodeLocation(now) != old) {  // deleted meanwhile
        packs_->Release(loc);
        continue;
      }
      rocksdb::WriteBatch batch;
      batch.Put(packs(), SliceOf(key), internal::EncodeLocation(loc));
      if (auto w = Write(batch, "move block", /*wal=*/false); !w) {
        packs_->Release(loc);
        return w;
      }
      released.push_back(old);
    }
    // The copies and the index pointing at them on disk before the old packs go.
    auto f = db_->Flush(rocksdb::FlushOptions(), handles_);
    if (!f.ok()) return tl::unexpected(FromRocks(f, "flush block index"));
    for (const auto& loc : released) packs_->Release(loc);
    return OkStatus();
  }

  Status Write(rocksdb::WriteBatch& batch, std::string_view what, bool wal = true) {
    rocksdb::WriteOptions wo;
    wo.disableWAL = !wal;
    auto s = db_->Write(wo, &batch);
    if (!s.ok()) return tl::unexpected(FromRocks(s, what));
    return OkStatus();
  }
  rocksdb::ColumnFamilyHandle* blocks() { return handles_[1]; }
  rocksdb::ColumnFamilyHandle* metas() { return handles_[2]; }
  rocksdb::ColumnFamilyHandle* packs() { return handles_[3]; }

  std::shared_ptr<rocksdb::Cache> cache_;
  // Set once Open has the packs; the flush listener reads it.
  PackFiles* packs_raw_ = nullptr;
  std::unique_ptr<PackFiles> packs_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::unique_ptr<rocksdb::DB> db_;
  std::string dir_;
  // Format 1 blocks may be present (read and deleted there too).
  bool legacy_ = false;
  // Deletes, moves out of format 1 and reclaim moves one at a time, so none
  // brings back an index entry another removed.
  std::mutex index_mu_;
  std::atomic<uint64_t> unflushed_{0};
  std::shared_future<bool> counting_;
};

}  // namespace

Result<std::unique_ptr<Store>> OpenRocksStore(const std::string& dir, RocksStoreOptions options) {
  auto store = std::make_unique<RocksStore>();
  IPFSFS_RETURN_IF_ERROR(store->Open(dir, options));
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace ipfsfs::blockcache
