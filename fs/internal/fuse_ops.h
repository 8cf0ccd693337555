// The libfuse3 low-level op table over a Filesystem (fuse_ops.cc), and the
// per-session state its handlers reach through fuse_req_userdata. Internal to
// fs/: FuseMount (fuse_session.cc) owns one FuseContext per session and is
// the only one to close it.
#ifndef IPFSFS_FS_INTERNAL_FUSE_OPS_H_
#define IPFSFS_FS_INTERNAL_FUSE_OPS_H_

#ifndef FUSE_USE_VERSION
#define FUSE_USE_VERSION 312
#endif

#include <fuse_lowlevel.h>

#include <cstdint>
#include <shared_mutex>

#include "fs/filesystem.h"

namespace ipfsfs::fs {

// Replies may come from block layer threads after the loop has ended: they
// take `gate` shared and, once the session is closed (exclusive), free the
// request instead of writing to a descriptor that is gone.
struct FuseContext {
  Filesystem* fs = nullptr;
  uint32_t max_read = 512u << 10;  // the -o max_read= given; init asks the same
  std::shared_mutex gate;
  bool closed = false;  // GUARDED_BY(gate)
};

// Handlers that unpack, call one Filesystem method and reply from its
// callback, on whichever thread completes it. Every handler catches.
fuse_lowlevel_ops MakeFuseOps();
// The write handlers (fuse_write_ops.cc): every one asks the Filesystem,
// whose trees decide (read-only ones answer EROFS).
void AddWriteOps(fuse_lowlevel_ops& ops);

}  // namespace ipfsfs::fs

#endif  // IPFSFS_FS_INTERNAL_FUSE_OPS_H_
