#include "fs/errors.h"

#include <cerrno>
#include <cstring>

#include "fs/logger.h"

namespace ipfsfs::fs {

Error SystemError(int errnum, const std::string& what) {
  ErrorCode code = ErrorCode::kInternal;
  switch (errnum) {
    case ENOENT: code = ErrorCode::kNotFound; break;
    case EROFS: code = ErrorCode::kReadOnly; break;
    case ENOSPC:
    case EDQUOT: code = ErrorCode::kNoSpace; break;
    case EINTR: code = ErrorCode::kCancelled; break;
    case EOPNOTSUPP: code = ErrorCode::kUnsupported; break;
    case ENAMETOOLONG:
    case EFBIG:
    case E2BIG:
    case ERANGE: code = ErrorCode::kTooLarge; break;
    case EIO: code = ErrorCode::kInternal; break;
    default: code = ErrorCode::kInvalidArgument; break;
  }
  return Error{code, what + ": " + std::strerror(errnum), errnum};
}

int ToErrno(const Error& error, ErrnoContext context) {
  if (error.sys_errno != 0) return error.sys_errno;
  if (context == ErrnoContext::kXattr) {
    switch (error.code) {
      case ErrorCode::kNotFound: return ENODATA;
      case ErrorCode::kUnsupported: return ENOTSUP;
      case ErrorCode::kTooLarge: return ERANGE;
      default: break;
    }
  }
  if (context == ErrnoContext::kCrossTree && error.code == ErrorCode::kUnsupported) return EXDEV;
  switch (error.code) {
    case ErrorCode::kNotFound: return ENOENT;
    case ErrorCode::kReadOnly: return EROFS;
    case ErrorCode::kInvalidArgument: return EINVAL;
    case ErrorCode::kCancelled: return EINTR;
    case ErrorCode::kNoSpace: return ENOSPC;
    case ErrorCode::kCorrupt:
    case ErrorCode::kUnavailable:
    case ErrorCode::kTimeout:
    case ErrorCode::kTooLarge:
    case ErrorCode::kUnsupported:
    case ErrorCode::kInternal:
      return EIO;
  }
  return EIO;
}

void LogError(const char* op, const Error& error, ErrnoContext context) {
  if (ToErrno(error, context) == EIO) {
    Logger()->error("{}: {} ({})", op, error.message, ErrorCodeName(error.code));
  } else {
    Logger()->debug("{}: {} ({})", op, error.message, ErrorCodeName(error.code));
  }
}

}  // namespace ipfsfs::fs
