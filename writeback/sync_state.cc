#include "writeback/sync_state.h"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>
#include <sys/stat.h>

#include <cstring>

namespace ipfsfs::writeback {
namespace {

// Keys: "e/<path>" entries, "m/root", "m/fingerprint". One format version byte
// leads every entry so a later layout can tell old ones apart.
constexpr char kVersion = 1;
const std::string kEntryPrefix = "e/";
const std::string kRootKey = "m/root";
const std::string kFingerprintKey = "m/fingerprint";
const std::string kUnpinKey = "m/unpin";

std::string CidBytes(const ipld::Cid& cid) {
  Bytes b = cid.ToBytes();
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

void PutU64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

bool GetU64(std::string_view& in, uint64_t& v) {
  if (in.size() < 8) return false;
  v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<unsigned char>(in[i])) << (8 * i);
  in.remove_prefix(8);
  return true;
}

const SyncIndex& Empty() {
  static const SyncIndex empty;
  return empty;
}

Error FromRocks(const rocksdb::Status& s, const std::string& what) {
  ErrorCode code =
      s.IsIOError() && s.ToString().find("lock") != std::string::npos ? ErrorCode::kUnavailable : ErrorCode::kInternal;
  return Error{code, "sync state " + what + ": " + s.ToString()};
}

class RocksSyncState : public SyncState {
 public:
  explicit RocksSyncState(std::unique_ptr<rocksdb::DB> db) : db_(std::move(db)) {}

  Status Load() {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      std::string key = it->key().ToString();
      std::string_view value(it->value().data(), it->value().size());
      if (key.rfind(kEntryPrefix, 0) == 0) {
        auto e = DecodeSyncEntry(value);
        if (!e) return tl::unexpected(e.error().Wrap("sync state entry " + key.substr(2)));
        index_[key.substr(2)] = std::move(*e);
      } else if (key == kRootKey) {
        auto cid = ipld::Cid::FromBytes(AsBytes(value));
        if (!cid) return tl::unexpected(cid.error().Wrap("sync state root"));
        root_ = *cid;
      } else if (key == kUnpinKey) {
        auto cid = ipld::Cid::FromBytes(AsBytes(value));
        if (!cid) return tl::unexpected(cid.error().Wrap("sync state unpin"));
        unpin_ = *cid;
      } else if (key == kFingerprintKey) {
        fingerprint_ = std::string(value);
      }
    }
    if (!it->status().ok()) return tl::unexpected(FromRocks(it->status(), "read"));
    return OkStatus();
  }

  const SyncIndex& Index(const std::string& fingerprint) const override {
    return fingerprint == fingerprint_ ? index_ : Empty();
  }
  std::optional<ipld::Cid> Root() const override { return root_; }

  std::optional<ipld::Cid> PendingUnpin() const override { return unpin_; }

  Status ClearPendingUnpin() override {
    rocksdb::WriteOptions wo;
    wo.sync = true;
    auto s = db_->Delete(wo, kUnpinKey);
    if (!s.ok()) return tl::unexpected(FromRocks(s, "clear unpin"));
    unpin_.reset();
    return OkStatus();
  }

  Status Commit(const std::string& fingerprint, const ipld::Cid& root, SyncIndex index,
                std::optional<ipld::Cid> unpin) override {
    // Only the difference is written; the batch makes it all-or-nothing.
    rocksdb::WriteBatch batch;
    for (const auto& [path, e] : index_) {
      if (!index.count(path)) batch.Delete(kEntryPrefix + path);
    }
    for (const auto& [path, e] : index) {
      auto old = index_.find(path);
      if (old == index_.end() || !(old->second == e)) batch.Put(kEntryPrefix + path, EncodeSyncEntry(e));
    }
    batch.Put(kRootKey, CidBytes(root));
    batch.Put(kFingerprintKey, fingerprint);
    if (unpin) batch.Put(kUnpinKey, CidBytes(*unpin));
    rocksdb::WriteOptions wo;
    wo.sync = true;  // the new root is the user's published state: durable before we say so
    auto s = db_->Write(wo, &batch);
    if (!s.ok()) return tl::unexpected(FromRocks(s, "commit"));
    index_ = std::move(index);
    root_ = root;
    fingerprint_ = fingerprint;
    if (unpin) unpin_ = unpin;
    return OkStatus();
  }

  Status ClearIndex() override {
    rocksdb::WriteBatch batch;
    for (const auto& [path, e] : index_) batch.Delete(kEntryPrefix + path);
    rocksdb::WriteOptions wo;
    wo.sync = true;
    auto s = db_->Write(wo, &batch);
    if (!s.ok()) return tl::unexpected(FromRocks(s, "clear"));
    index_.clear();
    return OkStatus();
  }

  const SyncIndex& Entries() const override { return index_; }

 private:
  std::unique_ptr<rocksdb::DB> db_;
  std::string fingerprint_;
  std::optional<ipld::Cid> root_;
  std::optional<ipld::Cid> unpin_;
  SyncIndex index_;
};

}  // namespace

std::optional<ipld::Cid> SyncState::Lookup(const std::string& path) const {
  auto it = Entries().find(path);
  if (it == Entries().end()) return std::nullopt;
  return it->second.cid;
}

const SyncIndex& MemorySyncState::Index(const std::string& fingerprint) const {
  return fingerprint == fingerprint_ ? index_ : Empty();
}

Status MemorySyncState::Commit(const std::string& fingerprint, const ipld::Cid& root, SyncIndex index,
                               std::optional<ipld::Cid> unpin) {
  if (unpin) unpin_ = unpin;
  fingerprint_ = fingerprint;
  root_ = root;
  index_ = std::move(index);
  ++commits;
  return OkStatus();
}

Status MemorySyncState::ClearIndex() {
  index_.clear();
  return OkStatus();
}

std::string EncodeSyncEntry(const SyncEntry& e) {
  std::string out;
  out.push_back(kVersion);
  PutU64(out, e.size);
  PutU64(out, static_cast<uint64_t>(e.mtime_ns));
  PutU64(out, static_cast<uint64_t>(e.ctime_ns));
  PutU64(out, e.ino);
  PutU64(out, e.mode);
  PutU64(out, e.tsize);
  out.push_back(e.racy ? 1 : 0);
  PutU64(out, e.digest.size());
  out += e.digest;
  Bytes cid = e.cid.ToBytes();
  out.append(reinterpret_cast<const char*>(cid.data()), cid.size());
  return out;
}

Result<SyncEntry> DecodeSyncEntry(std::string_view in) {
  auto bad = [] { return MakeError(ErrorCode::kCorrupt, "malformed entry"); };
  if (in.empty() || in[0] != kVersion) return bad();
  in.remove_prefix(1);
  SyncEntry e;
  uint64_t mtime, ctime, mode, digest_len;
  if (!GetU64(in, e.size) || !GetU64(in, mtime) || !GetU64(in, ctime) || !GetU64(in, e.ino) || !GetU64(in, mode) ||
      !GetU64(in, e.tsize) || in.empty()) {
    return bad();
  }
  e.mtime_ns = static_cast<int64_t>(mtime);
  e.ctime_ns = static_cast<int64_t>(ctime);
  e.mode = static_cast<uint32_t>(mode);
  e.racy = in[0] != 0;
  in.remove_prefix(1);
  if (!GetU64(in, digest_len) || in.size() < digest_len) return bad();
  e.digest = std::string(in.substr(0, digest_len));
  in.remove_prefix(digest_len);
  auto cid = ipld::Cid::FromBytes(AsBytes(in));
  if (!cid) return bad();
  e.cid = *cid;
  return e;
}

Result<std::unique_ptr<SyncState>> OpenRocksSyncState(const std::string& dir) {
  ::mkdir(dir.c_str(), 0700);
  rocksdb::Options options;
  options.create_if_missing = true;
  options.max_open_files = 64;
  options.keep_log_file_num = 2;
  rocksdb::DB* raw = nullptr;
  auto s = rocksdb::DB::Open(options, dir, &raw);
  if (!s.ok()) return tl::unexpected(FromRocks(s, "open " + dir));
  auto state = std::make_unique<RocksSyncState>(std::unique_ptr<rocksdb::DB>(raw));
  IPFSFS_RETURN_IF_ERROR(state->Load());
  return std::unique_ptr<SyncState>(std::move(state));
}

}  // namespace ipfsfs::writeback
