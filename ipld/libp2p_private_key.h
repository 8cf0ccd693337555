// libp2p private keys (ipns.md §1): generate, sign, and kubo's two export
// formats, `libp2p-protobuf-cleartext` (the PrivateKey protobuf, what kubo's
// keystore files hold) and `pem-pkcs8-cleartext` (PEM "PRIVATE KEY").
//
// Ed25519 and RSA (2048 to 8192 bits) only: kubo's `key gen` makes no others.
// The key lives in an OpenSSL EVP_PKEY shared between copies (immutable once
// made), so a PrivateKey is a cheap value; every method is const and
// thread-safe. The randomness of Generate comes from OpenSSL; nothing here
// touches files.
#ifndef IPFSFS_IPLD_LIBP2P_PRIVATE_KEY_H_
#define IPFSFS_IPLD_LIBP2P_PRIVATE_KEY_H_

#include <memory>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"
#include "ipld/libp2p_key.h"

struct evp_pkey_st;

namespace ipfsfs::ipld {

// kubo's default RSA size (`ipfs key gen --type rsa`).
inline constexpr int kDefaultRsaBits = 2048;

class PrivateKey {
 public:
  // A fresh key. kInvalidArgument for RSA outside 2048..8192 bits,
  // kUnsupported for other types.
  [[nodiscard]] static Result<PrivateKey> Generate(KeyType type, int rsa_bits = kDefaultRsaBits);
  // The libp2p PrivateKey protobuf: Ed25519 Data = seed ‖ public key (64
  // bytes; the old 96-byte form only when both public copies match), RSA
  // Data = PKCS#1 DER. kCorrupt for malformed bytes, kUnsupported for other
  // key types.
  [[nodiscard]] static Result<PrivateKey> Decode(ByteSpan protobuf);
  // An Ed25519 key from its 32-byte seed (RFC 8032 private key).
  [[nodiscard]] static Result<PrivateKey> FromEd25519Seed(ByteSpan seed);
  // PEM PKCS#8 ("-----BEGIN PRIVATE KEY-----"), unencrypted.
  [[nodiscard]] static Result<PrivateKey> FromPkcs8Pem(std::string_view pem);

  Bytes Encode() const;            // the protobuf: 08 <type> 12 <len> <Data>
  std::string ToPkcs8Pem() const;  // PEM PKCS#8
  const PublicKey& Public() const { return public_; }
  KeyType type() const { return public_.type; }

  // Ed25519 (RFC 8032) or RSASSA-PKCS1-v1_5 with SHA-256: both deterministic.
  [[nodiscard]] Result<Bytes> Sign(ByteSpan message) const;

 private:
  PrivateKey(std::shared_ptr<evp_pkey_st> key, PublicKey pub) : key_(std::move(key)), public_(std::move(pub)) {}
  [[nodiscard]] static Result<PrivateKey> FromOpenSsl(std::shared_ptr<evp_pkey_st> key);

  std::shared_ptr<evp_pkey_st> key_;
  PublicKey public_;
};

}  // namespace ipfsfs::ipld

#endif  // IPFSFS_IPLD_LIBP2P_PRIVATE_KEY_H_
