// Test-only signing keys for IPNS records (OpenSSL): the library only verifies,
// so the tests sign forged and unusual records themselves. Not thread-safe;
// each TestKey owns its OpenSSL key.
#ifndef IPFSFS_TESTS_IPLD_IPNS_TEST_KEYS_H_
#define IPFSFS_TESTS_IPLD_IPNS_TEST_KEYS_H_

#include <memory>
#include <stdexcept>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "base/bytes.h"
#include "ipld/ipns_record.h"
#include "ipld/libp2p_key.h"

namespace ipfsfs::testing {

class TestKey {
 public:
  // Ed25519 from a 32-byte seed (hex).
  static TestKey Ed25519(std::string_view seed_hex) {
    Bytes seed = *FromHex(seed_hex);
    EVP_PKEY* k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr,
                                               reinterpret_cast<const unsigned char*>(seed.data()), seed.size());
    TestKey key(k, ipld::KeyType::kEd25519);
    Bytes raw(32);
    size_t len = raw.size();
    EVP_PKEY_get_raw_public_key(k, reinterpret_cast<unsigned char*>(raw.data()), &len);
    key.public_key_.data = raw;
    return key;
  }
  // A fresh key on a named curve: "secp256k1" (libp2p Secp256k1) or "P-256" (libp2p ECDSA).
  static TestKey Ec(const char* curve) {
    EVP_PKEY* k = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve);
    bool secp = std::string_view(curve) == "secp256k1";
    TestKey key(k, secp ? ipld::KeyType::kSecp256k1 : ipld::KeyType::kEcdsa);
    if (secp) {
      // The SPKI ends with the uncompressed point 04 X Y; libp2p wants 02|03 X.
      Bytes spki = Spki(k);
      Bytes point(spki.end() - 65, spki.end());
      Bytes compressed{std::to_integer<uint8_t>(point[64]) & 1 ? std::byte{3} : std::byte{2}};
      compressed.insert(compressed.end(), point.begin() + 1, point.begin() + 33);
      key.public_key_.data = compressed;
    } else {
      key.public_key_.data = Spki(k);
    }
    return key;
  }
  static TestKey Rsa(unsigned bits) {
    EVP_PKEY* k = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(bits));
    TestKey key(k, ipld::KeyType::kRsa);
    key.public_key_.data = Spki(k);
    return key;
  }

  const ipld::PublicKey& public_key() const { return public_key_; }
  ipld::Multihash name() const { return public_key_.PeerId(); }

  Bytes Sign(ByteSpan message) const {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    const EVP_MD* md = public_key_.type == ipld::KeyType::kEd25519 ? nullptr : EVP_sha256();
    EVP_DigestSignInit(ctx.get(), nullptr, md, nullptr, key_.get());
    size_t len = 0;
    auto* msg = reinterpret_cast<const unsigned char*>(message.data());
    EVP_DigestSign(ctx.get(), nullptr, &len, msg, message.size());
    Bytes sig(len);
    EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, msg, message.size());
    sig.resize(len);
    return sig;
  }

  // A signed record carrying `data`: V1 fields copied from it when `v1`, the
  // public key embedded when `embed_key`.
  Bytes MakeRecord(const ipld::IpnsData& data, bool v1, bool embed_key) const {
    ipld::IpnsEntry e;
    e.data = ipld::EncodeDagCbor(data.ToDagCbor());
    e.signature_v2 = Sign(ipld::IpnsSignatureV2Payload(*e.data));
    if (v1) {
      e.value = data.value.value_or(Bytes());
      e.validity = data.validity.value_or(Bytes());
      e.validity_type = 0;
      e.sequence = static_cast<uint64_t>(data.sequence.value_or(0));
      e.ttl = static_cast<uint64_t>(data.ttl.value_or(0));
      e.signature_v1 = Sign(ipld::IpnsSignatureV1Payload(*e.value, *e.validity));
    }
    if (embed_key) e.pub_key = public_key_.Encode();
    return e.Encode();
  }

 private:
  TestKey(EVP_PKEY* k, ipld::KeyType type) : key_(k, EVP_PKEY_free) {
    if (!k) throw std::runtime_error("OpenSSL could not make the test key");
    public_key_.type = type;
  }
  static Bytes Spki(EVP_PKEY* k) {
    unsigned char* der = nullptr;
    int len = i2d_PUBKEY(k, &der);
    Bytes out(reinterpret_cast<std::byte*>(der), reinterpret_cast<std::byte*>(der) + len);
    OPENSSL_free(der);
    return out;
  }

  std::shared_ptr<EVP_PKEY> key_;
  ipld::PublicKey public_key_;
};

// The usual data of the spec vectors: /ipfs/<empty dir>, sequence 7, TTL 1 h.
inline ipld::IpnsData SampleData(std::string_view validity = "2126-01-01T00:00:00Z") {
  ipld::IpnsData d;
  d.value = ToBytes("/ipfs/bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354");
  d.validity = ToBytes(validity);
  d.validity_type = 0;
  d.sequence = 7;
  d.ttl = 3600000000000;
  return d;
}

}  // namespace ipfsfs::testing

#endif  // IPFSFS_TESTS_IPLD_IPNS_TEST_KEYS_H_
