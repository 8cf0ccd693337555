#include "blockcache/block.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace ipfsfs::blockcache {

Result<Block> Block::Verify(const ipld::Cid& cid, Bytes data) {
  return Verify(cid, std::make_shared<const Bytes>(std::move(data)));
}

Result<Block> Block::Verify(const ipld::Cid& cid, std::shared_ptr<const Bytes> data) {
  if (data->size() > kMaxBlockSize) {
    return MakeError(ErrorCode::kTooLarge,
                     "block " + cid.ToString() + " is " + std::to_string(data->size()) + " bytes, over the 2 MiB limit");
  }
  if (auto ok = cid.hash().Verify(ByteSpan(*data)); !ok) {
    return tl::unexpected(Error{ok.error().code, ok.error().message + " for " + cid.ToString()});
  }
  return Block(cid, std::move(data));
}

Result<Block> Block::FromIdentity(const ipld::Cid& cid) {
  if (!cid.hash().is_identity()) {
    return MakeError(ErrorCode::kInvalidArgument, cid.ToString() + " is not an identity CID");
  }
  return Block(cid, std::make_shared<const Bytes>(cid.hash().digest()));
}

Result<Bytes> BlockExtent::Read(uint64_t at, size_t length) const {
  if (at >= size) return Bytes();
  Bytes out(static_cast<size_t>(std::min<uint64_t>(length, size - at)));
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::pread(fd, out.data() + done, out.size() - done, static_cast<off_t>(offset + at + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      return MakeError(ErrorCode::kUnavailable,
                       std::string("reading a cached block: ") + (n < 0 ? std::strerror(errno) : "file cut short"));
    }
    done += static_cast<size_t>(n);
  }
  return out;
}

void BlockExtent::WillNeed() const {
  (void)::posix_fadvise(fd, static_cast<off_t>(offset), static_cast<off_t>(size), POSIX_FADV_WILLNEED);
}

}  // namespace ipfsfs::blockcache
