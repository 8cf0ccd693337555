// CID: content identifier (ipfs/specs src/data-formats/cid.md).
//
// v0 is a bare sha2-256 multihash of a dag-pb block, written in base58btc
// ("Qm…"). v1 is <0x01><codec varint><multihash>, written with a multibase
// prefix (base32 "b…" by default). A Cid is a regular value; two CIDs name the
// same bytes when their multihashes are equal, whatever version or codec.
#ifndef IPFSFS_IPLD_CID_H_
#define IPFSFS_IPLD_CID_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"
#include "ipld/multibase.h"
#include "ipld/multihash.h"

namespace ipfsfs::ipld {

// Multicodec content codes (multiformats/multicodec table.csv). Persisted: never renumber.
enum class Codec : uint64_t {
  kRaw = 0x55,
  kDagPb = 0x70,
  kDagCbor = 0x71,
  kLibp2pKey = 0x72,
  kDagJson = 0x0129,
  kJson = 0x0200,
};

std::optional<std::string_view> CodecName(uint64_t code);
std::optional<uint64_t> CodecFromName(std::string_view name);

class Cid {
 public:
  Cid() = default;
  Cid(int version, uint64_t codec, Multihash hash)
      : version_(version), codec_(codec), hash_(std::move(hash)) {}

  static Cid V0(Multihash hash) { return Cid(0, static_cast<uint64_t>(Codec::kDagPb), std::move(hash)); }
  static Cid V1(Codec codec, Multihash hash) { return Cid(1, static_cast<uint64_t>(codec), std::move(hash)); }

  // Any text form: "Qm…" (v0, 46 chars base58btc) or a multibase-prefixed v1.
  // kInvalidArgument with a message naming what is wrong (bad base prefix,
  // v0 with a prefix, version 2+, unknown multihash, truncated …).
  [[nodiscard]] static Result<Cid> Parse(std::string_view text);
  // Whole binary form; trailing bytes are an error.
  [[nodiscard]] static Result<Cid> FromBytes(ByteSpan bytes);
  // Reads one binary CID from the front of `in` and advances it (CAR sections,
  // dag-pb links). A v0 CID is recognised by its leading 0x12 0x20.
  [[nodiscard]] static Result<Cid> Read(ByteSpan& in);

  int version() const { return version_; }
  uint64_t codec() const { return codec_; }
  const Multihash& hash() const { return hash_; }

  Bytes ToBytes() const;
  void AppendTo(Bytes& out) const;
  size_t EncodedLength() const;

  // Default text: base58btc for v0, base32 for v1.
  std::string ToString() const;
  // v1 in the given base (a v0 CID is printed as its v1 form unless the base is
  // base58btc, where v0 prints bare).
  std::string ToString(Multibase base) const;

  Cid ToV1() const { return Cid(1, codec_, hash_); }
  // kInvalidArgument unless dag-pb with a sha2-256 32-byte digest.
  [[nodiscard]] Result<Cid> ToV0() const;

  // Verifies that `block` is what this CID names (hash only; codec is not checked).
  bool Matches(ByteSpan block) const { return hash_.Matches(block); }

  friend bool operator==(const Cid&, const Cid&) = default;
  friend auto operator<=>(const Cid& a, const Cid& b) {
    if (auto c = a.version_ <=> b.version_; c != 0) return c;
    if (auto c = a.codec_ <=> b.codec_; c != 0) return c;
    return a.hash_ <=> b.hash_;
  }

 private:
  int version_ = 1;
  uint64_t codec_ = static_cast<uint64_t>(Codec::kRaw);
  Multihash hash_;
};

struct CidHasher {
  size_t operator()(const Cid& cid) const;
};

}  // namespace ipfsfs::ipld

#endif  // IPFSFS_IPLD_CID_H_
