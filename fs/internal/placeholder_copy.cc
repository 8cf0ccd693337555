#include "fs/internal/placeholder_copy.h"

#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <string>

#include "fs/errors.h"
#include "writeback/staged_mark.h"

namespace ipfsfs::fs::internal {
namespace {

constexpr size_t kStep = 1 << 20;

class Copy : public std::enable_shared_from_this<Copy> {
 public:
  Copy(std::shared_ptr<resolver::FileReader> reader, int fd, std::function<void(Status)> done)
      : reader_(std::move(reader)), fd_(fd), done_(std::move(done)) {}
  ~Copy() { ::close(fd_); }

  void Start() {
    if (::fstat(fd_, &before_) != 0) return Finish(tl::unexpected(SystemError(errno, "materialize")));
    Pump();
  }

 private:
  void Pump() {
    for (;;) {
      if (offset_ >= reader_->size()) return Finish(Done());
      auto turn = std::make_shared<std::atomic<int>>(0);
      auto self = shared_from_this();
      const uint64_t at = offset_;
      reader_->Read(at, kStep, [self, turn, at](Result<std::vector<resolver::Slice>> r) {
        if (!self->Write(at, r)) return;
        if (turn->exchange(1) == 1) self->Pump();  // Pump had returned: go on here
      });
      if (turn->exchange(1) == 0) return;  // the read will go on when it lands
      if (failed_) return;
    }
  }

  // False when the copy ended (an error, reported).
  bool Write(uint64_t at, Result<std::vector<resolver::Slice>>& r) {
    if (!r) {
      failed_ = true;
      Finish(tl::unexpected(r.error().Wrap("materialize: read " + reader_->root()->info.cid.ToString())));
      return false;
    }
    uint64_t pos = at;
    for (const resolver::Slice& s : *r) {
      Bytes read;  // a cached leaf's file range is read here
      if (s.extent) {
        auto got = s.extent->Read(s.offset, s.length);
        if (!got || got->size() != s.length) {
          failed_ = true;
          Finish(tl::unexpected(got ? Error{ErrorCode::kUnavailable, "materialize: a cached block was cut short"}
                                    : got.error().Wrap("materialize")));
          return false;
        }
        read = std::move(*got);
      }
      ByteSpan bytes = s.extent ? ByteSpan(read) : s.span();
      size_t written = 0;
      while (written < bytes.size()) {
        ssize_t n = ::pwrite(fd_, bytes.data() + written, bytes.size() - written, static_cast<off_t>(pos + written));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
          failed_ = true;
          Finish(tl::unexpected(SystemError(n < 0 ? errno : EIO, "materialize")));
          return false;
        }
        written += static_cast<size_t>(n);
      }
      pos += bytes.size();
    }
    if (pos == at) {  // nothing before the end: the DAG is shorter than it says
      failed_ = true;
      Finish(MakeError(ErrorCode::kCorrupt, "materialize: " + reader_->root()->info.cid.ToString() + " ends early"));
      return false;
    }
    offset_ = pos;
    return true;
  }

  Status Done() {
    // The DAG's own size, should the link that staged it have said otherwise.
    if (::ftruncate(fd_, static_cast<off_t>(reader_->size())) != 0) {
      return tl::unexpected(SystemError(errno, "materialize"));
    }
    if (::fsync(fd_) != 0) return tl::unexpected(SystemError(errno, "materialize"));
    timespec ts[2] = {before_.st_atim, before_.st_mtim};
    ::futimens(fd_, ts);
    if (::fremovexattr(fd_, std::string(writeback::kStagedXattr).c_str()) != 0 && errno != ENODATA) {
      return tl::unexpected(SystemError(errno, "materialize"));
    }
    return OkStatus();
  }

  void Finish(Status s) {
    auto done = std::move(done_);
    done(std::move(s));
  }

  std::shared_ptr<resolver::FileReader> reader_;
  const int fd_;
  std::function<void(Status)> done_;
  struct stat before_ {};
  uint64_t offset_ = 0;  // the pump's: one read in flight at a time
  bool failed_ = false;
};

}  // namespace

void CopyPlaceholder(std::shared_ptr<resolver::FileReader> reader, int fd, std::function<void(Status)> done) {
  auto copy = std::make_shared<Copy>(std::move(reader), fd, std::move(done));
  copy->Start();
}

}  // namespace ipfsfs::fs::internal
