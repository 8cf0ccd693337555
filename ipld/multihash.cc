#include "ipld/multihash.h"

#include <openssl/evp.h>

#include <array>
#include <cstdio>
#include <cstring>

#include "ipld/varint.h"

namespace ipfsfs::ipld {

namespace {

struct HashInfo {
  uint64_t code;
  std::string_view name;
  const EVP_MD* (*md)();  // nullptr: identity or not computable here
};

// multiformats/multicodec table.csv; only the functions ipfsfs can compute or name.
constexpr std::array<HashInfo, 9> kHashes = {{
    {0x00, "identity", nullptr},
    {0x11, "sha1", &EVP_sha1},
    {0x12, "sha2-256", &EVP_sha256},
    {0x13, "sha2-512", &EVP_sha512},
    {0x14, "sha3-512", &EVP_sha3_512},
    {0x15, "sha3-384", &EVP_sha3_384},
    {0x16, "sha3-256", &EVP_sha3_256},
    {0x17, "sha3-224", &EVP_sha3_224},
    {0x22, "murmur3-x64-64", nullptr},
}};

const HashInfo* FindHash(uint64_t code) {
  for (const auto& h : kHashes) {
    if (h.code == code) return &h;
  }
  return nullptr;
}

}  // namespace

std::optional<std::string_view> HashName(uint64_t code) {
  if (const HashInfo* h = FindHash(code)) return h->name;
  return std::nullopt;
}

std::optional<uint64_t> HashCodeFromName(std::string_view name) {
  for (const auto& h : kHashes) {
    if (h.name == name) return h.code;
  }
  return std::nullopt;
}

Result<Multihash> Multihash::Sum(uint64_t code, ByteSpan data) {
  if (code == static_cast<uint64_t>(HashCode::kIdentity)) {
    if (data.size() > kMaxIdentityDigest) {
      return MakeError(ErrorCode::kTooLarge, "identity digest over 128 bytes");
    }
    return Multihash(code, Bytes(data.begin(), data.end()));
  }
  if (code == static_cast<uint64_t>(HashCode::kSha2_256)) return Sha256(data);
  const HashInfo* info = FindHash(code);
  if (info == nullptr || info->md == nullptr) {
    return MakeError(ErrorCode::kUnsupported, "unsupported hash function " + Multihash(code, {}).name());
  }
  Bytes digest(EVP_MAX_MD_SIZE);
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), reinterpret_cast<unsigned char*>(digest.data()), &len, info->md(), nullptr) != 1) {
    return MakeError(ErrorCode::kInternal, "OpenSSL digest failed");
  }
  digest.resize(len);
  return Multihash(code, std::move(digest));
}

Multihash Multihash::Sha256(ByteSpan data) {
  Bytes digest(32);
  unsigned int len = 0;
  // EVP_Digest with a static EVP_MD is thread-safe and uses SHA-NI when present.
  EVP_Digest(data.data(), data.size(), reinterpret_cast<unsigned char*>(digest.data()), &len, EVP_sha256(), nullptr);
  return Multihash(static_cast<uint64_t>(HashCode::kSha2_256), std::move(digest));
}

Result<Multihash> Multihash::Read(ByteSpan& in) {
  ByteSpan rest = in;
  auto code = ReadVarint(rest);
  if (!code) return tl::unexpected(code.error().Wrap("multihash code"));
  auto length = ReadVarint(rest);
  if (!length) return tl::unexpected(length.error().Wrap("multihash length"));
  if (*code == static_cast<uint64_t>(HashCode::kIdentity) && *length > kMaxIdentityDigest) {
    return MakeError(ErrorCode::kTooLarge, "multihash: identity digest of " + std::to_string(*length) + " bytes is over 128");
  }
  if (*length > rest.size()) {
    return MakeError(ErrorCode::kCorrupt, "multihash: digest length " + std::to_string(*length) + " past the end of input");
  }
  Bytes digest(rest.begin(), rest.begin() + *length);
  in = rest.subspan(*length);
  return Multihash(*code, std::move(digest));
}

Result<Multihash> Multihash::Decode(ByteSpan in) {
  auto mh = Read(in);
  if (!mh) return mh;
  if (!in.empty()) return MakeError(ErrorCode::kCorrupt, "multihash: trailing bytes");
  return mh;
}

size_t Multihash::EncodedLength() const {
  return VarintLength(code_) + VarintLength(digest_.size()) + digest_.size();
}

void Multihash::AppendTo(Bytes& out) const {
  AppendVarint(out, code_);
  AppendVarint(out, digest_.size());
  Append(out, digest_);
}

Bytes Multihash::Encode() const {
  Bytes out;
  out.reserve(EncodedLength());
  AppendTo(out);
  return out;
}

Status Multihash::Verify(ByteSpan data) const {
  bool same = false;
  if (is_identity()) {
    same = data.size() == digest_.size() && std::equal(data.begin(), data.end(), digest_.begin());
  } else {
    auto sum = Sum(code_, data);
    if (!sum) return tl::unexpected(sum.error());
    // A truncated digest (length below the function's) compares as a prefix.
    same = !digest_.empty() && sum->digest_.size() >= digest_.size() &&
           std::equal(digest_.begin(), digest_.end(), sum->digest_.begin());
  }
  if (!same) return MakeError(ErrorCode::kCorrupt, "hash mismatch");
  return OkStatus();
}

std::string Multihash::name() const {
  if (auto n = HashName(code_)) return std::string(*n);
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(code_));
  return buf;
}

size_t MultihashHasher::operator()(const Multihash& mh) const {
  // Digests are uniformly distributed: the first 8 bytes are a good hash.
  size_t h = mh.code();
  size_t n = std::min<size_t>(sizeof(size_t), mh.digest().size());
  size_t head = 0;
  std::memcpy(&head, mh.digest().data(), n);
  return h * 0x9e3779b97f4a7c15ULL ^ head;
}

}  // namespace ipfsfs::ipld
