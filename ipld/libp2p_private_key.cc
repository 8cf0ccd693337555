// Implementation of ipld/libp2p_private_key.h.
#include "ipld/libp2p_private_key.h"

#include <optional>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ipld/protobuf.h"

namespace ipfsfs::ipld {
namespace {

// go-libp2p core/crypto/rsa_common.go.
constexpr int kMinRsaBits = 2048;
constexpr int kMaxRsaBits = 8192;
constexpr size_t kEd25519Length = 32;

std::shared_ptr<evp_pkey_st> Own(EVP_PKEY* k) {
  ERR_clear_error();  // leave nothing in this thread's OpenSSL error queue
  if (!k) return nullptr;
  return std::shared_ptr<evp_pkey_st>(k, EVP_PKEY_free);
}

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};

Result<Bytes> RawEd25519(EVP_PKEY* k, bool private_part) {
  Bytes out(kEd25519Length);
  size_t len = out.size();
  auto* p = reinterpret_cast<unsigned char*>(out.data());
  int ok = private_part ? EVP_PKEY_get_raw_private_key(k, p, &len) : EVP_PKEY_get_raw_public_key(k, p, &len);
  if (ok != 1 || len != kEd25519Length) return MakeError(ErrorCode::kInternal, "OpenSSL: no raw Ed25519 key");
  return out;
}

Bytes Der(int len, unsigned char* der) {
  Bytes out(reinterpret_cast<std::byte*>(der), reinterpret_cast<std::byte*>(der) + len);
  OPENSSL_free(der);
  return out;
}

}  // namespace

Result<PrivateKey> PrivateKey::FromOpenSsl(std::shared_ptr<evp_pkey_st> key) {
  EVP_PKEY* k = key.get();
  PublicKey pub;
  switch (EVP_PKEY_get_base_id(k)) {
    case EVP_PKEY_ED25519: {
      pub.type = KeyType::kEd25519;
      auto raw = RawEd25519(k, false);
      if (!raw) return tl::unexpected(raw.error());
      pub.data = std::move(*raw);
      break;
    }
    case EVP_PKEY_RSA: {
      int bits = EVP_PKEY_get_bits(k);
      if (bits < kMinRsaBits || bits > kMaxRsaBits) {
        return MakeError(ErrorCode::kInvalidArgument,
                         "RSA key of " + std::to_string(bits) + " bits: 2048 to 8192 allowed");
      }
      // A damaged PKCS#1 key (a flipped bit in a prime) still parses and signs,
      // but its signatures do not verify: refuse it here, before it signs records.
      std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> check(EVP_PKEY_CTX_new(k, nullptr),
                                                                        EVP_PKEY_CTX_free);
      int consistent = check ? EVP_PKEY_check(check.get()) : 0;
      ERR_clear_error();
      if (consistent != 1) return MakeError(ErrorCode::kCorrupt, "the RSA key's parts are inconsistent");
      pub.type = KeyType::kRsa;
      unsigned char* der = nullptr;
      int len = i2d_PUBKEY(k, &der);
      if (len <= 0) return MakeError(ErrorCode::kInternal, "OpenSSL cannot encode the RSA public key");
      pub.data = Der(len, der);
      break;
    }
    default:
      return MakeError(ErrorCode::kUnsupported, "only Ed25519 and RSA private keys are supported");
  }
  return PrivateKey(std::move(key), std::move(pub));
}

Result<PrivateKey> PrivateKey::Generate(KeyType type, int rsa_bits) {
  std::shared_ptr<evp_pkey_st> key;
  if (type == KeyType::kEd25519) {
    key = Own(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  } else if (type == KeyType::kRsa) {
    if (rsa_bits < kMinRsaBits || rsa_bits > kMaxRsaBits) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "RSA key size " + std::to_string(rsa_bits) + ": 2048 to 8192 bits allowed");
    }
    key = Own(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(rsa_bits)));
  } else {
    return MakeError(ErrorCode::kUnsupported,
                     "cannot generate " + std::string(KeyTypeName(type)) + " keys (ed25519 or rsa)");
  }
  if (!key) return MakeError(ErrorCode::kInternal, "OpenSSL could not generate the key");
  return FromOpenSsl(std::move(key));
}

Result<PrivateKey> PrivateKey::Decode(ByteSpan protobuf) {
  std::optional<uint64_t> type;
  std::optional<ByteSpan> data;
  ProtoReader reader(protobuf);
  while (!reader.done()) {
    auto field = reader.Next();
    if (!field) return tl::unexpected(field.error().Wrap("private key"));
    if (field->number == 1 && field->type == WireType::kVarint) type = field->varint;
    if (field->number == 2 && field->type == WireType::kLengthDelimited) data = field->bytes;
  }
  if (!type || !data) return MakeError(ErrorCode::kCorrupt, "private key: Type or Data missing");
  if (*type == static_cast<uint64_t>(KeyType::kEd25519)) {
    // seed ‖ public, or the old seed ‖ public ‖ public.
    if (data->size() != 2 * kEd25519Length && data->size() != 3 * kEd25519Length) {
      return MakeError(ErrorCode::kCorrupt,
                       "private key: Ed25519 Data of " + std::to_string(data->size()) + " bytes, not 64");
    }
    if (data->size() == 3 * kEd25519Length && !std::equal(data->begin() + 32, data->begin() + 64, data->begin() + 64)) {
      return MakeError(ErrorCode::kCorrupt, "private key: the two public key copies of a 96-byte Ed25519 key differ");
    }
    auto made = FromEd25519Seed(data->first(kEd25519Length));
    if (!made) return made;
    if (!std::equal(made->public_.data.begin(), made->public_.data.end(), data->begin() + 32)) {
      return MakeError(ErrorCode::kCorrupt, "private key: the Ed25519 public half does not match the seed");
    }
    return made;
  }
  if (*type == static_cast<uint64_t>(KeyType::kRsa)) {
    const auto* p = reinterpret_cast<const unsigned char*>(data->data());
    const unsigned char* end = p;
    auto key = Own(d2i_PrivateKey(EVP_PKEY_RSA, nullptr, &end, static_cast<long>(data->size())));
    if (!key || end != p + data->size()) return MakeError(ErrorCode::kCorrupt, "private key: not a PKCS#1 RSA key");
    return FromOpenSsl(std::move(key));
  }
  if (*type <= static_cast<uint64_t>(KeyType::kEcdsa)) {
    return MakeError(ErrorCode::kUnsupported,
                     std::string(KeyTypeName(static_cast<KeyType>(*type))) + " private keys are not supported");
  }
  return MakeError(ErrorCode::kUnsupported, "private key: unknown key type " + std::to_string(*type));
}

Result<PrivateKey> PrivateKey::FromEd25519Seed(ByteSpan seed) {
  if (seed.size() != kEd25519Length) return MakeError(ErrorCode::kInvalidArgument, "an Ed25519 seed is 32 bytes");
  auto key = Own(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr,
                                              reinterpret_cast<const unsigned char*>(seed.data()), seed.size()));
  if (!key) return MakeError(ErrorCode::kInternal, "OpenSSL refused the Ed25519 seed");
  return FromOpenSsl(std::move(key));
}

Result<PrivateKey> PrivateKey::FromPkcs8Pem(std::string_view pem) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return MakeError(ErrorCode::kInternal, "out of memory");
  // An empty passphrase callback: an encrypted key is refused, never prompted for.
  auto no_pass = [](char*, int, int, void*) { return 0; };
  auto key = Own(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_pass, nullptr));
  if (!key) return MakeError(ErrorCode::kCorrupt, "not an unencrypted PEM PKCS#8 private key");
  return FromOpenSsl(std::move(key));
}

Bytes PrivateKey::Encode() const {
  Bytes data;
  if (type() == KeyType::kEd25519) {
    data = *RawEd25519(key_.get(), true);  // made by FromOpenSsl: the raw key exists
    Append(data, public_.data);
  } else {
    unsigned char* der = nullptr;
    int len = i2d_PrivateKey(key_.get(), &der);  // RSA: PKCS#1 RSAPrivateKey
    if (len > 0) data = Der(len, der);
  }
  ProtoWriter w;
  w.Varint(1, static_cast<uint64_t>(type()));
  w.LengthDelimited(2, data);
  return w.Take();
}

std::string PrivateKey::ToPkcs8Pem() const {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  std::string out;
  if (bio && PEM_write_bio_PKCS8PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1) {
    char* p = nullptr;
    long len = BIO_get_mem_data(bio.get(), &p);
    out.assign(p, static_cast<size_t>(len));
  }
  ERR_clear_error();
  return out;
}

Result<Bytes> PrivateKey::Sign(ByteSpan message) const {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  const EVP_MD* md = type() == KeyType::kEd25519 ? nullptr : EVP_sha256();
  auto* msg = reinterpret_cast<const unsigned char*>(message.data());
  size_t len = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, md, nullptr, key_.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, msg, message.size()) != 1) {
    ERR_clear_error();
    return MakeError(ErrorCode::kInternal,
                     "OpenSSL cannot sign with this " + std::string(KeyTypeName(type())) + " key");
  }
  Bytes sig(len);
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, msg, message.size()) != 1) {
    ERR_clear_error();
    return MakeError(ErrorCode::kInternal, "OpenSSL signing failed");
  }
  sig.resize(len);
  return sig;
}

}  // namespace ipfsfs::ipld
