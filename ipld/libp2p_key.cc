// Implementation of ipld/libp2p_key.h.
#include "ipld/libp2p_key.h"

#include <memory>
#include <optional>
#include <string>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "ipld/protobuf.h"

namespace ipfsfs::ipld {
namespace {

// go-libp2p core/crypto/rsa_common.go: MinRsaKeyBits, maxRsaKeyBits.
constexpr int kMinRsaBits = 2048;
constexpr int kMaxRsaBits = 8192;
constexpr size_t kEd25519KeyLength = 32;
constexpr size_t kSecp256k1KeyLength = 33;
// DER SubjectPublicKeyInfo header for a compressed secp256k1 point (OID
// 1.2.840.10045.2.1 ecPublicKey, curve 1.3.132.0.10): OpenSSL parses the key
// from SPKI, so the raw point is wrapped in it.
constexpr uint8_t kSecp256k1SpkiPrefix[] = {0x30, 0x36, 0x30, 0x10, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02,
                                            0x01, 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x0a, 0x03, 0x22, 0x00};

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

tl::unexpected<Error> BadKey(const PublicKey& key, std::string why) {
  return MakeError(ErrorCode::kInvalidArgument,
                   "invalid " + std::string(KeyTypeName(key.type)) + " public key: " + std::move(why));
}

PkeyPtr FromSpki(ByteSpan der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  PkeyPtr key(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())));
  // Trailing bytes after the DER structure are not a key.
  if (key && p != reinterpret_cast<const unsigned char*>(der.data()) + der.size()) key.reset();
  ERR_clear_error();  // a refusal leaves nothing behind in this thread's OpenSSL error queue
  return key;
}

Result<PkeyPtr> ToOpenSsl(const PublicKey& key) {
  switch (key.type) {
    case KeyType::kEd25519: {
      if (key.data.size() != kEd25519KeyLength) return BadKey(key, std::to_string(key.data.size()) + " bytes, not 32");
      PkeyPtr k(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                            reinterpret_cast<const unsigned char*>(key.data.data()), key.data.size()));
      if (!k) return BadKey(key, "rejected by OpenSSL");
      return k;
    }
    case KeyType::kSecp256k1: {
      if (key.data.size() != kSecp256k1KeyLength) return BadKey(key, "not a 33-byte compressed point");
      Bytes spki;
      spki.reserve(sizeof kSecp256k1SpkiPrefix + key.data.size());
      for (uint8_t b : kSecp256k1SpkiPrefix) spki.push_back(std::byte{b});
      spki.insert(spki.end(), key.data.begin(), key.data.end());
      PkeyPtr k = FromSpki(spki);
      if (!k) return BadKey(key, "not a point on secp256k1");
      return k;
    }
    case KeyType::kRsa: {
      PkeyPtr k = FromSpki(key.data);
      if (!k || EVP_PKEY_get_base_id(k.get()) != EVP_PKEY_RSA) return BadKey(key, "not a DER RSA SubjectPublicKeyInfo");
      int bits = EVP_PKEY_get_bits(k.get());
      if (bits < kMinRsaBits || bits > kMaxRsaBits) {
        return BadKey(key, std::to_string(bits) + " bits (2048 to 8192 allowed)");
      }
      return k;
    }
    case KeyType::kEcdsa: {
      PkeyPtr k = FromSpki(key.data);
      if (!k || EVP_PKEY_get_base_id(k.get()) != EVP_PKEY_EC) return BadKey(key, "not a DER EC SubjectPublicKeyInfo");
      return k;
    }
  }
  return BadKey(key, "unknown type");
}

}  // namespace

std::string_view KeyTypeName(KeyType type) {
  switch (type) {
    case KeyType::kRsa: return "RSA";
    case KeyType::kEd25519: return "Ed25519";
    case KeyType::kSecp256k1: return "Secp256k1";
    case KeyType::kEcdsa: return "ECDSA";
  }
  return "unknown";
}

Result<PublicKey> PublicKey::Decode(ByteSpan protobuf) {
  std::optional<uint64_t> type;
  std::optional<ByteSpan> data;
  ProtoReader reader(protobuf);
  while (!reader.done()) {
    auto field = reader.Next();
    if (!field) return tl::unexpected(field.error().Wrap("public key"));
    if (field->number == 1) {
      if (field->type != WireType::kVarint) return MakeError(ErrorCode::kCorrupt, "public key: Type is not a varint");
      type = field->varint;
    } else if (field->number == 2) {
      if (field->type != WireType::kLengthDelimited) {
        return MakeError(ErrorCode::kCorrupt, "public key: Data is not a byte string");
      }
      data = field->bytes;
    }
  }
  if (!type || !data) return MakeError(ErrorCode::kCorrupt, "public key: Type or Data missing");
  if (*type > static_cast<uint64_t>(KeyType::kEcdsa)) {
    return MakeError(ErrorCode::kUnsupported, "public key: unknown key type " + std::to_string(*type));
  }
  return PublicKey{static_cast<KeyType>(*type), Bytes(data->begin(), data->end())};
}

Result<PublicKey> PublicKey::FromPeerId(const Multihash& peer_id) {
  if (!peer_id.is_identity()) {
    return MakeError(ErrorCode::kNotFound, "peer ID is a " + peer_id.name() + " hash: the key is not inlined");
  }
  return Decode(peer_id.digest());
}

Bytes PublicKey::Encode() const {
  ProtoWriter w;
  w.Varint(1, static_cast<uint64_t>(type));
  w.LengthDelimited(2, data);
  return w.Take();
}

Multihash PublicKey::PeerId() const {
  Bytes protobuf = Encode();
  if (protobuf.size() <= kMaxInlineKeyLength) {
    return Multihash(static_cast<uint64_t>(HashCode::kIdentity), std::move(protobuf));
  }
  return Multihash::Sha256(protobuf);
}

Status PublicKey::Verify(ByteSpan message, ByteSpan signature) const {
  auto pkey = ToOpenSsl(*this);
  if (!pkey) return tl::unexpected(pkey.error());
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  if (!ctx) return MakeError(ErrorCode::kInternal, "out of memory");
  // Ed25519 hashes internally (no digest); the others sign SHA-256.
  const EVP_MD* md = type == KeyType::kEd25519 ? nullptr : EVP_sha256();
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, pkey->get()) != 1) {
    return MakeError(ErrorCode::kInternal, "OpenSSL cannot verify " + std::string(KeyTypeName(type)) + " signatures");
  }
  int ok = EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                            reinterpret_cast<const unsigned char*>(message.data()), message.size());
  ERR_clear_error();
  if (ok != 1) {
    return MakeError(ErrorCode::kCorrupt, std::string(KeyTypeName(type)) + " signature does not verify");
  }
  return OkStatus();
}

}  // namespace ipfsfs::ipld
