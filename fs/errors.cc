#include "fs/errors.h"

#include <cerrno>

#include "fs/logger.h"

namespace ipfsfs::fs {

int ToErrno(const Error& error) {
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

void LogError(const char* op, const Error& error) {
  if (ToErrno(error) == EIO) {
    Logger()->error("{}: {} ({})", op, error.message, ErrorCodeName(error.code));
  } else {
    Logger()->debug("{}: {} ({})", op, error.message, ErrorCodeName(error.code));
  }
}

}  // namespace ipfsfs::fs
