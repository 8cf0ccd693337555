// CAR (Content Addressable aRchive) v1 and v2 (ipld/ipld specs/transport/car/).
//
// CARv1: varint(len) + dag-cbor header {roots: [CID…], version: 1}, then
// sections varint(len) + CID bytes + block bytes. CARv2: an 11-byte pragma, a
// 40-byte header (characteristics, data offset, data size, index offset), and a
// CARv1 payload inside; the index is not read.
//
// CarParser is push-based so it streams from any source without I/O of its own:
// Feed() bytes as they arrive, then call Next() until it says it needs more.
// It holds at most one partial section. Blocks are not hash-verified here (the
// caller decides: blockcache verifies every one). Not thread-safe.
#ifndef IPFSFS_IPLD_CAR_H_
#define IPFSFS_IPLD_CAR_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "ipld/cid.h"

namespace ipfsfs::ipld {

struct CarHeader {
  uint64_t version = 1;        // of the outer file: 1 or 2
  std::vector<Cid> roots;      // from the (inner) CARv1 header
};

struct CarBlock {
  Cid cid;
  Bytes data;
  uint64_t offset = 0;  // file offset of the section's length varint
};

// A section longer than this is corrupt (a block is at most 2 MiB; CID and
// framing are small).
inline constexpr uint64_t kMaxCarSectionLength = (2u << 20) + 4096;

class CarParser {
 public:
  CarParser() = default;

  // Appends bytes to the internal buffer. Cheap; parsing happens in Next().
  void Feed(ByteSpan bytes);
  // Marks the end of input: Next() then reports truncation instead of waiting.
  void Finish() { finished_ = true; }

  // The header, once parsed (after the first successful Next()).
  const std::optional<CarHeader>& header() const { return header_; }

  // The next block; nullopt when more input is needed (or, after Finish(),
  // when the CAR ended cleanly: check at_end()). kCorrupt names what is wrong:
  // bad pragma, header not a map, version not 1/2, roots missing, a section
  // past the end of input, a bad CID, a section over the limit.
  [[nodiscard]] Result<std::optional<CarBlock>> Next();
  bool at_end() const { return at_end_; }

 private:
  [[nodiscard]] Result<bool> ParseHeader();

  Bytes buffer_;
  size_t pos_ = 0;              // parse position within buffer_
  uint64_t consumed_ = 0;       // bytes dropped from the front of buffer_
  uint64_t payload_end_ = 0;    // CARv2: absolute end of the inner CARv1 (0 = none)
  std::optional<CarHeader> header_;
  bool finished_ = false;
  bool at_end_ = false;
};

// Whole-buffer convenience: header and all blocks.
struct CarContents {
  CarHeader header;
  std::vector<CarBlock> blocks;
};
[[nodiscard]] Result<CarContents> ReadCar(ByteSpan bytes);

// Writer side: the caller writes these bytes in order (header, then sections).
Bytes EncodeCarV1Header(const std::vector<Cid>& roots);
Bytes EncodeCarSection(const Cid& cid, ByteSpan block);
// Appends the section to `out` without an intermediate copy.
void AppendCarSection(Bytes& out, const Cid& cid, ByteSpan block);

}  // namespace ipfsfs::ipld

#endif  // IPFSFS_IPLD_CAR_H_
