#include "ipld/multibase.h"

#include <array>
#include <cstdint>

namespace ipfsfs::ipld {

namespace {

constexpr std::string_view kBase16Lower = "0123456789abcdef";
constexpr std::string_view kBase16Upper = "0123456789ABCDEF";
constexpr std::string_view kBase32Lower = "abcdefghijklmnopqrstuvwxyz234567";
constexpr std::string_view kBase32Upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr std::string_view kBase36Lower = "0123456789abcdefghijklmnopqrstuvwxyz";
constexpr std::string_view kBase36Upper = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
constexpr std::string_view kBase58Btc = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
constexpr std::string_view kBase64Std = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kBase64Url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

struct BaseInfo {
  Multibase base;
  std::string_view name;
};

constexpr std::array<BaseInfo, 13> kBases = {{
    {Multibase::kBase16, "base16"},
    {Multibase::kBase16Upper, "base16upper"},
    {Multibase::kBase32, "base32"},
    {Multibase::kBase32Upper, "base32upper"},
    {Multibase::kBase32Pad, "base32pad"},
    {Multibase::kBase32PadUpper, "base32padupper"},
    {Multibase::kBase36, "base36"},
    {Multibase::kBase36Upper, "base36upper"},
    {Multibase::kBase58Btc, "base58btc"},
    {Multibase::kBase64, "base64"},
    {Multibase::kBase64Pad, "base64pad"},
    {Multibase::kBase64Url, "base64url"},
    {Multibase::kBase64UrlPad, "base64urlpad"},
}};

constexpr std::array<Multibase, 13> kAllBases = [] {
  std::array<Multibase, 13> out{};
  for (size_t i = 0; i < kBases.size(); ++i) out[i] = kBases[i].base;
  return out;
}();

Error BadCharacter(std::string_view base_name, char c) {
  std::string shown = (c >= 0x20 && c < 0x7f) ? std::string(1, c) : "\\x" + ToHex(AsBytes(std::string_view(&c, 1)));
  return Error{ErrorCode::kInvalidArgument, "invalid " + std::string(base_name) + " character '" + shown + "'"};
}

// Value of `c` in `alphabet`, folding case when asked; -1 if absent.
int DigitValue(std::string_view alphabet, char c, bool fold_case) {
  // Case folding is only used with lower-case alphabets.
  if (fold_case && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  size_t pos = alphabet.find(c);
  return pos == std::string_view::npos ? -1 : static_cast<int>(pos);
}

// RFC 4648 style encoding for power-of-two bases (16, 32, 64).
std::string EncodeBits(ByteSpan data, std::string_view alphabet, int bits, bool pad) {
  std::string out;
  out.reserve((data.size() * 8 + bits - 1) / bits + 8);
  uint32_t buffer = 0;
  int filled = 0;
  const uint32_t mask = (1u << bits) - 1;
  for (std::byte b : data) {
    buffer = (buffer << 8) | std::to_integer<uint32_t>(b);
    filled += 8;
    while (filled >= bits) {
      filled -= bits;
      out.push_back(alphabet[(buffer >> filled) & mask]);
    }
  }
  if (filled > 0) out.push_back(alphabet[(buffer << (bits - filled)) & mask]);
  if (pad) {
    size_t group = bits == 5 ? 8 : bits == 6 ? 4 : 1;
    while (out.size() % group != 0) out.push_back('=');
  }
  return out;
}

Result<Bytes> DecodeBits(std::string_view text, std::string_view alphabet, int bits, bool fold_case,
                         std::string_view name) {
  // Padding is accepted at the end for every variant; js-multiformats does the same.
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  Bytes out;
  out.reserve(text.size() * bits / 8);
  uint32_t buffer = 0;
  int filled = 0;
  for (char c : text) {
    int v = DigitValue(alphabet, c, fold_case);
    if (v < 0) return tl::unexpected(BadCharacter(name, c));
    buffer = (buffer << bits) | static_cast<uint32_t>(v);
    filled += bits;
    if (filled >= 8) {
      filled -= 8;
      out.push_back(static_cast<std::byte>((buffer >> filled) & 0xff));
    }
  }
  // Leftover bits form a partial group; a whole character's worth left over
  // means the length is impossible for this base.
  if (filled >= bits) {
    return MakeError(ErrorCode::kInvalidArgument, "invalid " + std::string(name) + " length");
  }
  return out;
}

// Big-number conversion for base36 and base58; leading zero bytes map to the
// alphabet's zero digit one for one.
std::string EncodeBigBase(ByteSpan data, std::string_view alphabet) {
  const uint32_t radix = static_cast<uint32_t>(alphabet.size());
  size_t zeros = 0;
  while (zeros < data.size() && data[zeros] == std::byte{0}) ++zeros;
  std::vector<uint8_t> digits;  // little-endian in `radix`
  digits.reserve(data.size() * 138 / 100 + 1);
  for (size_t i = zeros; i < data.size(); ++i) {
    uint32_t carry = std::to_integer<uint32_t>(data[i]);
    for (auto& d : digits) {
      carry += static_cast<uint32_t>(d) << 8;
      d = static_cast<uint8_t>(carry % radix);
      carry /= radix;
    }
    while (carry > 0) {
      digits.push_back(static_cast<uint8_t>(carry % radix));
      carry /= radix;
    }
  }
  std::string out(zeros, alphabet[0]);
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) out.push_back(alphabet[*it]);
  return out;
}

Result<Bytes> DecodeBigBase(std::string_view text, std::string_view alphabet, bool fold_case, std::string_view name) {
  const uint32_t radix = static_cast<uint32_t>(alphabet.size());
  size_t zeros = 0;
  while (zeros < text.size() && text[zeros] == alphabet[0]) ++zeros;
  std::vector<uint8_t> bytes;  // little-endian base 256
  for (size_t i = zeros; i < text.size(); ++i) {
    int v = DigitValue(alphabet, text[i], fold_case);
    if (v < 0) return tl::unexpected(BadCharacter(name, text[i]));
    uint32_t carry = static_cast<uint32_t>(v);
    for (auto& b : bytes) {
      carry += static_cast<uint32_t>(b) * radix;
      b = static_cast<uint8_t>(carry & 0xff);
      carry >>= 8;
    }
    while (carry > 0) {
      bytes.push_back(static_cast<uint8_t>(carry & 0xff));
      carry >>= 8;
    }
  }
  Bytes out(zeros, std::byte{0});
  for (auto it = bytes.rbegin(); it != bytes.rend(); ++it) out.push_back(static_cast<std::byte>(*it));
  return out;
}

}  // namespace

std::span<const Multibase> AllMultibases() { return kAllBases; }

std::string_view MultibaseName(Multibase base) {
  for (const auto& b : kBases) {
    if (b.base == base) return b.name;
  }
  return "unknown";
}

std::optional<Multibase> MultibaseFromName(std::string_view name) {
  for (const auto& b : kBases) {
    if (b.name == name) return b.base;
  }
  return std::nullopt;
}

std::optional<Multibase> MultibaseFromPrefix(char prefix) {
  for (const auto& b : kBases) {
    if (static_cast<char>(b.base) == prefix) return b.base;
  }
  return std::nullopt;
}

std::string EncodeWithoutPrefix(Multibase base, ByteSpan data) {
  switch (base) {
    case Multibase::kBase16: return EncodeBits(data, kBase16Lower, 4, false);
    case Multibase::kBase16Upper: return EncodeBits(data, kBase16Upper, 4, false);
    case Multibase::kBase32: return EncodeBits(data, kBase32Lower, 5, false);
    case Multibase::kBase32Upper: return EncodeBits(data, kBase32Upper, 5, false);
    case Multibase::kBase32Pad: return EncodeBits(data, kBase32Lower, 5, true);
    case Multibase::kBase32PadUpper: return EncodeBits(data, kBase32Upper, 5, true);
    case Multibase::kBase36: return EncodeBigBase(data, kBase36Lower);
    case Multibase::kBase36Upper: return EncodeBigBase(data, kBase36Upper);
    case Multibase::kBase58Btc: return EncodeBigBase(data, kBase58Btc);
    case Multibase::kBase64: return EncodeBits(data, kBase64Std, 6, false);
    case Multibase::kBase64Pad: return EncodeBits(data, kBase64Std, 6, true);
    case Multibase::kBase64Url: return EncodeBits(data, kBase64Url, 6, false);
    case Multibase::kBase64UrlPad: return EncodeBits(data, kBase64Url, 6, true);
  }
  return {};
}

std::string MultibaseEncode(Multibase base, ByteSpan data) {
  return static_cast<char>(base) + EncodeWithoutPrefix(base, data);
}

Result<Bytes> DecodeWithoutPrefix(Multibase base, std::string_view payload) {
  std::string_view name = MultibaseName(base);
  switch (base) {
    // base16/32/36 are case-insensitive on decode (multibase tests/case_insensitivity.csv).
    case Multibase::kBase16:
    case Multibase::kBase16Upper:
      return DecodeBits(payload, kBase16Lower, 4, true, name);
    case Multibase::kBase32:
    case Multibase::kBase32Upper:
    case Multibase::kBase32Pad:
    case Multibase::kBase32PadUpper:
      return DecodeBits(payload, kBase32Lower, 5, true, name);
    case Multibase::kBase36:
    case Multibase::kBase36Upper:
      return DecodeBigBase(payload, kBase36Lower, true, name);
    case Multibase::kBase58Btc:
      return DecodeBigBase(payload, kBase58Btc, false, name);
    case Multibase::kBase64:
    case Multibase::kBase64Pad:
      return DecodeBits(payload, kBase64Std, 6, false, name);
    case Multibase::kBase64Url:
    case Multibase::kBase64UrlPad:
      return DecodeBits(payload, kBase64Url, 6, false, name);
  }
  return MakeError(ErrorCode::kInvalidArgument, "unknown multibase");
}

Result<Bytes> MultibaseDecode(std::string_view text) {
  if (text.empty()) return MakeError(ErrorCode::kInvalidArgument, "empty multibase string");
  auto base = MultibaseFromPrefix(text[0]);
  if (!base) {
    return MakeError(ErrorCode::kInvalidArgument, "unknown multibase prefix '" + std::string(1, text[0]) + "'");
  }
  return DecodeWithoutPrefix(*base, text.substr(1));
}

std::string Base58BtcEncode(ByteSpan data) { return EncodeBigBase(data, kBase58Btc); }

Result<Bytes> Base58BtcDecode(std::string_view text) { return DecodeBigBase(text, kBase58Btc, false, "base58btc"); }

}  // namespace ipfsfs::ipld
