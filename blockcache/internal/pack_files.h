// PackFiles: block bytes appended to large files in the order they arrive
// (after git pack files and CernVM-FS's cache), so a file streamed in order is
// read from disk in order and the kernel's read-ahead works. The index (which
// block is where) is the caller's: RocksStore keeps it in RocksDB.
//
// Layout: DIR/NNNNNNNN.pack, raw block bytes back to back, no headers (the
// index has sizes, the CID checks the bytes). One pack is active (appended to)
// at a time; a new one starts past `pack_bytes` and at every open, so a pack
// is never appended to by two processes or after a crash. A pack whose live
// bytes (those the index points at) fall to 0 is deleted; Reclaim moves the
// live blocks out of packs that are mostly garbage.
//
// Thread-safe: mu_ guards the pack table; reads and appends run outside it
// (pread/pwrite on a shared descriptor kept alive by a shared_ptr).
#ifndef IPFSFS_BLOCKCACHE_INTERNAL_PACK_FILES_H_
#define IPFSFS_BLOCKCACHE_INTERNAL_PACK_FILES_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "blockcache/block.h"

namespace ipfsfs::blockcache::internal {

// Where a block's bytes are. Persisted (RocksStore's "packs" column family):
// pack u32le, offset u64le, size u32le. Never reorder.
struct PackLocation {
  uint32_t pack = 0;
  uint64_t offset = 0;
  uint32_t size = 0;
  friend bool operator==(const PackLocation&, const PackLocation&) = default;
};
inline constexpr size_t kPackLocationSize = 16;
std::string EncodeLocation(const PackLocation& loc);
std::optional<PackLocation> DecodeLocation(std::string_view v);

struct PackInfo {
  uint32_t id = 0;
  uint64_t file_bytes = 0;  // appended so far (live + garbage)
  uint64_t live_bytes = 0;  // what the index points at
  bool active = false;
};

class PackFiles {
 public:
  // Opens DIR (created 0700 when missing) and starts a new active pack.
  // `pack_bytes`: a pack is closed for appends once it is this big.
  [[nodiscard]] static Result<std::unique_ptr<PackFiles>> Open(const std::string& dir, uint64_t pack_bytes);
  ~PackFiles();
  PackFiles(const PackFiles&) = delete;
  PackFiles& operator=(const PackFiles&) = delete;

  // Appends to the active pack (counted live); kNoSpace when the disk would
  // keep less than an eighth (1 to 256 MiB) free. The bytes are in the page
  // cache when this returns: a kill -9 keeps them, a power loss may not
  // (Sync first where that matters).
  [[nodiscard]] Result<PackLocation> Append(ByteSpan data);
  // The bytes at `loc`; nullopt when the pack or the range is gone (a pack
  // cut short), an error for an I/O error.
  [[nodiscard]] Result<std::optional<Bytes>> Read(const PackLocation& loc);
  // The same bytes as a file range to read or splice (the descriptor stays
  // open while the extent lives, even if the pack is deleted meanwhile).
  [[nodiscard]] Result<std::optional<BlockExtent>> Extent(const PackLocation& loc);
  // fdatasync of every pack appended to since the last Sync.
  [[nodiscard]] Status Sync();
  // Starts a new active pack (the old one can then be reclaimed).
  [[nodiscard]] Status Rotate();

  // Live-byte bookkeeping, from the index: Count at open for each indexed
  // block (those in packs this open started are skipped: Append counted
  // them), Release when an indexed block goes (its pack is deleted once
  // nothing in it is live, unless it is active).
  void Count(const PackLocation& loc);
  void Release(const PackLocation& loc);
  // Deletes packs from before this open that nothing points at (after the
  // index was counted).
  void DropUnreferenced();

  std::vector<PackInfo> Packs() const;
  uint64_t FileBytes() const;
  const std::string& dir() const { return dir_; }

 private:
  struct Pack;
  PackFiles(std::string dir, uint64_t pack_bytes) : dir_(std::move(dir)), pack_bytes_(pack_bytes) {}
  std::string PathOf(uint32_t id) const;
  Status CheckSpace(uint64_t bytes) const;
  Status StartPack(uint32_t id);  // mu_ held
  std::shared_ptr<Pack> Find(uint32_t id);
  // The pack's descriptor if it holds all of `loc` (opened on demand); null
  // when the pack or the range is gone.
  Result<std::shared_ptr<const void>> OpenFor(const PackLocation& loc, int& fd);
  void Remove(uint32_t id);  // mu_ held

  const std::string dir_;
  const uint64_t pack_bytes_;
  mutable std::mutex mu_;
  std::map<uint32_t, std::shared_ptr<Pack>> packs_;  // GUARDED_BY(mu_)
  uint32_t active_ = 0;                              // GUARDED_BY(mu_)
  uint32_t first_new_ = UINT32_MAX;  // GUARDED_BY(mu_): the first pack this open started
  std::set<uint32_t> unsynced_;                      // GUARDED_BY(mu_)
  size_t open_fds_ = 0;                              // GUARDED_BY(mu_)
  std::atomic<uint64_t> space_checked_{UINT64_MAX / 2};  // bytes appended since the last free-space check
  std::atomic<bool> disk_full_{false};
};

}  // namespace ipfsfs::blockcache::internal

#endif  // IPFSFS_BLOCKCACHE_INTERNAL_PACK_FILES_H_
