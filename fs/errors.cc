#include "fs/errors.h"

#include <cerrno>

#include "fs/logger.h"

namespace ipfsfs::fs {

int ToErrno(const Error& error, ErrnoContext context) {
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
