#include "writeback/car_sink.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "ipld/car.h"
#include "ipld/varint.h"

namespace ipfsfs::writeback {
namespace {

constexpr size_t kBufferSize = 1u << 20;
constexpr size_t kDirectWrite = 64u << 10;  // parts this large skip the buffer

tl::unexpected<Error> IoError(const std::string& what, int err) {
  return MakeError(err == ENOSPC ? ErrorCode::kNoSpace : ErrorCode::kUnavailable, what + ": " + std::strerror(err));
}

Status WriteAll(int fd, ByteSpan bytes, uint64_t offset, const std::string& name) {
  while (!bytes.empty()) {
    ssize_t n = ::pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError(name, errno);
    }
    bytes = bytes.subspan(static_cast<size_t>(n));
    offset += static_cast<uint64_t>(n);
  }
  return OkStatus();
}

ipld::Cid Placeholder(size_t length) {
  // Only the encoded length matters: the header is rewritten at Finish.
  if (length == 34) return ipld::Cid::V0(ipld::Multihash(0x12, Bytes(32)));
  size_t digest = length > 4 ? length - 4 : 0;
  return ipld::Cid::V1(ipld::Codec::kDagPb, ipld::Multihash(0x12, Bytes(digest)));
}

}  // namespace

Result<std::unique_ptr<CarFileSink>> CarFileSink::Create(const std::string& path, size_t roots,
                                                         size_t root_cid_length) {
  std::vector<ipld::Cid> placeholder(roots, Placeholder(root_cid_length));
  Bytes header = ipld::EncodeCarV1Header(placeholder);
  std::string temp = path + ".tmp";
  int fd = ::open(temp.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return IoError(temp, errno);
  auto sink = std::unique_ptr<CarFileSink>(new CarFileSink(path, fd, header.size()));
  // The header's bytes are rewritten by Finish; reserve them now.
  IPFSFS_RETURN_IF_ERROR(sink->Write(header));
  return sink;
}

CarFileSink::CarFileSink(std::string path, int fd, size_t header_length)
    : path_(std::move(path)), temp_(path_ + ".tmp"), fd_(fd), header_length_(header_length) {
  buffer_.reserve(kBufferSize);
}

CarFileSink::~CarFileSink() {
  if (fd_ >= 0) ::close(fd_);
  if (!finished_) ::unlink(temp_.c_str());
}

Status CarFileSink::Flush() {
  if (buffer_.empty()) return OkStatus();
  IPFSFS_RETURN_IF_ERROR(WriteAll(fd_, buffer_, offset_, temp_));
  offset_ += buffer_.size();
  buffer_.clear();
  return OkStatus();
}

Status CarFileSink::Write(ByteSpan bytes) {
  if (bytes.size() >= kDirectWrite) {
    IPFSFS_RETURN_IF_ERROR(Flush());
    IPFSFS_RETURN_IF_ERROR(WriteAll(fd_, bytes, offset_, temp_));
    offset_ += bytes.size();
    return OkStatus();
  }
  if (buffer_.size() + bytes.size() > kBufferSize) IPFSFS_RETURN_IF_ERROR(Flush());
  Append(buffer_, bytes);
  return OkStatus();
}

Status CarFileSink::Put(const ipld::Cid& cid, std::span<const ByteSpan> parts) {
  const Bytes& digest = cid.hash().digest();
  if (!written_.emplace(reinterpret_cast<const char*>(digest.data()), digest.size()).second) return OkStatus();
  size_t length = cid.EncodedLength();
  for (ByteSpan p : parts) length += p.size();
  Bytes head;
  ipld::AppendVarint(head, length);
  cid.AppendTo(head);
  IPFSFS_RETURN_IF_ERROR(Write(head));
  for (ByteSpan p : parts) IPFSFS_RETURN_IF_ERROR(Write(p));
  ++blocks_;
  return OkStatus();
}

Status CarFileSink::Finish(const std::vector<ipld::Cid>& roots) {
  IPFSFS_RETURN_IF_ERROR(Flush());
  Bytes header = ipld::EncodeCarV1Header(roots);
  if (header.size() == header_length_) {
    IPFSFS_RETURN_IF_ERROR(WriteAll(fd_, header, 0, temp_));
  } else {
    // Another length than reserved: move the sections behind the right header.
    std::string second = path_ + ".tmp2";
    int out = ::open(second.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0) return IoError(second, errno);
    Status s = WriteAll(out, header, 0, second);
    loff_t in_off = static_cast<loff_t>(header_length_);
    loff_t out_off = static_cast<loff_t>(header.size());
    while (s && static_cast<uint64_t>(in_off) < offset_) {
      ssize_t n = ::copy_file_range(fd_, &in_off, out, &out_off, offset_ - static_cast<uint64_t>(in_off), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) s = IoError(second, n < 0 ? errno : EIO);
    }
    if (::close(out) != 0 && s) s = IoError(second, errno);
    if (!s || ::rename(second.c_str(), temp_.c_str()) != 0) {
      int err = errno;
      ::unlink(second.c_str());
      if (!s) return s;
      return IoError(second, err);
    }
  }
  int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) return IoError(temp_, errno);
  if (::rename(temp_.c_str(), path_.c_str()) != 0) return IoError(path_, errno);
  finished_ = true;
  return OkStatus();
}

}  // namespace ipfsfs::writeback
