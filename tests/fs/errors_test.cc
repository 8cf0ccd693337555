#include "fs/errors.h"

#include <cerrno>

#include <catch2/catch.hpp>

namespace ipfsfs::fs {
namespace {

int Errno(ErrorCode code, ErrnoContext context = ErrnoContext::kDefault) {
  return ToErrno(Error{code, "x"}, context);
}

TEST_CASE("ToErrno: every code") {
  CHECK(Errno(ErrorCode::kNotFound) == ENOENT);
  CHECK(Errno(ErrorCode::kInvalidArgument) == EINVAL);
  CHECK(Errno(ErrorCode::kCorrupt) == EIO);
  CHECK(Errno(ErrorCode::kUnavailable) == EIO);
  CHECK(Errno(ErrorCode::kTimeout) == EIO);
  CHECK(Errno(ErrorCode::kTooLarge) == EIO);
  CHECK(Errno(ErrorCode::kNoSpace) == ENOSPC);
  CHECK(Errno(ErrorCode::kReadOnly) == EROFS);
  CHECK(Errno(ErrorCode::kCancelled) == EINTR);
  CHECK(Errno(ErrorCode::kUnsupported) == EIO);
  CHECK(Errno(ErrorCode::kInternal) == EIO);
}

TEST_CASE("ToErrno: xattrs: absent ENODATA / unsupported ENOTSUP / too large ERANGE / the rest as usual") {
  CHECK(Errno(ErrorCode::kNotFound, ErrnoContext::kXattr) == ENODATA);
  CHECK(Errno(ErrorCode::kUnsupported, ErrnoContext::kXattr) == ENOTSUP);
  CHECK(Errno(ErrorCode::kTooLarge, ErrnoContext::kXattr) == ERANGE);
  CHECK(Errno(ErrorCode::kReadOnly, ErrnoContext::kXattr) == EROFS);
  CHECK(Errno(ErrorCode::kCorrupt, ErrnoContext::kXattr) == EIO);
  CHECK(Errno(ErrorCode::kInvalidArgument, ErrnoContext::kXattr) == EINVAL);
}

TEST_CASE("ToErrno: rename and link across trees are EXDEV / other codes as usual") {
  CHECK(Errno(ErrorCode::kUnsupported, ErrnoContext::kCrossTree) == EXDEV);
  CHECK(Errno(ErrorCode::kReadOnly, ErrnoContext::kCrossTree) == EROFS);
  CHECK(Errno(ErrorCode::kNotFound, ErrnoContext::kCrossTree) == ENOENT);
}

}  // namespace
}  // namespace ipfsfs::fs
