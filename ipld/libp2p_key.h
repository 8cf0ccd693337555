// libp2p public keys and peer IDs (libp2p/specs peer-ids/peer-ids.md; ipns.md §1).
//
// A PublicKey is the libp2p PublicKey protobuf: a KeyType and the key bytes
// whose encoding depends on the type. The peer ID is the multihash of that
// protobuf: identity when it is at most 42 bytes (Ed25519, secp256k1: the key
// can be read back out of the peer ID), sha2-256 otherwise (RSA, ECDSA).
// Signatures are checked with OpenSSL. Regular values; pure functions,
// thread-safe.
#ifndef IPFSFS_IPLD_LIBP2P_KEY_H_
#define IPFSFS_IPLD_LIBP2P_KEY_H_

#include <cstdint>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"
#include "ipld/multihash.h"

namespace ipfsfs::ipld {

// The KeyType enum of the protobuf. Persisted (in keys and peer IDs): never renumber.
enum class KeyType : uint64_t { kRsa = 0, kEd25519 = 1, kSecp256k1 = 2, kEcdsa = 3 };

std::string_view KeyTypeName(KeyType type);  // "Ed25519", "RSA", …

// A protobuf of at most this many bytes is inlined into the peer ID.
inline constexpr size_t kMaxInlineKeyLength = 42;

struct PublicKey {
  KeyType type = KeyType::kEd25519;
  Bytes data;  // Ed25519: 32 raw bytes; secp256k1: 33-byte compressed point; RSA, ECDSA: DER SubjectPublicKeyInfo

  // Decodes the protobuf (fields in any order, unknown fields skipped, as
  // go-libp2p's proto2 decoder does; both fields are required).
  // kCorrupt for a malformed protobuf or missing field, kUnsupported for an
  // unknown key type.
  [[nodiscard]] static Result<PublicKey> Decode(ByteSpan protobuf);
  // The key inlined in an identity peer ID. kNotFound when `peer_id` is not an
  // identity multihash (its key has to come from elsewhere).
  [[nodiscard]] static Result<PublicKey> FromPeerId(const Multihash& peer_id);

  // The deterministic protobuf: 08 <type> 12 <len> <data>.
  Bytes Encode() const;
  Multihash PeerId() const;

  // OK when `signature` signs `message` under this key: Ed25519 (RFC 8032),
  // RSA PKCS#1 v1.5 with SHA-256 (2048 to 8192 bits, as go-libp2p),
  // ECDSA over SHA-256 with a DER signature for secp256k1 and ECDSA keys.
  // kCorrupt "signature does not verify"; kInvalidArgument when the key bytes
  // are not a valid key of their type.
  [[nodiscard]] Status Verify(ByteSpan message, ByteSpan signature) const;

  friend bool operator==(const PublicKey&, const PublicKey&) = default;
};

}  // namespace ipfsfs::ipld

#endif  // IPFSFS_IPLD_LIBP2P_KEY_H_
