// Implementation of ipld/hamt.h.
//
// MurmurHash3_x64_128 follows Austin Appleby's public-domain reference
// (MurmurHash3.cpp), reading blocks as little-endian words on any host.
#include "ipld/hamt.h"

#include <algorithm>
#include <bit>
#include <string>

namespace ipfsfs::ipld {
namespace {

constexpr uint64_t kC1 = 0x87c37b91114253d5ULL;
constexpr uint64_t kC2 = 0x4cf5ad432745937fULL;
constexpr uint64_t kMaxFanout = 65536;

uint64_t Load64(const std::byte* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = v << 8 | std::to_integer<uint64_t>(p[i]);
  return v;
}

uint64_t Fmix64(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ULL;
  k ^= k >> 33;
  return k;
}

uint64_t MixK1(uint64_t k1) { return std::rotl(k1 * kC1, 31) * kC2; }
uint64_t MixK2(uint64_t k2) { return std::rotl(k2 * kC2, 33) * kC1; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;  // lower case is not a valid prefix: go-unixfs writes %X
}

}  // namespace

std::pair<uint64_t, uint64_t> Murmur3X64_128(ByteSpan data, uint32_t seed) {
  const size_t len = data.size();
  const size_t nblocks = len / 16;
  uint64_t h1 = seed;
  uint64_t h2 = seed;

  const std::byte* p = data.data();
  for (size_t i = 0; i < nblocks; ++i, p += 16) {
    h1 ^= MixK1(Load64(p));
    h1 = std::rotl(h1, 27) + h2;
    h1 = h1 * 5 + 0x52dce729;
    h2 ^= MixK2(Load64(p + 8));
    h2 = std::rotl(h2, 31) + h1;
    h2 = h2 * 5 + 0x38495ab5;
  }

  const size_t tail = len & 15;
  uint64_t k1 = 0;
  uint64_t k2 = 0;
  for (size_t i = tail; i > 8; --i) k2 = k2 << 8 | std::to_integer<uint64_t>(p[i - 1]);
  for (size_t i = tail < 8 ? tail : 8; i > 0; --i) k1 = k1 << 8 | std::to_integer<uint64_t>(p[i - 1]);
  if (tail > 8) h2 ^= MixK2(k2);
  if (tail > 0) h1 ^= MixK1(k1);

  h1 ^= len;
  h2 ^= len;
  h1 += h2;
  h2 += h1;
  h1 = Fmix64(h1);
  h2 = Fmix64(h2);
  h1 += h2;
  h2 += h1;
  return {h1, h2};
}

uint64_t HamtHash(std::string_view name) { return Murmur3X64_128(AsBytes(name), 0).first; }

Result<unsigned> HamtBitsForFanout(uint64_t fanout) {
  if (fanout < 2 || fanout > kMaxFanout || !std::has_single_bit(fanout)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "hamt: fanout " + std::to_string(fanout) + " is not a power of two in 2..65536");
  }
  return static_cast<unsigned>(std::countr_zero(fanout));
}

Result<unsigned> HamtIndex(uint64_t hash, unsigned level, unsigned bits) {
  if (bits == 0 || bits > 32) {
    return MakeError(ErrorCode::kInvalidArgument, "hamt: " + std::to_string(bits) + " bits per level");
  }
  const uint64_t offset = uint64_t{level} * bits;  // bits consumed by the levels above
  if (offset + bits > 64) return MakeError(ErrorCode::kCorrupt, "sharded directory too deep");
  const uint64_t mask = (uint64_t{1} << bits) - 1;
  return static_cast<unsigned>((hash >> (64 - offset - bits)) & mask);
}

unsigned HamtPrefixLength(uint64_t fanout) {
  uint64_t max_slot = fanout > 0 ? fanout - 1 : 0;
  unsigned digits = 1;
  while (max_slot >= 16) {
    max_slot >>= 4;
    ++digits;
  }
  return digits;
}

std::string HamtSlotPrefix(unsigned slot, uint64_t fanout) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned v = slot; v != 0; v >>= 4) out.insert(out.begin(), kDigits[v & 15]);
  const unsigned width = HamtPrefixLength(fanout);
  if (out.size() < width) out.insert(0, width - out.size(), '0');
  return out;
}

Result<HamtBitfield> HamtBitfield::Decode(ByteSpan bytes, uint64_t fanout) {
  if (!HamtBitsForFanout(fanout)) {
    return MakeError(ErrorCode::kCorrupt, "hamt: bad fanout " + std::to_string(fanout));
  }
  HamtBitfield bitfield(fanout);
  const size_t width = bitfield.bits_.size();
  if (bytes.size() > width) {
    // Tolerate zero padding in front, nothing else.
    for (std::byte b : bytes.first(bytes.size() - width)) {
      if (b != std::byte{0}) {
        return MakeError(ErrorCode::kCorrupt, "hamt: bitfield of " + std::to_string(bytes.size()) +
                                                  " bytes is too long for fanout " + std::to_string(fanout));
      }
    }
    bytes = bytes.last(width);
  }
  std::copy(bytes.begin(), bytes.end(), bitfield.bits_.end() - static_cast<std::ptrdiff_t>(bytes.size()));
  return bitfield;
}

bool HamtBitfield::Test(unsigned slot) const {
  const size_t byte = slot / 8;
  if (byte >= bits_.size()) return false;
  return (std::to_integer<unsigned>(bits_[bits_.size() - 1 - byte]) >> (slot % 8) & 1) != 0;
}

void HamtBitfield::Set(unsigned slot) {
  const size_t byte = slot / 8;
  if (byte >= bits_.size()) return;
  bits_[bits_.size() - 1 - byte] |= static_cast<std::byte>(1u << (slot % 8));
}

Bytes HamtBitfield::Encode() const {
  auto first = bits_.begin();
  while (first != bits_.end() && *first == std::byte{0}) ++first;
  return Bytes(first, bits_.end());
}

Result<HamtLinkName> ParseHamtLinkName(std::string_view link_name, uint64_t fanout) {
  const unsigned width = HamtPrefixLength(fanout);
  if (link_name.size() < width) {
    return MakeError(ErrorCode::kCorrupt, "hamt: link name '" + std::string(link_name) + "' shorter than its " +
                                              std::to_string(width) + "-digit prefix");
  }
  uint64_t slot = 0;
  for (char c : link_name.substr(0, width)) {
    int v = HexValue(c);
    if (v < 0) {
      return MakeError(ErrorCode::kCorrupt,
                       "hamt: link name '" + std::string(link_name) + "' does not start with upper-case hex");
    }
    slot = slot << 4 | static_cast<uint64_t>(v);
  }
  if (slot >= fanout) {
    return MakeError(ErrorCode::kCorrupt, "hamt: link name '" + std::string(link_name) + "' names slot " +
                                              std::to_string(slot) + " beyond fanout " + std::to_string(fanout));
  }
  return HamtLinkName{static_cast<unsigned>(slot), link_name.substr(width)};
}

}  // namespace ipfsfs::ipld
