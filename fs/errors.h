// The one table from ErrorCode to errno (STYLE.md rule 2), and the one place
// that decides which errors are logged. Pure functions; the FUSE adapter
// calls only these to pick an errno.
#ifndef IPFSFS_FS_ERRORS_H_
#define IPFSFS_FS_ERRORS_H_

#include <string>

#include "base/result.h"

namespace ipfsfs::fs {

// Where an error's meaning depends on the operation that met it.
enum class ErrnoContext {
  kDefault,
  // getxattr / listxattr: an absent attribute is ENODATA, an unsupported
  // namespace ENOTSUP (ls -l then stops asking per file), a value larger
  // than the caller's buffer ERANGE.
  kXattr,
  // rename / link: kUnsupported means "across trees", EXDEV (mv then copies).
  kCrossTree,
};

// An error carrying errno `errnum` from a failed system call on `what`: its
// code is the nearest ErrorCode, its errno is answered as is.
Error SystemError(int errnum, const std::string& what);

// An error's own errno (Error::sys_errno) first; otherwise: not found -> ENOENT; read-only -> EROFS; invalid argument -> EINVAL;
// cancelled -> EINTR; no space -> ENOSPC; unsupported, corrupt, unavailable,
// timeout, too large, internal -> EIO; then the context's exceptions.
int ToErrno(const Error& error, ErrnoContext context = ErrnoContext::kDefault);

// Logs one line for errors the user must hear about (everything that becomes
// EIO), at debug for the expected ones (ENOENT, EROFS...). `op` names the
// FUSE operation.
void LogError(const char* op, const Error& error, ErrnoContext context = ErrnoContext::kDefault);

}  // namespace ipfsfs::fs

#endif  // IPFSFS_FS_ERRORS_H_
