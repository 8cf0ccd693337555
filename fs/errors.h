// The one table from ErrorCode to errno (STYLE.md rule 2), and the one place
// that decides which errors are logged. Pure functions.
#ifndef IPFSFS_FS_ERRORS_H_
#define IPFSFS_FS_ERRORS_H_

#include "base/result.h"

namespace ipfsfs::fs {

// not found -> ENOENT; read-only -> EROFS; invalid argument -> EINVAL;
// cancelled -> EINTR; unsupported, corrupt, unavailable, timeout, too large,
// internal -> EIO; no space -> ENOSPC.
int ToErrno(const Error& error);

// Logs one line for errors the user must hear about (everything that becomes
// EIO), at debug for the expected ones (ENOENT, EROFS...). `op` names the
// FUSE operation.
void LogError(const char* op, const Error& error);

}  // namespace ipfsfs::fs

#endif  // IPFSFS_FS_ERRORS_H_
