// StageDag: `ipfsfs stage CID PATH`, the mount's side. Places an existing
// UnixFS DAG in the staging directory without copying its bytes: real
// directories, symlinks, and for each file a sparse placeholder of its exact
// size carrying a StagedMark (writeback/staged_mark.h) with its CID. The
// StagingTree then reads placeholders from the block cache and materializes
// them on the first write; the Syncer keeps their CIDs unread.
//
// Only directory blocks and each file's root block (none for a raw block:
// its link's Tsize is its size) are fetched (through the resolver: offline
// when cached), never file leaves. The tree is built under
// a temporary name on the same filesystem (<staging_dir>.stage/, else a
// dotted name beside the destination), synced to disk, then renamed into
// place with RENAME_NOREPLACE: a kill -9 mid-stage leaves nothing under PATH.
//
// Blocking (waits for the resolver): call it from a thread that may wait,
// never a FUSE worker. Thread-safe; concurrent stages use their own temp names.
#ifndef IPFSFS_FS_STAGER_H_
#define IPFSFS_FS_STAGER_H_

#include <cstdint>
#include <string>

#include "base/result.h"
#include "ipld/cid.h"
#include "resolver/resolver.h"

namespace ipfsfs::fs {

struct StageResult {
  ipld::Cid cid;  // what was staged (the path's last CID)
  uint64_t files = 0;
  uint64_t directories = 0;
  uint64_t symlinks = 0;
  uint64_t bytes = 0;  // file bytes placed without being copied
};

// `source`: "CID", "/ipfs/CID[/sub/path]". `dest`: a path relative to
// `staging_dir` whose parent exists and which itself does not (kInvalidArgument
// with sys_errno EEXIST; a missing parent: kNotFound).
[[nodiscard]] Result<StageResult> StageDag(resolver::Resolver& resolver, const std::string& staging_dir,
                                           const std::string& source, const std::string& dest);

// Removes what stages killed mid-way left in <staging_dir>.stage (the mount
// calls it at start, before any stage can run).
void CleanStageLeftovers(const std::string& staging_dir);

}  // namespace ipfsfs::fs

#endif  // IPFSFS_FS_STAGER_H_
