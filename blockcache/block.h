// Block: verified, immutable block bytes with the CID they were checked against.
//
// The ways to make one are Verify (hash the bytes against the CID's
// multihash), FromIdentity (an identity CID carries its block) and, for the
// block cache alone, FromStore (bytes it hashed when it stored them): holding
// a Block is proof that
// its bytes are the CID's. Bytes are shared, never copied
// on the read path. Copyable (a refcount), thread-safe to read.
#ifndef IPFSFS_BLOCKCACHE_BLOCK_H_
#define IPFSFS_BLOCKCACHE_BLOCK_H_

#include <memory>

#include "base/bytes.h"
#include "base/result.h"
#include "ipld/cid.h"

namespace ipfsfs::blockcache {

// Gateways refuse blocks over 2 MiB; so do we (DESIGN.md "Sources").
inline constexpr size_t kMaxBlockSize = 2u << 20;

namespace internal {
class BlockCacheImpl;
}

// A cached block's bytes where they lie in a local file: [offset, offset +
// size) of `fd`, kept open while `owner` lives. Only the cache makes one
// (BlockGetter::GetExtent), for bytes it stored after Verify: as trusted as a
// Block. It lets a read hand the bytes to the kernel (splice) without
// copying them through memory. The file range never changes (pack files are
// append-only); a copy shares the descriptor.
struct BlockExtent {
  std::shared_ptr<const void> owner;
  int fd = -1;
  uint64_t offset = 0;
  uint64_t size = 0;
  // Bytes [at, at + length) of the block (clipped to its end); kUnavailable
  // for an I/O error or a file cut short.
  [[nodiscard]] Result<Bytes> Read(uint64_t at, size_t length) const;
  // Asks the kernel to start reading the range into its page cache.
  void WillNeed() const;
};

class Block {
 public:
  // kCorrupt ("hash mismatch for <cid>") when the bytes do not hash to the CID;
  // kTooLarge over kMaxBlockSize; kUnsupported for a hash we cannot compute.
  [[nodiscard]] static Result<Block> Verify(const ipld::Cid& cid, Bytes data);
  [[nodiscard]] static Result<Block> Verify(const ipld::Cid& cid, std::shared_ptr<const Bytes> data);
  // kInvalidArgument unless the CID's multihash is identity.
  [[nodiscard]] static Result<Block> FromIdentity(const ipld::Cid& cid);

  const ipld::Cid& cid() const { return cid_; }
  ByteSpan bytes() const { return ByteSpan(*data_); }
  size_t size() const { return data_->size(); }
  const std::shared_ptr<const Bytes>& shared_bytes() const { return data_; }

 private:
  friend class internal::BlockCacheImpl;
  // Bytes read back from the block cache's own store, where they were kept
  // under this CID's multihash only after Verify. Not re-hashed (as kubo's
  // Datastore.HashOnRead=false); BlockCacheOptions::hash_on_read and
  // `ipfsfs cache verify` re-check them. Only the cache may vouch for that.
  static Block FromStore(const ipld::Cid& cid, std::shared_ptr<const Bytes> data) {
    return Block(cid, std::move(data));
  }

  Block(ipld::Cid cid, std::shared_ptr<const Bytes> data) : cid_(std::move(cid)), data_(std::move(data)) {}
  ipld::Cid cid_;
  std::shared_ptr<const Bytes> data_;
};

}  // namespace ipfsfs::blockcache

#endif  // IPFSFS_BLOCKCACHE_BLOCK_H_
