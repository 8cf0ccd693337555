#include "blockcache/internal/pack_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace ipfsfs::blockcache::internal {
namespace {

// Descriptors kept open for reads; more packs than this are reopened on use.
constexpr size_t kMaxOpenFds = 256;
// Free space is checked again after this many bytes appended.
constexpr uint64_t kSpaceCheckBytes = 4u << 20;

Error Errno(std::string what) {
  int e = errno;
  return Error{e == ENOSPC || e == EDQUOT ? ErrorCode::kNoSpace : ErrorCode::kUnavailable,
               what + ": " + std::strerror(e)};
}

// Closes its descriptor once the last reader lets go.
struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

std::string EncodeLocation(const PackLocation& loc) {
  std::string out;
  out.reserve(kPackLocationSize);
  AppendLe(out, loc.pack, 4);
  AppendLe(out, loc.offset, 8);
  AppendLe(out, loc.size, 4);
  return out;
}

std::optional<PackLocation> DecodeLocation(std::string_view v) {
  if (v.size() != kPackLocationSize) return std::nullopt;
  return PackLocation{static_cast<uint32_t>(ReadLe(v.data(), 4)), ReadLe(v.data() + 4, 8),
                      static_cast<uint32_t>(ReadLe(v.data() + 12, 4))};
}

struct PackFiles::Pack {
  uint32_t id = 0;
  uint64_t file_bytes = 0;
  uint64_t live_bytes = 0;
  std::shared_ptr<Fd> fd;  // null until first used, or closed to bound open descriptors
};

PackFiles::~PackFiles() {
  // An active pack nothing went into is not left behind (a read-only mount
  // would leave one per open).
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = packs_.find(active_); it != packs_.end() && it->second->file_bytes == 0) {
    ::unlink(PathOf(active_).c_str());
  }
}

std::string PackFiles::PathOf(uint32_t id) const {
  char name[32];
  std::snprintf(name, sizeof(name), "%08u.pack", id);
  return dir_ + "/" + name;
}

Result<std::unique_ptr<PackFiles>> PackFiles::Open(const std::string& dir, uint64_t pack_bytes) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return MakeError(ErrorCode::kUnavailable, "cannot create " + dir + ": " + ec.message());
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all, ec);
  std::unique_ptr<PackFiles> files(new PackFiles(dir, pack_bytes));
  uint32_t last = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    const auto name = e.path().filename().string();
    if (e.path().extension() != ".pack" || name.size() != 13) continue;
    char* end = nullptr;
    unsigned long id = std::strtoul(name.c_str(), &end, 10);
    if (end != name.c_str() + 8 || id == 0 || id > UINT32_MAX) continue;
    auto pack = std::make_shared<Pack>();
    pack->id = static_cast<uint32_t>(id);
    pack->file_bytes = e.file_size(ec);
    files->packs_[pack->id] = pack;
    last = std::max(last, pack->id);
  }
  if (ec) return MakeError(ErrorCode::kUnavailable, "cannot list " + dir + ": " + ec.message());
  std::lock_guard<std::mutex> lock(files->mu_);
  files->first_new_ = last + 1;
  IPFSFS_RETURN_IF_ERROR(files->StartPack(last + 1));
  return files;
}

Status PackFiles::StartPack(uint32_t id) {
  int fd = ::open(PathOf(id).c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return tl::unexpected(Errno("cannot create " + PathOf(id)));
  auto pack = std::make_shared<Pack>();
  pack->id = id;
  pack->fd = std::make_shared<Fd>(fd);
  ++open_fds_;
  uint32_t old = active_;
  packs_[id] = pack;
  active_ = id;
  // The pack just closed may hold nothing live any more.
  if (auto it = packs_.find(old); it != packs_.end() && it->second->live_bytes == 0) Remove(old);
  return OkStatus();
}

Status PackFiles::Rotate() {
  std::lock_guard<std::mutex> lock(mu_);
  if (packs_[active_]->file_bytes == 0) return OkStatus();
  return StartPack(active_ + 1);
}

// Packs never take the last of the disk: RocksDB's own files (its log above
// all, whose failed writes it does not survive) keep room to write.
Status PackFiles::CheckSpace(uint64_t bytes) const {
  struct statvfs fs {};
  if (statvfs(dir_.c_str(), &fs) != 0) return OkStatus();
  const uint64_t total = static_cast<uint64_t>(fs.f_blocks) * fs.f_frsize;
  const uint64_t free = static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
  const uint64_t reserve = std::clamp<uint64_t>(total / 8, 1u << 20, 256u << 20);
  if (free < bytes + reserve) {
    return MakeError(ErrorCode::kNoSpace, "cannot write to " + dir_ + ": the disk is full (" +
                                              std::to_string(free >> 10) + " KiB free, " +
                                              std::to_string(reserve >> 10) + " KiB kept for the index)");
  }
  return OkStatus();
}

Result<PackLocation> PackFiles::Append(ByteSpan data) {
  // statvfs once per few MiB written, not per block; always when the last
  // check found the disk full (so caching resumes once space is back).
  if (space_checked_.fetch_add(data.size()) + data.size() >= kSpaceCheckBytes || disk_full_) {
    space_checked_ = 0;
    auto space = CheckSpace(data.size() + kSpaceCheckBytes);
    disk_full_ = !space;
    IPFSFS_RETURN_IF_ERROR(space);
  }
  PackLocation loc;
  std::shared_ptr<Fd> fd;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto* pack = packs_[active_].get();
    if (pack->file_bytes > 0 && pack->file_bytes + data.size() > pack_bytes_) {
      IPFSFS_RETURN_IF_ERROR(StartPack(active_ + 1));
      pack = packs_[active_].get();
    }
    loc = PackLocation{pack->id, pack->file_bytes, static_cast<uint32_t>(data.size())};
    pack->file_bytes += data.size();
    pack->live_bytes += data.size();
    fd = pack->fd;
    unsynced_.insert(pack->id);
  }
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::pwrite(fd->fd, data.data() + done, data.size() - done, static_cast<off_t>(loc.offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      Error e = Errno("cannot write " + PathOf(loc.pack));
      Release(loc);
      return tl::unexpected(e);
    }
    done += static_cast<size_t>(n);
  }
  return loc;
}

std::shared_ptr<PackFiles::Pack> PackFiles::Find(uint32_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = packs_.find(id);
  if (it == packs_.end()) return nullptr;
  return it->second;
}

Result<std::shared_ptr<const void>> PackFiles::OpenFor(const PackLocation& loc, int& fd_out) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = packs_.find(loc.pack);
  if (it == packs_.end()) return nullptr;
  auto& pack = *it->second;
  if (loc.offset + loc.size > pack.file_bytes) return nullptr;
  if (!pack.fd) {
    int f = ::open(PathOf(loc.pack).c_str(), O_RDONLY | O_CLOEXEC);
    if (f < 0) {
      if (errno == ENOENT) return nullptr;
      return tl::unexpected(Errno("cannot open " + PathOf(loc.pack)));
    }
    if (open_fds_ >= kMaxOpenFds) {
      // Close the others' descriptors (never the active pack's); readers
      // holding one keep it until they are done.
      for (auto& [id, p] : packs_) {
        if (id != active_ && p->fd) {
          p->fd.reset();
          --open_fds_;
        }
      }
    }
    // A file's blocks sit in order in its pack: the kernel's own read-ahead
    // follows a streamed file (POSIX_FADV_SEQUENTIAL measured slower: the
    // file reader's threads read a few blocks apart, not strictly in order).
    pack.fd = std::make_shared<Fd>(f);
    ++open_fds_;
  }
  fd_out = pack.fd->fd;
  return std::shared_ptr<const void>(pack.fd);
}

Result<std::optional<BlockExtent>> PackFiles::Extent(const PackLocation& loc) {
  int fd = -1;
  IPFSFS_ASSIGN_OR_RETURN(auto owner, OpenFor(loc, fd));
  if (!owner) return std::optional<BlockExtent>();
  return std::optional<BlockExtent>(BlockExtent{std::move(owner), fd, loc.offset, loc.size});
}

Result<std::optional<Bytes>> PackFiles::Read(const PackLocation& loc) {
  int fd = -1;
  IPFSFS_ASSIGN_OR_RETURN(auto owner, OpenFor(loc, fd));
  if (!owner) return std::optional<Bytes>();
  Bytes out(loc.size);
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::pread(fd, out.data() + done, out.size() - done, static_cast<off_t>(loc.offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return tl::unexpected(Errno("cannot read " + PathOf(loc.pack)));
    if (n == 0) return std::optional<Bytes>();  // cut short: the block is not there
    done += static_cast<size_t>(n);
  }
  return std::optional<Bytes>(std::move(out));
}

Status PackFiles::Sync() {
  std::vector<std::pair<uint32_t, std::shared_ptr<Fd>>> todo;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (uint32_t id : unsynced_) {
      auto it = packs_.find(id);
      if (it == packs_.end()) continue;
      auto fd = it->second->fd;
      if (!fd) {  // closed to bound descriptors: its dirty pages still need the sync
        int f = ::open(PathOf(id).c_str(), O_RDONLY | O_CLOEXEC);
        if (f < 0) continue;
        fd = std::make_shared<Fd>(f);
      }
      todo.emplace_back(id, fd);
    }
    unsynced_.clear();
  }
  for (const auto& [id, fd] : todo) {
    if (::fdatasync(fd->fd) != 0) {
      Error e = Errno("cannot sync " + PathOf(id));
      std::lock_guard<std::mutex> lock(mu_);
      unsynced_.insert(id);
      return tl::unexpected(e);
    }
  }
  return OkStatus();
}

void PackFiles::Count(const PackLocation& loc) {
  std::lock_guard<std::mutex> lock(mu_);
  // The count runs beside new appends: blocks in packs this open started
  // were counted as they were appended (counting them again would keep
  // their pack alive for good).
  if (loc.pack >= first_new_) return;
  auto it = packs_.find(loc.pack);
  if (it != packs_.end()) it->second->live_bytes += loc.size;
}

void PackFiles::Release(const PackLocation& loc) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = packs_.find(loc.pack);
  if (it == packs_.end()) return;
  auto& pack = *it->second;
  pack.live_bytes -= std::min<uint64_t>(pack.live_bytes, loc.size);
  if (pack.live_bytes == 0 && pack.id != active_) Remove(pack.id);
}

void PackFiles::DropUnreferenced() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<uint32_t> dead;
  for (const auto& [id, p] : packs_) {
    if (p->live_bytes == 0 && id < first_new_) dead.push_back(id);
  }
  for (uint32_t id : dead) Remove(id);
}

void PackFiles::Remove(uint32_t id) {
  auto it = packs_.find(id);
  if (it == packs_.end()) return;
  if (it->second->fd) --open_fds_;
  ::unlink(PathOf(id).c_str());
  unsynced_.erase(id);
  packs_.erase(it);
}

std::vector<PackInfo> PackFiles::Packs() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<PackInfo> out;
  for (const auto& [id, p] : packs_) out.push_back(PackInfo{id, p->file_bytes, p->live_bytes, id == active_});
  return out;
}

uint64_t PackFiles::FileBytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t n = 0;
  for (const auto& [id, p] : packs_) n += p->file_bytes;
  return n;
}

}  // namespace ipfsfs::blockcache::internal
