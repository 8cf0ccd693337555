#include "writeback/file_source.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace ipfsfs::writeback {
namespace {

tl::unexpected<Error> SystemError(int err) {
  ErrorCode code = err == ENOENT || err == ENOTDIR ? ErrorCode::kNotFound : ErrorCode::kUnavailable;
  return MakeError(code, std::strerror(err));
}

bool SameTime(const timespec& a, const timespec& b) { return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec; }

}  // namespace

Result<std::unique_ptr<FileSource>> FileSource::Open(const std::string& path, bool follow) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW) | O_NONBLOCK);
  if (fd < 0) return SystemError(errno);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return SystemError(err);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return MakeError(ErrorCode::kInvalidArgument, "not a regular file");
  }
  // O_NONBLOCK only kept a fifo from blocking the open; regular files ignore it.
  ::fcntl(fd, F_SETFL, 0);
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  return std::unique_ptr<FileSource>(new FileSource(fd, st));
}

Result<std::unique_ptr<FileSource>> FileSource::Adopt(int fd) {
  struct stat st;
  if (::fstat(fd, &st) != 0 || ::lseek(fd, 0, SEEK_SET) < 0) {
    int err = errno;
    ::close(fd);
    return SystemError(err);
  }
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  return std::unique_ptr<FileSource>(new FileSource(fd, st));
}

FileSource::~FileSource() { ::close(fd_); }

Result<size_t> FileSource::Read(std::span<std::byte> out) {
  // Read at most one byte past the size seen at Open: enough to notice a
  // growing file without chasing it forever.
  const uint64_t limit = static_cast<uint64_t>(stat_.st_size) + 1;
  const size_t want = static_cast<size_t>(std::min<uint64_t>(out.size(), limit - std::min(limit, read_)));
  size_t done = 0;
  while (done < want) {
    ssize_t n = ::read(fd_, out.data() + done, want - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return SystemError(errno);
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  read_ += done;
  return done;
}

Status FileSource::CheckUnchanged() const {
  struct stat now;
  if (::fstat(fd_, &now) != 0) return SystemError(errno);
  if (now.st_size != stat_.st_size || read_ != static_cast<uint64_t>(stat_.st_size) ||
      !SameTime(now.st_mtim, stat_.st_mtim) || !SameTime(now.st_ctim, stat_.st_ctim)) {
    return MakeError(ErrorCode::kUnavailable, "file changed while being read");
  }
  return OkStatus();
}

}  // namespace ipfsfs::writeback
