// UnixFS HAMT sharded directories: the hash and the index walk
// (ipfs/specs src/unixfs.md "HAMTDirectory"; kubo-add.md §4.3).
//
// An entry's hash is h1 of MurmurHash3_x64_128 (seed 0) over the name bytes,
// read as 8 big-endian bytes; level k of a shard with fanout 2^b uses the k-th
// group of b bits from the most significant end. Pure functions.
#ifndef IPFSFS_IPLD_HAMT_H_
#define IPFSFS_IPLD_HAMT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "base/bytes.h"
#include "base/result.h"

namespace ipfsfs::ipld {

inline constexpr uint64_t kHamtHashMurmur3 = 0x22;

// MurmurHash3_x64_128 with `seed`; returns {h1, h2}.
std::pair<uint64_t, uint64_t> Murmur3X64_128(ByteSpan data, uint32_t seed = 0);
// The HAMT hash of a name: h1 with seed 0.
uint64_t HamtHash(std::string_view name);

// Bits per level for a fanout: kInvalidArgument unless a power of two in 2..65536
// (kubo allows 8..1024; readers accept any power of two up to 2^16 for safety).
[[nodiscard]] Result<unsigned> HamtBitsForFanout(uint64_t fanout);

// Slot index of `hash` at `level`; kCorrupt ("sharded directory too deep")
// when the 64 hash bits are exhausted.
[[nodiscard]] Result<unsigned> HamtIndex(uint64_t hash, unsigned level, unsigned bits);

// Width of a slot prefix in link names: hex digits of fanout-1 (2 for 256).
unsigned HamtPrefixLength(uint64_t fanout);
// "%0*X" of a slot.
std::string HamtSlotPrefix(unsigned slot, uint64_t fanout);

// The bitfield stored in a shard's UnixFS Data: bit i (value 2^i) marks slot i,
// written big-endian with leading zero bytes dropped. Readers accept short
// bitfields.
class HamtBitfield {
 public:
  explicit HamtBitfield(uint64_t fanout) : bits_((fanout + 7) / 8) {}
  [[nodiscard]] static Result<HamtBitfield> Decode(ByteSpan bytes, uint64_t fanout);
  bool Test(unsigned slot) const;
  void Set(unsigned slot);
  Bytes Encode() const;

 private:
  Bytes bits_;  // big-endian, full width
};

// Splits a shard link name into slot and entry name: "85a" -> {0x85, "a"},
// "85" -> {0x85, ""} (a sub-shard). kCorrupt for a name shorter than the prefix
// or a prefix that is not upper-case hex.
struct HamtLinkName {
  unsigned slot = 0;
  std::string_view entry;  // empty for a sub-shard link
};
[[nodiscard]] Result<HamtLinkName> ParseHamtLinkName(std::string_view link_name, uint64_t fanout);

}  // namespace ipfsfs::ipld

#endif  // IPFSFS_IPLD_HAMT_H_
