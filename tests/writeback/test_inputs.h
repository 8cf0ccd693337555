// Deterministic test inputs of kubo-add.md §7.1: kubo's ChaCha20 stream and
// xorshift64*. Generators stream, so large inputs never sit in memory whole.
#ifndef IPFSFS_TESTS_WRITEBACK_TEST_INPUTS_H_
#define IPFSFS_TESTS_WRITEBACK_TEST_INPUTS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "writeback/chunker.h"

namespace ipfsfs::testing {

// xorshift64*: 8 bytes little-endian per step; seed 0 gives zeros.
class XorShiftSource : public writeback::ByteSource {
 public:
  XorShiftSource(uint64_t seed, uint64_t size) : state_(seed), left_(size) {}
  [[nodiscard]] Result<size_t> Read(std::span<std::byte> out) override;

 private:
  uint64_t state_;
  uint64_t left_;
  uint8_t word_[8] = {};
  size_t word_pos_ = 8;
};

// ChaCha20 keystream with key SHA-256(seed), zero nonce, counter 0.
class ChaChaSource : public writeback::ByteSource {
 public:
  ChaChaSource(std::string_view seed, uint64_t size);
  ~ChaChaSource() override;
  [[nodiscard]] Result<size_t> Read(std::span<std::byte> out) override;

 private:
  struct State;
  std::unique_ptr<State> state_;
  uint64_t left_;
};

Bytes XorShiftBytes(uint64_t seed, uint64_t size);
Bytes ChaChaBytes(std::string_view seed, uint64_t size);
std::string Sha256Hex(ByteSpan data);

}  // namespace ipfsfs::testing

#endif  // IPFSFS_TESTS_WRITEBACK_TEST_INPUTS_H_
