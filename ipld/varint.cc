#include "ipld/varint.h"

namespace ipfsfs::ipld {

size_t VarintLength(uint64_t value) {
  size_t n = 1;
  while (value >= 0x80) {
    value >>= 7;
    ++n;
  }
  return n;
}

void AppendVarint(Bytes& out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<std::byte>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<std::byte>(value));
}

namespace {

// Shared decoding loop; `max_bytes` and `minimal` select the dialect.
Result<uint64_t> ReadVarintImpl(ByteSpan& in, size_t max_bytes, bool minimal, const char* what) {
  uint64_t value = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    if (i >= max_bytes) {
      return MakeError(ErrorCode::kCorrupt, std::string(what) + ": longer than " + std::to_string(max_bytes) + " bytes");
    }
    uint64_t byte = std::to_integer<uint64_t>(in[i]);
    if (i == 9 && byte > 1) {
      return MakeError(ErrorCode::kCorrupt, std::string(what) + ": overflows 64 bits");
    }
    value |= (byte & 0x7f) << (7 * i);
    if ((byte & 0x80) == 0) {
      if (minimal && byte == 0 && i > 0) {
        return MakeError(ErrorCode::kCorrupt, std::string(what) + ": not minimally encoded");
      }
      in = in.subspan(i + 1);
      return value;
    }
  }
  return MakeError(ErrorCode::kCorrupt, std::string(what) + (in.empty() ? ": empty input" : ": truncated"));
}

}  // namespace

Result<uint64_t> ReadVarint(ByteSpan& in) { return ReadVarintImpl(in, kMaxVarintBytes, true, "varint"); }

Result<uint64_t> ReadProtobufVarint(ByteSpan& in) { return ReadVarintImpl(in, 10, false, "protobuf varint"); }

}  // namespace ipfsfs::ipld
