// Mount: one running `ipfsfs mount`, its parts built in order and torn down
// in the reverse order that keeps every callback's target alive (CernVM-FS's
// MountPoint).
//
// Start builds, lowest first: the block cache with its sources, the resolver,
// the names stack (ipns/), the IPNS republisher, and the trees (ipfs/, ipns/, and staging/ unless read-only), the Filesystem, the FUSE session (mounted), then the control
// server and the cache's mount pointer (<cache_dir>/mount.json) through which
// `ipfsfs status`, `ipfsfs cache …` and plain `ipfsfs add` reach the mount. A
// part that cannot be built fails Start with the reason, and what was built
// is torn down again. Run serves until the mount is unmounted or SIGTERM,
// SIGINT or SIGHUP arrives. The destructor then stops, in order: the
// republisher, the mount pointer and the control server (waiting for cache commands in progress),
// the prefetch pool (queued prefetches need the cache), the names stack
// (cancelled lookups reply through the trees into the cache), the block cache
// (cancelling fetches, whose callbacks reply into the session and the
// filesystem), the FUSE session, the filesystem.
//
// Start, Run and the destructor are called from one thread; StatusJson from
// any (the control server's threads).
#ifndef IPFSFS_TOOLS_INTERNAL_MOUNT_H_
#define IPFSFS_TOOLS_INTERNAL_MOUNT_H_

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "blockcache/block_cache.h"
#include "fs/filesystem.h"
#include "fs/fuse_adapter.h"
#include "fs/ipfs_tree.h"
#include "fs/staging_tree.h"
#include "publish/target_spec.h"
#include "writeback/import_options.h"

namespace ipfsfs::tools {

class NamePublishing;
class NameServices;
class SyncService;

struct MountOptions {
  std::string mountpoint;  // absolute
  blockcache::BlockCacheOptions cache;
  fs::FilesystemOptions filesystem;
  fs::IpfsTreeOptions ipfs;  // reader.executor and pinned_roots are set by the Mount
  fs::FuseOptions fuse;
  // Builds the names stack for the ipns/ tree; unset: no ipns/ tree.
  std::function<Result<std::unique_ptr<NameServices>>()> open_names;
  // Builds what republishes the names published with this user's keys; unset
  // or null: no republishing.
  std::function<Result<std::unique_ptr<NamePublishing>>()> open_publishing;
  bool republish = true;  // --no-republish: the keys serve ipns: sync targets only
  // Threads running the file readers' prefetches off the FUSE workers.
  int prefetch_threads = 4;
  // The local directory served as staging/ (made 0700 if absent; empty: no
  // staging/, a read-only mount) and synced by `ipfsfs sync`; its index
  // (<staging_dir>.sync unless set), the import options (as `ipfsfs add`'s),
  // the idle time of --auto-sync.
  std::string staging_dir;
  bool staging_is_default = false;  // not given: a second mount may go without
  std::string sync_state_dir;
  writeback::ImportOptions import;
  std::chrono::milliseconds auto_sync{0};
  // Where each synced root goes (--publish) and the kubo RPC's Authorization header (--api-auth).
  std::vector<publish::TargetSpec> publish;
  std::string api_authorization;
};

class Mount {
 public:
  [[nodiscard]] static Result<std::unique_ptr<Mount>> Start(MountOptions options);
  ~Mount();
  Mount(const Mount&) = delete;
  Mount& operator=(const Mount&) = delete;

  // Serves until unmounted or signalled. `ready` runs once, on another
  // thread, when the mount answers its first request (OkStatus) or cannot.
  // Returns the signal that ended it, or 0.
  int Run(std::function<void(Status)> ready);

  // What `ipfsfs status` shows: sources, cache, fetches, filesystem counters.
  nlohmann::json StatusJson() const;

  // The staging directory (absolute), empty without staging/; and the
  // overlay where a sync records each staged path's CID (user.ipfs.cid),
  // null without staging/.
  std::string staging_dir() const;
  fs::CidOverlay* staging_cids() const;
  // The staging tree's sync, null without --staging-dir (the tree Touch()es
  // it and asks it for user.ipfs.cid).
  SyncService* sync_service() const;

 private:
  struct Parts;
  explicit Mount(MountOptions options);
  Status Build();

  const MountOptions options_;
  const std::chrono::steady_clock::time_point started_;
  std::unique_ptr<Parts> parts_;
  std::atomic<int> cache_commands_{0};  // in progress for commands (status shows it)
};

}  // namespace ipfsfs::tools

#endif  // IPFSFS_TOOLS_INTERNAL_MOUNT_H_
