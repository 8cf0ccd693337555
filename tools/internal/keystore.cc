// Implementation of tools/internal/keystore.h.
#include "tools/internal/keystore.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>

#include "ipld/multibase.h"

namespace ipfsfs::tools {
namespace {

constexpr std::string_view kPrefix = "key_";
constexpr size_t kMaxKeyFile = 16 * 1024;  // an 8192-bit RSA key is ~4.7 KiB

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

tl::unexpected<Error> SysError(ErrorCode code, const std::string& what) {
  return MakeError(code, what + ": " + std::strerror(errno));
}

Status WriteAll(int fd, ByteSpan data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return SysError(ErrorCode::kUnavailable, "write");
    done += static_cast<size_t>(n);
  }
  return OkStatus();
}

}  // namespace

std::string Keystore::DefaultDir() {
  if (!Env("XDG_DATA_HOME").empty()) return Env("XDG_DATA_HOME") + "/ipfsfs/keystore";
  if (!Env("HOME").empty()) return Env("HOME") + "/.local/share/ipfsfs/keystore";
  return "/var/lib/ipfsfs/keystore";
}

Result<Keystore> Keystore::Open(std::string dir) {
  std::error_code ec;
  std::filesystem::path path(dir);
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  if (::mkdir(dir.c_str(), 0700) == 0) {
    ::chmod(dir.c_str(), 0700);  // the umask may have narrowed, never widened; be exact
  } else if (errno != EEXIST) {
    return SysError(ErrorCode::kUnavailable, "cannot create the keystore " + dir);
  }
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return MakeError(ErrorCode::kUnavailable, "the keystore " + dir + " is not a directory");
  }
  return Keystore(std::move(dir));
}

Status Keystore::ValidateName(std::string_view name) {
  if (name.empty()) return MakeError(ErrorCode::kInvalidArgument, "key names must be at least one character");
  if (name.find('/') != std::string_view::npos) {
    return MakeError(ErrorCode::kInvalidArgument, "key names may not contain slashes");
  }
  if (name.front() == '.') return MakeError(ErrorCode::kInvalidArgument, "key names may not begin with a period");
  return OkStatus();
}

std::string Keystore::PathOf(std::string_view name) const {
  return dir_ + "/" + std::string(kPrefix) + ipld::EncodeWithoutPrefix(ipld::Multibase::kBase32, AsBytes(name));
}

bool Keystore::Has(std::string_view name) const {
  struct stat st;
  return ::lstat(PathOf(name).c_str(), &st) == 0;
}

Result<ipld::PrivateKey> Keystore::Get(std::string_view name) const {
  if (auto ok = ValidateName(name); !ok) return tl::unexpected(ok.error());
  std::string path = PathOf(name);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT) return MakeError(ErrorCode::kNotFound, "no key named '" + std::string(name) + "'");
    return SysError(ErrorCode::kUnavailable, "cannot open " + path);
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return SysError(ErrorCode::kUnavailable, "stat " + path);
  }
  if (st.st_mode & 077) {
    ::close(fd);
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", st.st_mode & 07777);
    return MakeError(ErrorCode::kInvalidArgument,
                     "key file " + path + " is accessible by others (mode " + mode + "): run chmod 600 " + path);
  }
  if (static_cast<size_t>(st.st_size) > kMaxKeyFile) {
    ::close(fd);
    return MakeError(ErrorCode::kCorrupt, path + " is too large to be a key");
  }
  Bytes data(static_cast<size_t>(st.st_size));
  size_t got = 0;
  while (got < data.size()) {
    ssize_t n = ::read(fd, data.data() + got, data.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  data.resize(got);
  auto key = ipld::PrivateKey::Decode(data);
  if (!key) return tl::unexpected(key.error().Wrap(path));
  return key;
}

Status Keystore::Put(std::string_view name, const ipld::PrivateKey& key, bool overwrite) {
  if (auto ok = ValidateName(name); !ok) return ok;
  if (name == "self") return MakeError(ErrorCode::kInvalidArgument, "cannot overwrite key with name 'self'");
  std::string path = PathOf(name);
  std::string tmp = dir_ + "/.tmp-" + std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return SysError(ErrorCode::kUnavailable, "cannot write in the keystore " + dir_);
  Status written = WriteAll(fd, key.Encode());
  if (written && (::fchmod(fd, 0600) != 0 || ::fsync(fd) != 0)) written = SysError(ErrorCode::kUnavailable, tmp);
  ::close(fd);
  if (written) {
    // link() refuses an existing name atomically; rename() replaces it.
    int rc = overwrite ? ::rename(tmp.c_str(), path.c_str()) : ::link(tmp.c_str(), path.c_str());
    if (rc != 0) {
      written = errno == EEXIST
                    ? MakeError(ErrorCode::kInvalidArgument, "key with name '" + std::string(name) + "' already exists")
                    : SysError(ErrorCode::kUnavailable, "cannot store " + path);
    }
  }
  ::unlink(tmp.c_str());  // after link(), or a failure; gone already after rename()
  return written;
}

Status Keystore::Remove(std::string_view name) {
  if (auto ok = ValidateName(name); !ok) return ok;
  if (name == "self") return MakeError(ErrorCode::kInvalidArgument, "cannot remove key with name 'self'");
  if (::unlink(PathOf(name).c_str()) != 0) {
    if (errno == ENOENT) return MakeError(ErrorCode::kNotFound, "no key named '" + std::string(name) + "'");
    return SysError(ErrorCode::kUnavailable, "cannot remove " + PathOf(name));
  }
  return OkStatus();
}

Status Keystore::Rename(std::string_view from, std::string_view to, bool overwrite) {
  if (auto ok = ValidateName(from); !ok) return ok;
  if (auto ok = ValidateName(to); !ok) return ok;
  if (from == "self") return MakeError(ErrorCode::kInvalidArgument, "cannot rename key with name 'self'");
  if (to == "self") return MakeError(ErrorCode::kInvalidArgument, "cannot overwrite key with name 'self'");
  if (from == to) return MakeError(ErrorCode::kInvalidArgument, "old and new key names are the same");
  if (!Has(from)) return MakeError(ErrorCode::kNotFound, "no key named '" + std::string(from) + "'");
  int rc =
      overwrite ? ::rename(PathOf(from).c_str(), PathOf(to).c_str()) : ::link(PathOf(from).c_str(), PathOf(to).c_str());
  if (rc != 0) {
    if (errno == EEXIST) {
      return MakeError(ErrorCode::kInvalidArgument, "key by that name already exists, refusing to overwrite (use -f)");
    }
    return SysError(ErrorCode::kUnavailable, "cannot rename " + PathOf(from));
  }
  if (!overwrite) ::unlink(PathOf(from).c_str());
  return OkStatus();
}

Result<std::vector<std::string>> Keystore::List() const {
  DIR* d = ::opendir(dir_.c_str());
  if (!d) return SysError(ErrorCode::kUnavailable, "cannot list " + dir_);
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    std::string_view file = e->d_name;
    if (file.substr(0, kPrefix.size()) != kPrefix) continue;
    auto decoded = ipld::DecodeWithoutPrefix(ipld::Multibase::kBase32, file.substr(kPrefix.size()));
    if (!decoded) continue;
    std::string name(AsText(*decoded));
    if (ValidateName(name)) names.push_back(std::move(name));
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace ipfsfs::tools
