// Implementation of ipld/protobuf.h.
#include "ipld/protobuf.h"

#include <string>

#include "ipld/varint.h"

namespace ipfsfs::ipld {
namespace {

// Protobuf field numbers are 29 bits (descriptor.proto: max 2^29 - 1).
constexpr uint64_t kMaxFieldNumber = (uint64_t{1} << 29) - 1;

tl::unexpected<Error> Corrupt(std::string message) {
  return MakeError(ErrorCode::kCorrupt, "protobuf: " + std::move(message));
}

uint64_t ReadLittleEndian(ByteSpan bytes) {
  uint64_t value = 0;
  for (size_t i = bytes.size(); i > 0; --i) {
    value = value << 8 | std::to_integer<uint64_t>(bytes[i - 1]);
  }
  return value;
}

void AppendLittleEndian(Bytes& out, uint64_t value, size_t width) {
  for (size_t i = 0; i < width; ++i) {
    out.push_back(static_cast<std::byte>(value >> (8 * i)));
  }
}

}  // namespace

Result<ProtoField> ProtoReader::Next() {
  ByteSpan in = rest_;
  auto tag = ReadProtobufVarint(in);
  if (!tag) return Corrupt("bad field tag: " + tag.error().message);
  uint64_t number = *tag >> 3;
  unsigned wire = static_cast<unsigned>(*tag & 7);
  if (number == 0) return Corrupt("field number 0");
  if (number > kMaxFieldNumber) return Corrupt("field number " + std::to_string(number) + " too large");

  ProtoField field;
  field.number = static_cast<uint32_t>(number);
  switch (wire) {
    case 0: {
      auto value = ReadProtobufVarint(in);
      if (!value) {
        return Corrupt("bad varint in field " + std::to_string(number) + ": " + value.error().message);
      }
      field.type = WireType::kVarint;
      field.varint = *value;
      break;
    }
    case 1:
    case 5: {
      size_t width = wire == 1 ? 8 : 4;
      if (in.size() < width) {
        return Corrupt("truncated fixed" + std::to_string(width * 8) + " in field " + std::to_string(number));
      }
      field.type = wire == 1 ? WireType::kFixed64 : WireType::kFixed32;
      field.varint = ReadLittleEndian(in.first(width));
      in = in.subspan(width);
      break;
    }
    case 2: {
      auto length = ReadProtobufVarint(in);
      if (!length) {
        return Corrupt("bad length in field " + std::to_string(number) + ": " + length.error().message);
      }
      if (*length > in.size()) {
        return Corrupt("length " + std::to_string(*length) + " of field " + std::to_string(number) +
                       " runs past the end (" + std::to_string(in.size()) + " bytes left)");
      }
      field.type = WireType::kLengthDelimited;
      field.bytes = in.first(static_cast<size_t>(*length));
      in = in.subspan(static_cast<size_t>(*length));
      break;
    }
    default:
      return Corrupt("unsupported wire type " + std::to_string(wire) + " in field " + std::to_string(number));
  }
  rest_ = in;
  return field;
}

void ProtoWriter::Varint(uint32_t field, uint64_t value) {
  AppendVarint(out_, uint64_t{field} << 3 | 0);
  AppendVarint(out_, value);
}

void ProtoWriter::LengthDelimited(uint32_t field, ByteSpan data) {
  AppendVarint(out_, uint64_t{field} << 3 | 2);
  AppendVarint(out_, data.size());
  Append(out_, data);
}

void ProtoWriter::Fixed32(uint32_t field, uint32_t value) {
  AppendVarint(out_, uint64_t{field} << 3 | 5);
  AppendLittleEndian(out_, value, 4);
}

void ProtoWriter::Fixed64(uint32_t field, uint64_t value) {
  AppendVarint(out_, uint64_t{field} << 3 | 1);
  AppendLittleEndian(out_, value, 8);
}

}  // namespace ipfsfs::ipld
