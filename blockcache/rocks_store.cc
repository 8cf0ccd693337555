// Store on RocksDB: one database, two column families.
//
// Persisted layout (never change without a migration):
//   "blocks": key = multihash bytes, value = block bytes (integrated blob files
//             for values >= min_blob_size, no compression: content is hashed data)
//   "meta":   key = 'm' + multihash bytes, value = BlockMeta (20 bytes, see store.h)
//             key = 'p' + CID bytes, value = "" (a pinned root)
// A block and its metadata go in one WriteBatch, so a crash leaves both or neither.
#include <sys/statvfs.h>

#include <filesystem>

#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include "blockcache/store.h"

namespace ipfsfs::blockcache {
namespace {

constexpr char kMetaPrefix = 'm';
constexpr char kRootPrefix = 'p';
constexpr size_t kMetaSize = 20;

std::string MetaKey(const ipld::Multihash& mh) {
  Bytes enc = mh.Encode();
  std::string key(1, kMetaPrefix);
  key.append(AsText(enc));
  return key;
}

void PutLe(std::string& out, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
uint64_t GetLe(const char* p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v |= uint64_t(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}

std::string EncodeMeta(const BlockMeta& m) {
  std::string out;
  PutLe(out, m.size, 8);
  PutLe(out, m.last_use, 8);
  PutLe(out, m.pins, 4);
  return out;
}

std::optional<BlockMeta> DecodeMeta(std::string_view v) {
  if (v.size() != kMetaSize) return std::nullopt;
  return BlockMeta{GetLe(v.data(), 8), GetLe(v.data() + 8, 8), static_cast<uint32_t>(GetLe(v.data() + 16, 4))};
}

Error FromRocks(const rocksdb::Status& s, std::string_view what) {
  ErrorCode code = ErrorCode::kInternal;
  if (s.IsCorruption()) code = ErrorCode::kCorrupt;
  if (s.IsIOError()) code = ErrorCode::kUnavailable;
  if (s.IsNoSpace()) code = ErrorCode::kNoSpace;
  if (s.IsBusy() || s.IsTimedOut()) code = ErrorCode::kUnavailable;
  return Error{code, std::string(what) + ": " + s.ToString()};
}

class RocksStore : public Store {
 public:
  ~RocksStore() override {
    if (db_) {
      // Unlogged block writes live in memtables until flushed.
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
    // Blob files are small (one per memtable flush): bound the open ones.
    db_options.max_open_files = 512;
    // A file's blocks sit one after another in a blob file: let the kernel read
    // ahead when a file is streamed (RocksDB's default asks for random access,
    // so every 256 KiB block would be its own disk read).
    db_options.advise_random_on_open = false;
    // Block writes skip the WAL (see Put); flushing both column families together
    // keeps a block and its metadata whole-or-absent after a crash.
    db_options.atomic_flush = true;
    rocksdb::ColumnFamilyOptions blocks;
    blocks.enable_blob_files = true;
    blocks.min_blob_size = o.min_blob_size;
    blocks.blob_compression_type = rocksdb::kNoCompression;
    blocks.compression = rocksdb::kNoCompression;
    // No blob GC in compactions: it rewrites the live blocks of the oldest
    // blob files again and again (a quarter of a streaming mount's CPU). Blocks
    // stored together are evicted together (LRU), so a blob file dies whole and
    // is dropped once no table points into it.
    blocks.enable_blob_garbage_collection = false;
    // Blob values sit in the memtable until a flush writes them to a blob file:
    // small memtables keep a streaming mount's memory low (RSS goal 100 MiB).
    blocks.write_buffer_size = o.write_buffer_bytes;
    blocks.max_write_buffer_number = 2;
    rocksdb::BlockBasedTableOptions table;
    table.block_cache = rocksdb::NewLRUCache(o.read_cache_bytes);
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    blocks.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    rocksdb::ColumnFamilyOptions meta;
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs = {
        {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions()},
        {"blocks", blocks},
        {"meta", meta},
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
    return OkStatus();
  }

  Result<std::optional<std::shared_ptr<const Bytes>>> GetData(const ipld::Multihash& mh) override {
    Bytes key = mh.Encode();
    rocksdb::PinnableSlice value;
    rocksdb::ReadOptions ro;
    ro.verify_checksums = false;  // the caller re-hashes every block against its CID
    auto s = db_->Get(ro, blocks(), rocksdb::Slice(AsText(key).data(), key.size()), &value);
    if (s.IsNotFound()) return std::optional<std::shared_ptr<const Bytes>>();
    if (!s.ok()) return tl::unexpected(FromRocks(s, "read block"));
    auto* p = reinterpret_cast<const std::byte*>(value.data());
    return std::optional<std::shared_ptr<const Bytes>>(std::make_shared<const Bytes>(p, p + value.size()));
  }

  Status Put(const ipld::Multihash& mh, ByteSpan data, const BlockMeta& meta) override {
    Bytes key = mh.Encode();
    rocksdb::WriteBatch batch;
    batch.Put(blocks(), rocksdb::Slice(AsText(key).data(), key.size()), rocksdb::Slice(AsText(data).data(), data.size()));
    batch.Put(metas(), MetaKey(mh), EncodeMeta(meta));
    // A cache may forget recent blocks in a crash, never mix them up: no WAL
    // (half the write traffic); AddRoot flushes before a pin is recorded.
    return Write(batch, "store block", /*wal=*/false);
  }

  Status PutMeta(const std::vector<std::pair<ipld::Multihash, BlockMeta>>& list) override {
    rocksdb::WriteBatch batch;
    for (const auto& [mh, meta] : list) batch.Put(metas(), MetaKey(mh), EncodeMeta(meta));
    return Write(batch, "store metadata");
  }

  Status Delete(const std::vector<ipld::Multihash>& mhs) override {
    rocksdb::WriteBatch batch;
    for (const auto& mh : mhs) {
      Bytes key = mh.Encode();
      batch.Delete(blocks(), rocksdb::Slice(AsText(key).data(), key.size()));
      batch.Delete(metas(), MetaKey(mh));
    }
    return Write(batch, "delete blocks");
  }

  Status Reclaim(uint64_t live_bytes, uint64_t min_garbage) override {
    // RocksDB counts garbage only once compactions have seen the deletions:
    // compare the blob files with what the caller knows is live instead.
    uint64_t files = 0;
    if (!db_->GetIntProperty(blocks(), rocksdb::DB::Properties::kTotalBlobFileSize, &files) ||
        files < live_bytes + min_garbage) {
      return OkStatus();
    }
    // Blob GC only for this one compaction (see Open): every blob file with
    // garbage has its live blocks moved and is then dropped.
    // The compaction writes the live blocks again before it drops the old
    // files: leave it for later than fill the disk (and stop the cache).
    struct statvfs fs {};
    if (statvfs(dir_.c_str(), &fs) == 0 && static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize < live_bytes + (64u << 20)) {
      return MakeError(ErrorCode::kNoSpace, "too little free space to compact " + dir_ + " (needs about " +
                                               std::to_string((live_bytes >> 20) + 64) + " MiB)");
    }
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

  Status ForEachMeta(const std::function<void(const ipld::Multihash&, const BlockMeta&)>& fn) override {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), metas()));
    for (it->Seek(std::string(1, kMetaPrefix)); it->Valid() && it->key()[0] == kMetaPrefix; it->Next()) {
      auto k = it->key();
      auto mh = ipld::Multihash::Decode(AsBytes(std::string_view(k.data() + 1, k.size() - 1)));
      auto meta = DecodeMeta(std::string_view(it->value().data(), it->value().size()));
      if (!mh || !meta) continue;  // unreadable entries are ignored; verify() removes them
      fn(*mh, *meta);
    }
    if (!it->status().ok()) return tl::unexpected(FromRocks(it->status(), "scan metadata"));
    return OkStatus();
  }

  Status AddRoot(const ipld::Cid& root) override {
    // Blocks written without the WAL must be on disk before the pin is.
    rocksdb::FlushOptions fo;
    auto f = db_->Flush(fo, handles_);
    if (!f.ok()) return tl::unexpected(FromRocks(f, "flush before pin"));
    auto s = db_->Put(rocksdb::WriteOptions(), metas(), RootKey(root), "");
    if (!s.ok()) return tl::unexpected(FromRocks(s, "store pin"));
    return OkStatus();
  }
  Status RemoveRoot(const ipld::Cid& root) override {
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
  Status Write(rocksdb::WriteBatch& batch, std::string_view what, bool wal = true) {
    rocksdb::WriteOptions wo;
    wo.disableWAL = !wal;
    auto s = db_->Write(wo, &batch);
    if (!s.ok()) return tl::unexpected(FromRocks(s, what));
    return OkStatus();
  }
  rocksdb::ColumnFamilyHandle* blocks() { return handles_[1]; }
  rocksdb::ColumnFamilyHandle* metas() { return handles_[2]; }

  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::unique_ptr<rocksdb::DB> db_;
  std::string dir_;
};

}  // namespace

Result<std::unique_ptr<Store>> OpenRocksStore(const std::string& dir, RocksStoreOptions options) {
  auto store = std::make_unique<RocksStore>();
  IPFSFS_RETURN_IF_ERROR(store->Open(dir, options));
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace ipfsfs::blockcache
