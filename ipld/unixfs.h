// UnixFS Data: the protobuf message inside a dag-pb node's Data (ipfs/specs src/unixfs.md).
//
//   message Data { required DataType Type = 1; optional bytes Data = 2;
//     optional uint64 filesize = 3; repeated uint64 blocksizes = 4;
//     optional uint64 hashType = 5; optional uint64 fanout = 6;
//     optional uint32 mode = 7; optional UnixTime mtime = 8; }
//   message UnixTime { required int64 Seconds = 1; optional fixed32 FractionalNanoseconds = 2; }
//
// Encode writes fields in number order and only when present, as kubo does
// (kubo-add.md §3.4). Decode accepts any field order and packed blocksizes.
#ifndef IPFSFS_IPLD_UNIXFS_H_
#define IPFSFS_IPLD_UNIXFS_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"

namespace ipfsfs::ipld {

// Persisted: never renumber.
enum class UnixfsType : uint8_t {
  kRaw = 0,
  kDirectory = 1,
  kFile = 2,
  kMetadata = 3,
  kSymlink = 4,
  kHamtShard = 5,
};

struct UnixTime {
  int64_t seconds = 0;
  std::optional<uint32_t> nanos;  // written only when present and non-zero
  friend bool operator==(const UnixTime&, const UnixTime&) = default;
};

struct UnixfsData {
  UnixfsType type = UnixfsType::kFile;
  std::optional<Bytes> data;          // leaf bytes, symlink target, HAMT bitfield
  std::optional<uint64_t> filesize;
  std::vector<uint64_t> blocksizes;
  std::optional<uint64_t> hash_type;  // HAMT: 0x22 (murmur3-x64-64)
  std::optional<uint64_t> fanout;     // HAMT: power of two, 256 by default
  std::optional<uint32_t> mode;       // permission bits (0..07777)
  std::optional<UnixTime> mtime;
  friend bool operator==(const UnixfsData&, const UnixfsData&) = default;

  // Logical size of the content: filesize for File/Raw, length of data for a
  // symlink, 0 otherwise.
  uint64_t ContentSize() const;
};

// kCorrupt for a missing Type, an unknown Type, wrong wire types, or
// truncation; unknown fields are skipped (forward compatible, as go-unixfs).
[[nodiscard]] Result<UnixfsData> DecodeUnixfsData(ByteSpan bytes);
Bytes EncodeUnixfsData(const UnixfsData& data);

}  // namespace ipfsfs::ipld

#endif  // IPFSFS_IPLD_UNIXFS_H_
