// Minimal protobuf wire reader and writer, shared by dag-pb, UnixFS and IPNS records.
//
// ProtoReader walks fields in order without allocating; it reports the field
// number and wire type and hands out views into the buffer, so the strict
// decoders above it decide what order and repetition they accept.
#ifndef IPFSFS_IPLD_PROTOBUF_H_
#define IPFSFS_IPLD_PROTOBUF_H_

#include <cstdint>

#include "base/bytes.h"
#include "base/result.h"

namespace ipfsfs::ipld {

enum class WireType : uint8_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

struct ProtoField {
  uint32_t number = 0;
  WireType type = WireType::kVarint;
  uint64_t varint = 0;  // kVarint, kFixed64, kFixed32
  ByteSpan bytes;       // kLengthDelimited: a view into the reader's buffer
};

class ProtoReader {
 public:
  explicit ProtoReader(ByteSpan data) : rest_(data) {}
  bool done() const { return rest_.empty(); }
  // Reads the next field. kCorrupt on a truncated field, a length past the
  // buffer, field number 0, or wire types 3/4/6/7 (groups and reserved).
  [[nodiscard]] Result<ProtoField> Next();

 private:
  ByteSpan rest_;
};

class ProtoWriter {
 public:
  void Varint(uint32_t field, uint64_t value);
  void LengthDelimited(uint32_t field, ByteSpan data);
  void Fixed32(uint32_t field, uint32_t value);
  void Fixed64(uint32_t field, uint64_t value);
  const Bytes& bytes() const { return out_; }
  Bytes Take() { return std::move(out_); }

 private:
  Bytes out_;
};

}  // namespace ipfsfs::ipld

#endif  // IPFSFS_IPLD_PROTOBUF_H_
