// Multibase: text encodings of binary data, each named by a one-character prefix
// (multiformats/multibase multibase.csv).
//
// Supported: base16 (f/F), base32 (b/B, padded c/C), base36 (k/K),
// base58btc (z), base64 (m, padded M), base64url (u, padded U), identity (\0 is
// not supported as text). Pure functions, thread-safe.
#ifndef IPFSFS_IPLD_MULTIBASE_H_
#define IPFSFS_IPLD_MULTIBASE_H_

#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"

namespace ipfsfs::ipld {

// The prefix character is the enum value.
enum class Multibase : char {
  kBase16 = 'f',
  kBase16Upper = 'F',
  kBase32 = 'b',
  kBase32Upper = 'B',
  kBase32Pad = 'c',
  kBase32PadUpper = 'C',
  kBase36 = 'k',
  kBase36Upper = 'K',
  kBase58Btc = 'z',
  kBase64 = 'm',
  kBase64Pad = 'M',
  kBase64Url = 'u',
  kBase64UrlPad = 'U',
};

// Every base above, in table order: for "print in every base" listings and tests.
std::span<const Multibase> AllMultibases();

// The multibase.csv name ("base58btc", "base32upper", …) and back.
std::string_view MultibaseName(Multibase base);
std::optional<Multibase> MultibaseFromName(std::string_view name);
std::optional<Multibase> MultibaseFromPrefix(char prefix);

// Prefix + payload.
std::string MultibaseEncode(Multibase base, ByteSpan data);
// Payload only, no prefix.
std::string EncodeWithoutPrefix(Multibase base, ByteSpan data);

// Reads the prefix and decodes the rest. kInvalidArgument for an unknown prefix
// or a character outside the base's alphabet (named in the message).
[[nodiscard]] Result<Bytes> MultibaseDecode(std::string_view text);
[[nodiscard]] Result<Bytes> DecodeWithoutPrefix(Multibase base, std::string_view payload);

// Bare base58btc as CIDv0 and peer IDs use it.
std::string Base58BtcEncode(ByteSpan data);
[[nodiscard]] Result<Bytes> Base58BtcDecode(std::string_view text);

}  // namespace ipfsfs::ipld

#endif  // IPFSFS_IPLD_MULTIBASE_H_
