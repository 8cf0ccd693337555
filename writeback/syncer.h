// Syncer: a local directory (the staging tree's backing directory) -> the
// UnixFS DAG `ipfs add -r --hidden` would make of it, incrementally.
//
// The walk is the importer's (sorted names, dotfiles included, symlinks
// stored, empty directories kept). A file whose size, mtime, ctime, inode and
// mode match the index is not read: its CID is reused; a directory whose
// entries (names, CIDs) and metadata did not change keeps its CID without
// being built; a placeholder `ipfsfs stage` left (writeback/staged_mark.h)
// keeps its mark's CID unread, and a staged directory whose entries are as
// staged its original CID. Other files are read through a snapshot: a FICLONE copy when
// the filesystem offers one, else read and re-checked (size, mtime, ctime;
// and a file whose times fall in the clock tick the read began is read
// again, since a write in that tick would not show); a file that keeps
// changing while read is deferred to the next sync (its previous CID, if any,
// stays). Any error (vanished, unreadable, special file, a name that is not
// UTF-8, the sink full) names the path and publishes nothing. Otherwise, in
// this order: the sink's Finish (CacheSink: stored and the new root pinned),
// the state's Commit (which records the replaced root as to be unpinned),
// then `unpin` of that root (a failure there is a warning: the new root is
// current; the next sync tries again). One Sync at a
// time per Syncer; the state must outlive it.
#ifndef IPFSFS_WRITEBACK_SYNCER_H_
#define IPFSFS_WRITEBACK_SYNCER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/result.h"
#include "ipld/cid.h"
#include "writeback/block_sink.h"
#include "writeback/import_options.h"
#include "writeback/sync_state.h"

namespace ipfsfs::writeback {

struct SyncStats {
  uint64_t files_read = 0;    // files (and symlinks) imported from their bytes
  uint64_t files_reused = 0;  // kept their CID unread
  uint64_t bytes_read = 0;
  uint64_t dirs_built = 0;
  uint64_t dirs_reused = 0;
  uint64_t deferred = 0;  // changed while read every time: left for the next sync
  uint64_t placeholders = 0;  // staged files not local yet (writeback/staged_mark.h): reused, never read
};

struct SyncResult {
  ipld::Cid root;
  bool changed = false;  // root differs from the previous one
  SyncStats stats;
  std::vector<std::string> deferred;  // relative paths
  std::string warning;                // the previous root could not be unpinned
};

struct SyncHooks {
  // The previous root, after the new one is committed (the mount unpins it).
  std::function<Status(const ipld::Cid&)> unpin;
  // After every file read (on the syncing thread).
  std::function<void(const SyncStats&)> progress;
  // Just before a file is opened to be read, with its absolute path (tests
  // count reads here, or change the file under the reader).
  std::function<void(const std::string&)> before_read;
  // Polled between entries and between a file's chunks: true ends the sync
  // with kCancelled, nothing published (the mount is being unmounted).
  std::function<bool()> cancelled;
};

struct SyncerOptions {
  // A file whose ctime or mtime is this close to the moment it was read may
  // have changed again within the same clock tick: it is read again at the
  // next sync. Negative: off (tests that control their files).
  int64_t racy_window_ns = 1'000'000'000;
  int read_attempts = 3;  // reads of a file that changes under them before it is deferred
  bool use_clone = true;  // FICLONE snapshots where the filesystem offers them
  // The clock file times are compared with (default: CLOCK_REALTIME_COARSE,
  // the kernel's clock for them), in ns since the epoch; tests replace it.
  std::function<int64_t()> now;
};

// The import options as they decide CIDs (threads, read-ahead and the walk
// flags aside): a change makes the index unknown.
std::string OptionsFingerprint(const ImportOptions& options);

class Syncer {
 public:
  explicit Syncer(SyncState& state, SyncerOptions options = {}) : state_(state), options_(options) {}

  // `dir` must be a directory. The options' hidden and wrap are ignored
  // (dotfiles always in, no wrapper). `scope` (relative to `dir`, "" = all)
  // limits the sync to one subtree: everything else keeps what the last sync
  // recorded, unexamined (a whole sync when there is no usable last one).
  [[nodiscard]] Result<SyncResult> Sync(const std::string& dir, const ImportOptions& options, BlockSink& sink,
                                        const SyncHooks& hooks = {}, const std::string& scope = "");

  SyncState& state() { return state_; }

 private:
  // Unpins the root a committed sync replaced, if not done yet.
  [[nodiscard]] Status FinishUnpin(const SyncHooks& hooks);
  SyncState& state_;
  const SyncerOptions options_;
};

}  // namespace ipfsfs::writeback

#endif  // IPFSFS_WRITEBACK_SYNCER_H_
