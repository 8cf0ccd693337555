// Multihash: a self-describing digest <code varint><length varint><digest>.
//
// Hashing uses OpenSSL; identity keeps the data itself as the digest. A
// Multihash is a regular value (copyable, comparable, hashable).
#ifndef IPFSFS_IPLD_MULTIHASH_H_
#define IPFSFS_IPLD_MULTIHASH_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"

namespace ipfsfs::ipld {

// Multicodec hash codes (multiformats/multicodec table.csv). Persisted: never renumber.
enum class HashCode : uint64_t {
  kIdentity = 0x00,
  kSha1 = 0x11,
  kSha2_256 = 0x12,
  kSha2_512 = 0x13,
  kSha3_512 = 0x14,
  kSha3_384 = 0x15,
  kSha3_256 = 0x16,
  kSha3_224 = 0x17,
  kMurmur3X64_64 = 0x22,  // names the HAMT hash; never a block hash
};

// The identity digest may hold at most this many bytes (ipfs/specs unixfs.md).
inline constexpr size_t kMaxIdentityDigest = 128;

// Human name ("sha2-256") or nullopt for a code we do not know.
std::optional<std::string_view> HashName(uint64_t code);
std::optional<uint64_t> HashCodeFromName(std::string_view name);

class Multihash {
 public:
  Multihash() = default;
  Multihash(uint64_t code, Bytes digest) : code_(code), digest_(std::move(digest)) {}

  // Hashes `data` with `code` (identity, sha2-256, sha2-512, sha1, sha3-*).
  // kUnsupported for a function we cannot compute.
  [[nodiscard]] static Result<Multihash> Sum(uint64_t code, ByteSpan data);
  static Multihash Sha256(ByteSpan data);

  // Reads a multihash from the front of `in` and advances it.
  // kCorrupt on a bad varint or a digest past the buffer; kTooLarge for an
  // identity digest over 128 bytes.
  [[nodiscard]] static Result<Multihash> Read(ByteSpan& in);
  // Whole-buffer form: trailing bytes are an error.
  [[nodiscard]] static Result<Multihash> Decode(ByteSpan in);

  uint64_t code() const { return code_; }
  const Bytes& digest() const { return digest_; }
  bool is_identity() const { return code_ == static_cast<uint64_t>(HashCode::kIdentity); }

  Bytes Encode() const;
  void AppendTo(Bytes& out) const;
  // Length of Encode() without building it.
  size_t EncodedLength() const;

  // OK when `data` hashes to this multihash (a truncated digest compares as a
  // prefix; an empty one never matches). kCorrupt on a mismatch,
  // kUnsupported for a function we cannot compute.
  [[nodiscard]] Status Verify(ByteSpan data) const;
  // Verify() as a yes/no: false for a mismatch or an unknown function.
  bool Matches(ByteSpan data) const { return Verify(data).has_value(); }

  // "sha2-256" or "0x…" for an unknown code.
  std::string name() const;

  friend bool operator==(const Multihash&, const Multihash&) = default;
  friend auto operator<=>(const Multihash& a, const Multihash& b) {
    if (auto c = a.code_ <=> b.code_; c != 0) return c;
    return a.digest_ <=> b.digest_;
  }

 private:
  uint64_t code_ = 0;
  Bytes digest_;
};

struct MultihashHasher {
  size_t operator()(const Multihash& mh) const;
};

}  // namespace ipfsfs::ipld

#endif  // IPFSFS_IPLD_MULTIHASH_H_
