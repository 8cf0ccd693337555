#include "tests/writeback/test_inputs.h"

#include <cstring>

#include <openssl/evp.h>
#include <openssl/sha.h>

namespace ipfsfs::testing {

Result<size_t> XorShiftSource::Read(std::span<std::byte> out) {
  size_t n = static_cast<size_t>(std::min<uint64_t>(out.size(), left_));
  for (size_t i = 0; i < n; ++i) {
    if (word_pos_ == 8) {
      state_ ^= state_ >> 12;
      state_ ^= state_ << 25;
      state_ ^= state_ >> 27;
      uint64_t v = state_ * 0x2545F4914F6CDD1DULL;
      for (int k = 0; k < 8; ++k) word_[k] = static_cast<uint8_t>(v >> (8 * k));
      word_pos_ = 0;
    }
    out[i] = static_cast<std::byte>(word_[word_pos_++]);
  }
  left_ -= n;
  return n;
}

struct ChaChaSource::State {
  EVP_CIPHER_CTX* ctx = nullptr;
};

ChaChaSource::ChaChaSource(std::string_view seed, uint64_t size) : state_(new State), left_(size) {
  unsigned char key[32];
  SHA256(reinterpret_cast<const unsigned char*>(seed.data()), seed.size(), key);
  unsigned char iv[16] = {};
  state_->ctx = EVP_CIPHER_CTX_new();
  EVP_EncryptInit_ex(state_->ctx, EVP_chacha20(), nullptr, key, iv);
}

ChaChaSource::~ChaChaSource() { EVP_CIPHER_CTX_free(state_->ctx); }

Result<size_t> ChaChaSource::Read(std::span<std::byte> out) {
  size_t n = static_cast<size_t>(std::min<uint64_t>(out.size(), left_));
  std::memset(out.data(), 0, n);
  size_t done = 0;
  while (done < n) {
    int chunk = static_cast<int>(std::min<size_t>(n - done, 1 << 30));
    int outl = 0;
    auto* p = reinterpret_cast<unsigned char*>(out.data() + done);
    EVP_EncryptUpdate(state_->ctx, p, &outl, p, chunk);
    done += static_cast<size_t>(chunk);
  }
  left_ -= n;
  return n;
}

static Bytes Drain(writeback::ByteSource& source, uint64_t size) {
  Bytes out(size);
  auto r = source.Read(std::span<std::byte>(out.data(), out.size()));
  (void)r;
  return out;
}

Bytes XorShiftBytes(uint64_t seed, uint64_t size) {
  XorShiftSource s(seed, size);
  return Drain(s, size);
}

Bytes ChaChaBytes(std::string_view seed, uint64_t size) {
  ChaChaSource s(seed, size);
  return Drain(s, size);
}

std::string Sha256Hex(ByteSpan data) {
  unsigned char digest[32];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return ToHex(ByteSpan(reinterpret_cast<const std::byte*>(digest), 32));
}

}  // namespace ipfsfs::testing
