// FileSource: a regular file read sequentially through its descriptor, for
// the chunkers. Notices a file that changes while it is read (size, mtime or
// ctime differ from the open-time stat, or fewer/more bytes than its size).
// Owns the descriptor. Not thread-safe.
#ifndef IPFSFS_WRITEBACK_FILE_SOURCE_H_
#define IPFSFS_WRITEBACK_FILE_SOURCE_H_

#include <sys/stat.h>

#include <memory>
#include <string>

#include "base/result.h"
#include "writeback/chunker.h"

namespace ipfsfs::writeback {

class FileSource : public ByteSource {
 public:
  // Opens without following a final symlink (unless `follow`: add's
  // --dereference flags). kNotFound if absent, kInvalidArgument if not a
  // regular file, kUnavailable with the system's reason otherwise
  // (permission denied, I/O error).
  [[nodiscard]] static Result<std::unique_ptr<FileSource>> Open(const std::string& path, bool follow = false);
  // Takes `fd` (a regular file, read from its start; closed on error too).
  [[nodiscard]] static Result<std::unique_ptr<FileSource>> Adopt(int fd);
  ~FileSource() override;
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;

  [[nodiscard]] Result<size_t> Read(std::span<std::byte> out) override;

  // Call after the last Read: kUnavailable ("file changed while being read")
  // when the file is not what it was at Open.
  [[nodiscard]] Status CheckUnchanged() const;

  const struct stat& stat() const { return stat_; }
  int fd() const { return fd_; }  // for a snapshot (FICLONE) of the open file

 private:
  FileSource(int fd, const struct stat& st) : fd_(fd), stat_(st) {}
  int fd_;
  struct stat stat_;
  uint64_t read_ = 0;
};

}  // namespace ipfsfs::writeback

#endif  // IPFSFS_WRITEBACK_FILE_SOURCE_H_
