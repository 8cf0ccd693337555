// Unsigned LEB128 varints as multiformats use them (specs: multiformats/unsigned-varint).
//
// Only the minimal encoding is accepted, at most 9 bytes (63 bits). Readers eat
// from the front of a ByteSpan and leave it untouched on error.
#ifndef IPFSFS_IPLD_VARINT_H_
#define IPFSFS_IPLD_VARINT_H_

#include <cstdint>

#include "base/bytes.h"
#include "base/result.h"

namespace ipfsfs::ipld {

inline constexpr size_t kMaxVarintBytes = 9;

// Number of bytes the minimal encoding of `value` takes (1..10).
size_t VarintLength(uint64_t value);

void AppendVarint(Bytes& out, uint64_t value);

// Reads one varint from the front of `in` and advances it.
// Errors (kCorrupt): empty/truncated input, non-minimal form, more than 9 bytes.
[[nodiscard]] Result<uint64_t> ReadVarint(ByteSpan& in);

// Protobuf varints allow up to 10 bytes and non-minimal forms; dag-pb's
// strictness is applied by its decoder, so it reads with this.
[[nodiscard]] Result<uint64_t> ReadProtobufVarint(ByteSpan& in);

}  // namespace ipfsfs::ipld

#endif  // IPFSFS_IPLD_VARINT_H_
