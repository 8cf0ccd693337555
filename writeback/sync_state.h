// SyncState: what the last sync of a staging directory left behind, so the
// next one can skip what did not change (issue 15, "Incremental").
//
// Per path relative to the staging root ("" is the root itself): the stat
// identity the entry had when it was imported (size, mtime, ctime, inode,
// mode) and its CID; for a directory, a digest of its entries. Plus the
// current root and the fingerprint of the import options that made it: a
// different fingerprint makes every entry unknown. Commit replaces the whole
// index in one atomic write and is called only after all blocks are stored,
// so a crash leaves the previous sync's index and root. The RocksDB state
// keeps everything in memory as well (10,000 entries are a few MB) and writes
// only the difference. Not thread-safe: the Syncer runs one sync at a time.
#ifndef IPFSFS_WRITEBACK_SYNC_STATE_H_
#define IPFSFS_WRITEBACK_SYNC_STATE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "base/result.h"
#include "ipld/cid.h"

namespace ipfsfs::writeback {

struct SyncEntry {
  uint64_t size = 0;  // file size; symlink target length
  int64_t mtime_ns = 0;
  int64_t ctime_ns = 0;
  uint64_t ino = 0;
  uint32_t mode = 0;  // st_mode, type bits included
  ipld::Cid cid;
  uint64_t tsize = 0;
  std::string digest;  // directories: hash of (name, CID) of every entry and the metadata
  // Changed in the same clock tick as it was read: read again next time even
  // if its stat is the same (git's "racy clean" rule).
  bool racy = false;

  friend bool operator==(const SyncEntry&, const SyncEntry&) = default;
};

using SyncIndex = std::map<std::string, SyncEntry>;

class SyncState {
 public:
  virtual ~SyncState() = default;
  // The index as last committed (empty when the options fingerprint differs
  // from `fingerprint`).
  virtual const SyncIndex& Index(const std::string& fingerprint) const = 0;
  virtual std::optional<ipld::Cid> Root() const = 0;
  // Replaces index, root and fingerprint at once, and records `unpin` (the
  // root replaced) as still to be unpinned: a crash before the unpin is
  // finished by the next sync.
  [[nodiscard]] virtual Status Commit(const std::string& fingerprint, const ipld::Cid& root, SyncIndex index,
                                      std::optional<ipld::Cid> unpin = std::nullopt) = 0;
  virtual std::optional<ipld::Cid> PendingUnpin() const = 0;
  [[nodiscard]] virtual Status ClearPendingUnpin() = 0;
  // Forgets every entry (the cache lost the blocks they name); keeps the root.
  [[nodiscard]] virtual Status ClearIndex() = 0;
  // The CID of a path as last synced ("" = root); for `user.ipfs.cid`.
  std::optional<ipld::Cid> Lookup(const std::string& path) const;
  // The committed index regardless of the fingerprint.
  virtual const SyncIndex& Entries() const = 0;
};

// For tests: nothing persisted.
class MemorySyncState : public SyncState {
 public:
  const SyncIndex& Index(const std::string& fingerprint) const override;
  std::optional<ipld::Cid> Root() const override { return root_; }
  [[nodiscard]] Status Commit(const std::string& fingerprint, const ipld::Cid& root, SyncIndex index,
                              std::optional<ipld::Cid> unpin = std::nullopt) override;
  std::optional<ipld::Cid> PendingUnpin() const override { return unpin_; }
  [[nodiscard]] Status ClearPendingUnpin() override {
    unpin_.reset();
    return OkStatus();
  }
  [[nodiscard]] Status ClearIndex() override;
  const SyncIndex& Entries() const override { return index_; }
  int commits = 0;

 private:
  std::string fingerprint_;
  std::optional<ipld::Cid> root_;
  std::optional<ipld::Cid> unpin_;
  SyncIndex index_;
};

// Persisted in a RocksDB at `dir` (created 0700). kUnavailable when another
// process holds it.
[[nodiscard]] Result<std::unique_ptr<SyncState>> OpenRocksSyncState(const std::string& dir);

// The on-disk form of an entry (exposed for the tests of the codec).
std::string EncodeSyncEntry(const SyncEntry& e);
[[nodiscard]] Result<SyncEntry> DecodeSyncEntry(std::string_view bytes);

}  // namespace ipfsfs::writeback

#endif  // IPFSFS_WRITEBACK_SYNC_STATE_H_
