// Byte buffers and views shared by every folder.
//
// Bytes owns; ByteSpan views (the caller keeps the bytes alive while it is used,
// and a ByteSpan is never stored). Text helpers convert without copying where
// they can. Header-only.
#ifndef IPFSFS_BASE_BYTES_H_
#define IPFSFS_BASE_BYTES_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ipfsfs {

using Bytes = std::vector<std::byte>;
using ByteSpan = std::span<const std::byte>;

inline ByteSpan AsBytes(std::string_view text) {
  return ByteSpan(reinterpret_cast<const std::byte*>(text.data()), text.size());
}

inline std::string_view AsText(ByteSpan bytes) {
  return std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

inline Bytes ToBytes(std::string_view text) {
  ByteSpan s = AsBytes(text);
  return Bytes(s.begin(), s.end());
}

inline void Append(Bytes& out, ByteSpan more) { out.insert(out.end(), more.begin(), more.end()); }

// Fixed-width little-endian integers in persisted keys and values.
inline void AppendLe(std::string& out, uint64_t v, int width) {
  for (int i = 0; i < width; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
inline uint64_t ReadLe(const char* p, int width) {
  uint64_t v = 0;
  for (int i = 0; i < width; ++i) v |= uint64_t(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}

inline std::string ToHex(ByteSpan bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (std::byte b : bytes) {
    out.push_back(kDigits[std::to_integer<unsigned>(b) >> 4]);
    out.push_back(kDigits[std::to_integer<unsigned>(b) & 0xf]);
  }
  return out;
}

// Hex to bytes; spaces are skipped so spec dumps ("0a 02 08 01") paste as they are.
inline std::optional<Bytes> FromHex(std::string_view hex) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  Bytes out;
  int high = -1;
  for (char c : hex) {
    if (c == ' ' || c == '\n') continue;
    int v = nibble(c);
    if (v < 0) return std::nullopt;
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<std::byte>(high << 4 | v));
      high = -1;
    }
  }
  if (high >= 0) return std::nullopt;
  return out;
}

}  // namespace ipfsfs

#endif  // IPFSFS_BASE_BYTES_H_
