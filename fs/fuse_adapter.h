// FuseMount: the libfuse3 low-level session in front of a Filesystem.
//
// The handlers (fuse_ops.cc, fuse_write_ops.cc) are thin on purpose
// (mountpoint-s3's fuse.rs): each copies its arguments, calls one Filesystem
// method and replies from the callback, on whichever thread completes it; the
// FUSE worker returns at once, so a slow source never holds a worker. Each
// request is held by a PendingReply that replies EIO if dropped unanswered.
// Errors become errno in fs/errors.h alone. This file's FuseMount
// (fuse_session.cc) owns the session: mount, loop, and one teardown. Thread-safe; the Filesystem outlives the FuseMount,
// and so does every callback that replies into it (drain the block layer
// before destroying it).
#ifndef IPFSFS_FS_FUSE_ADAPTER_H_
#define IPFSFS_FS_FUSE_ADAPTER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/result.h"
#include "fs/filesystem.h"

struct fuse_session;

namespace ipfsfs::fs {

struct FuseContext;

struct FuseOptions {
  std::string mountpoint;
  // Mount options as for -o ("allow_other", "ro", "default_permissions" ...).
  // fsname=, subtype= and max_read= are added when absent.
  std::vector<std::string> options;
  // Largest read the kernel may send. 512 KiB: its reply fits a 1 MiB pipe,
  // the most an unprivileged process may ask for (fs.pipe-max-size), so
  // libfuse splices cached blocks to the kernel; a 1 MiB reply does not fit
  // and falls back to a copy through the daemon.
  uint32_t max_read = 512u << 10;
  // The mount's backing-device read-ahead in KiB, set by TuneReadAhead (0:
  // the kernel default, 128 KiB). Larger windows mean fewer, larger reads.
  uint32_t read_ahead_kb = 1024;
  // FUSE worker threads; replies are asynchronous, so few are needed.
  unsigned max_threads = 16;
  bool debug = false;  // libfuse's own request trace
};

class FuseMount {
 public:
  // Creates the session and mounts. kNotFound when the mountpoint is missing,
  // kUnavailable when FUSE is not (no /dev/fuse, no permission), kInternal
  // for other mount failures; messages say what to do.
  [[nodiscard]] static Result<std::unique_ptr<FuseMount>> Mount(Filesystem& fs, FuseOptions options);
  ~FuseMount();
  FuseMount(const FuseMount&) = delete;
  FuseMount& operator=(const FuseMount&) = delete;

  // Serves requests until the filesystem is unmounted, Stop is called or,
  // with `handle_signals`, SIGTERM/SIGINT/SIGHUP arrive; then, its loop
  // threads joined, unmounts and closes the session. Call at most once.
  // Returns the signal number that ended it, or 0.
  int Run(bool handle_signals);
  // Raises the kernel's read-ahead for this mount to read_ahead_kb. Call once
  // the mount has answered a request: the kernel resets it while it
  // processes INIT. Needs root; otherwise logs and keeps the default.
  void TuneReadAhead();
  // Asks Run to end and aborts the connection (a forced unmount, root only)
  // so that workers blocked on /dev/fuse return even while files are open.
  // Never closes the session itself: Run's thread does, or the destructor
  // when Run never ran. Any thread, any number of times.
  void Stop();

  const std::string& mountpoint() const { return options_.mountpoint; }

 private:
  FuseMount(std::unique_ptr<FuseContext> context, FuseOptions options);
  // The one place that closes the session's descriptor and unmounts: after
  // the loop threads have stopped, and after replies still being sent from
  // block layer threads (later ones are dropped). Idempotent.
  void Teardown();

  const std::unique_ptr<FuseContext> context_;  // the requests' userdata
  const FuseOptions options_;
  fuse_session* session_ = nullptr;
  std::string device_;  // "major:minor" of the mount, from /proc/self/mountinfo
  std::mutex teardown_mu_;  // orders Stop's forced unmount against Teardown
  bool mounted_ = false;    // GUARDED_BY(teardown_mu_) (set once before sharing)
  bool aborted_ = false;    // GUARDED_BY(teardown_mu_)
  bool torn_down_ = false;  // GUARDED_BY(teardown_mu_)
};

}  // namespace ipfsfs::fs

#endif  // IPFSFS_FS_FUSE_ADAPTER_H_
