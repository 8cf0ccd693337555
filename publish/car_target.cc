#include "publish/car_target.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "ipld/car.h"
#include "publish/internal/dag_walk.h"

namespace ipfsfs::publish {
namespace {

Error SysError(const std::string& what) {
  return Error{ErrorCode::kUnavailable, what + ": " + std::strerror(errno)};
}

Status WriteAll(int fd, ByteSpan bytes, const std::string& path) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return tl::unexpected(SysError("writing " + path));
    }
    bytes = bytes.subspan(static_cast<size_t>(n));
  }
  return OkStatus();
}

// Removes the temporary file unless released (any failure on the way).
struct TempFile {
  std::string path;
  int fd = -1;
  ~TempFile() {
    if (fd >= 0) ::close(fd);
    if (!path.empty()) ::unlink(path.c_str());
  }
};

}  // namespace

Result<std::string> CarTarget::Publish(const PublishRequest& request) {
  const size_t slash = path_.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path_.substr(0, slash));
  const std::string base = slash == std::string::npos ? path_ : path_.substr(slash + 1);
  TempFile temp;
  std::string pattern = dir + "/." + base + ".tmp-XXXXXX";
  temp.fd = ::mkstemp(pattern.data());
  if (temp.fd < 0) return tl::unexpected(SysError("creating a temporary file in " + dir));
  temp.path = pattern;
  ::fchmod(temp.fd, 0644);  // mkstemp's 0600 would hide the CAR from its readers

  Bytes buffer = ipld::EncodeCarV1Header({request.root});
  auto stats = internal::WalkDepthFirst(cache_, request.root, nullptr, [&](const ipld::Cid& cid, const blockcache::Block& block) {
    ipld::AppendCarSection(buffer, cid, block.bytes());
    if (buffer.size() < (1u << 20)) return OkStatus();
    auto s = WriteAll(temp.fd, buffer, temp.path);
    buffer.clear();
    return s;
  });
  if (!stats) return tl::unexpected(stats.error());
  IPFSFS_RETURN_IF_ERROR(WriteAll(temp.fd, buffer, temp.path));
  if (::fsync(temp.fd) != 0) return tl::unexpected(SysError("fsync " + temp.path));
  ::close(temp.fd);
  temp.fd = -1;
  if (::rename(temp.path.c_str(), path_.c_str()) != 0) return tl::unexpected(SysError("rename to " + path_));
  temp.path.clear();
  // The rename itself survives a crash only once the directory is synced.
  if (int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return "wrote " + path_ + " (" + std::to_string(stats->blocks) + " blocks, " + std::to_string(stats->bytes) +
         " bytes)";
}

}  // namespace ipfsfs::publish
