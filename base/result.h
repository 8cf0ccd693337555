// Result<T> and Error: the error vocabulary shared by every folder.
//
// A function that can fail returns Result<T> (tl::expected<T, Error>); Status is
// Result<void>. Codes are few and chosen by meaning (see STYLE.md §5): callers
// decide retries on the code, never on the message. fs/ alone maps codes to errno.
// Header-only, no logic beyond construction helpers; thread-compatible values.
#ifndef IPFSFS_BASE_RESULT_H_
#define IPFSFS_BASE_RESULT_H_

#include <string>
#include <string_view>
#include <utility>

#include <tl/expected.hpp>

namespace ipfsfs {

enum class ErrorCode {
  kNotFound,         // absent: unknown CID, missing file, no such name (ENOENT)
  kInvalidArgument,  // the caller's input is malformed: bad CID text, bad flag
  kCorrupt,          // data is malformed or fails its hash (EIO)
  kUnavailable,      // transient: source down, connection refused; retry with backoff
  kTimeout,          // a deadline passed
  kTooLarge,         // over a size limit (block > 2 MiB, digest > 128 bytes)
  kNoSpace,          // quota or disk full
  kReadOnly,         // write to immutable content (EROFS)
  kCancelled,        // the caller gave up
  kUnsupported,      // well-formed but not handled: unknown codec or hash function
  kInternal,         // a bug or an unexpected system failure
};

constexpr std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kNotFound: return "not found";
    case ErrorCode::kInvalidArgument: return "invalid argument";
    case ErrorCode::kCorrupt: return "corrupt";
    case ErrorCode::kUnavailable: return "unavailable";
    case ErrorCode::kTimeout: return "timeout";
    case ErrorCode::kTooLarge: return "too large";
    case ErrorCode::kNoSpace: return "no space";
    case ErrorCode::kReadOnly: return "read-only";
    case ErrorCode::kCancelled: return "cancelled";
    case ErrorCode::kUnsupported: return "unsupported";
    case ErrorCode::kInternal: return "internal error";
  }
  return "unknown error";
}

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;  // one line, lower case, names the offending input
  // The errno of the system call that failed, when one did (0: none). fs/
  // answers it as is, so a local filesystem's errors reach the caller exactly.
  int sys_errno = 0;

  // "context: message", for wrapping an error as it travels up.
  Error Wrap(std::string_view context) const {
    return Error{code, std::string(context) + ": " + message, sys_errno};
  }
};

template <class T>
using Result = tl::expected<T, Error>;
using Status = Result<void>;

inline tl::unexpected<Error> MakeError(ErrorCode code, std::string message) {
  return tl::unexpected<Error>(Error{code, std::move(message)});
}

inline Status OkStatus() { return {}; }

}  // namespace ipfsfs

// Propagates an error from an expression returning Result<...>.
#define IPFSFS_RETURN_IF_ERROR(expr)                         \
  do {                                                       \
    auto ipfsfs_status_ = (expr);                            \
    if (!ipfsfs_status_) {                                   \
      return tl::unexpected<::ipfsfs::Error>(                \
          std::move(ipfsfs_status_).error());                \
    }                                                        \
  } while (0)

// Evaluates a Result, returns its error, or moves its value into `lhs`.
#define IPFSFS_CONCAT_INNER_(a, b) a##b
#define IPFSFS_CONCAT_(a, b) IPFSFS_CONCAT_INNER_(a, b)
#define IPFSFS_ASSIGN_OR_RETURN(lhs, expr)                           \
  IPFSFS_ASSIGN_OR_RETURN_IMPL_(IPFSFS_CONCAT_(ipfsfs_r_, __LINE__), \
                                lhs, expr)
#define IPFSFS_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr)                   \
  auto tmp = (expr);                                                    \
  if (!tmp) return tl::unexpected<::ipfsfs::Error>(std::move(tmp).error()); \
  lhs = std::move(*tmp)

#endif  // IPFSFS_BASE_RESULT_H_
