// SyncService: the mount's side of `ipfsfs sync` (issue 15). Owns the sync
// index (RocksDB in <staging-dir>.sync unless given), runs the Syncer over the
// staging directory with the mount's import options into the mount's block
// cache (pins the new root, unpins the old one) and, with --auto-sync, the
// idle scheduler that the staging tree's writes Touch(). One sync at a time:
// a second request waits for the first. Thread-safe.
#ifndef IPFSFS_TOOLS_INTERNAL_SYNC_SERVICE_H_
#define IPFSFS_TOOLS_INTERNAL_SYNC_SERVICE_H_

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "blockcache/block_cache.h"
#include "writeback/import_options.h"
#include "writeback/sync_scheduler.h"
#include "writeback/syncer.h"

namespace ipfsfs::tools {

struct SyncServiceOptions {
  std::string staging_dir;  // absolute
  std::string state_dir;    // empty: <staging_dir>.sync
  writeback::ImportOptions import;
  std::chrono::milliseconds auto_sync{0};  // 0: off
  // Called after each sync that succeeded (the mount's PublishService): the
  // root and the one-off targets of that `ipfsfs sync --publish`; answers the
  // outcomes, [{"target", "ok", "line"}]. Null: nothing is published.
  std::function<nlohmann::json(const ipld::Cid& root, const std::vector<std::string>& once)> publish;
};

class SyncService {
 public:
  // Creates the staging dir (0700) if absent and opens the index. An index
  // whose root is not pinned in `cache` (another cache, or unpinned by hand)
  // is forgotten: its CIDs' blocks may be gone. `cache` must outlive it.
  [[nodiscard]] static Result<std::unique_ptr<SyncService>> Open(SyncServiceOptions options,
                                                                 blockcache::BlockCache& cache);
  // Makes a sync in progress, and any later one, end with kCancelled at its
  // next poll, nothing published (the mount is going away).
  void Cancel() { closing_ = true; }
  // Cancels and waits for a sync in progress.
  ~SyncService();

  // The whole tree, or only `path` (relative to the staging dir; "" = all).
  [[nodiscard]] Result<writeback::SyncResult> Sync(const std::string& path);
  // The `sync` control command's reply: {"root", "changed", counters, "deferred",
  // "publish" (outcomes, when there are targets)} or {"error"}. The request's
  // "publish" lists targets for this sync only.
  nlohmann::json SyncJson(const nlohmann::json& request);
  // {"root", "running", "files", "bytes", "elapsed_ms"}: the current root
  // (null before the first sync) and the sync in progress.
  nlohmann::json ProgressJson() const;
  // A write in the staging tree (the auto-sync idle timer).
  void Touch();
  // The CID a staging path had at the last sync ("" = the root): user.ipfs.cid.
  std::optional<ipld::Cid> Lookup(const std::string& path) const;
  const std::string& staging_dir() const { return options_.staging_dir; }

 private:
  SyncService(SyncServiceOptions options, blockcache::BlockCache& cache, std::unique_ptr<writeback::SyncState> state);

  const SyncServiceOptions options_;
  blockcache::BlockCache& cache_;
  mutable std::mutex mu_;  // one sync at a time; guards state_ and syncer_
  std::unique_ptr<writeback::SyncState> state_;
  std::unique_ptr<writeback::Syncer> syncer_;
  // The index as of the last sync, for lookups that must not wait for a sync.
  mutable std::mutex snapshot_mu_;
  std::shared_ptr<const writeback::SyncIndex> snapshot_;  // GUARDED_BY(snapshot_mu_)
  std::optional<ipld::Cid> root_;                         // GUARDED_BY(snapshot_mu_)
  std::atomic<bool> running_{false};
  std::atomic<bool> closing_{false};
  std::atomic<uint64_t> files_{0}, bytes_{0};
  std::atomic<int64_t> started_ms_{0};
  std::unique_ptr<writeback::SyncScheduler> scheduler_;  // last: stopped first
};

}  // namespace ipfsfs::tools

#endif  // IPFSFS_TOOLS_INTERNAL_SYNC_SERVICE_H_
