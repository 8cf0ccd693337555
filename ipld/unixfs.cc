// Implementation of ipld/unixfs.h.
#include "ipld/unixfs.h"

#include <limits>
#include <string>
#include <string_view>

#include "ipld/protobuf.h"
#include "ipld/varint.h"

namespace ipfsfs::ipld {
namespace {

// Field numbers of the Data message (ipfs/specs src/unixfs.md). Persisted: never renumber.
constexpr uint32_t kFieldType = 1;
constexpr uint32_t kFieldData = 2;
constexpr uint32_t kFieldFilesize = 3;
constexpr uint32_t kFieldBlocksizes = 4;
constexpr uint32_t kFieldHashType = 5;
constexpr uint32_t kFieldFanout = 6;
constexpr uint32_t kFieldMode = 7;
constexpr uint32_t kFieldMtime = 8;
// UnixTime.
constexpr uint32_t kFieldSeconds = 1;
constexpr uint32_t kFieldNanos = 2;

constexpr uint64_t kMaxType = static_cast<uint64_t>(UnixfsType::kHamtShard);
// FractionalNanoseconds must lie in [1, 999999999] on the wire (unixfs.md "mtime Field").
constexpr uint32_t kMaxNanos = 999'999'999;

tl::unexpected<Error> Corrupt(std::string message) {
  return MakeError(ErrorCode::kCorrupt, "unixfs: " + std::move(message));
}

Status ExpectWire(const ProtoField& field, WireType want, std::string_view name) {
  if (field.type == want) return OkStatus();
  return Corrupt("wrong wire type " + std::to_string(static_cast<unsigned>(field.type)) + " for " +
                 std::string(name));
}

Result<UnixTime> DecodeUnixTime(ByteSpan bytes) {
  UnixTime time;
  bool has_seconds = false;
  ProtoReader reader(bytes);
  while (!reader.done()) {
    auto field = reader.Next();
    if (!field) return Corrupt("mtime: " + field.error().message);
    switch (field->number) {
      case kFieldSeconds:
        IPFSFS_RETURN_IF_ERROR(ExpectWire(*field, WireType::kVarint, "mtime Seconds"));
        time.seconds = static_cast<int64_t>(field->varint);  // int64: two's complement on the wire
        has_seconds = true;
        break;
      case kFieldNanos: {
        IPFSFS_RETURN_IF_ERROR(ExpectWire(*field, WireType::kFixed32, "mtime FractionalNanoseconds"));
        auto nanos = static_cast<uint32_t>(field->varint);
        if (nanos > kMaxNanos) return Corrupt("mtime nanoseconds " + std::to_string(nanos) + " out of range");
        // 0 is not valid on the wire; js-ipfs-unixfs has written it, so read it as "no fraction".
        if (nanos == 0) {
          time.nanos.reset();
        } else {
          time.nanos = nanos;
        }
        break;
      }
      default:
        break;  // unknown fields are skipped
    }
  }
  if (!has_seconds) return Corrupt("mtime without Seconds");
  return time;
}

// Packed repeated uint64: a run of varints.
Status DecodePackedBlocksizes(ByteSpan bytes, std::vector<uint64_t>& out) {
  while (!bytes.empty()) {
    auto value = ReadProtobufVarint(bytes);
    if (!value) return Corrupt("bad packed blocksizes: " + value.error().message);
    out.push_back(*value);
  }
  return OkStatus();
}

void AppendTag(Bytes& out, uint32_t field, WireType type) {
  out.push_back(static_cast<std::byte>(field << 3 | static_cast<uint32_t>(type)));  // fields 1..8: one byte
}

void AppendVarintField(Bytes& out, uint32_t field, uint64_t value) {
  AppendTag(out, field, WireType::kVarint);
  AppendVarint(out, value);
}

size_t VarintFieldSize(uint64_t value) { return 1 + VarintLength(value); }

Bytes EncodeUnixTime(const UnixTime& time) {
  Bytes out;
  out.reserve(1 + 10 + 1 + 4);
  AppendVarintField(out, kFieldSeconds, static_cast<uint64_t>(time.seconds));
  if (time.nanos && *time.nanos != 0) {
    AppendTag(out, kFieldNanos, WireType::kFixed32);
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::byte>(*time.nanos >> (8 * i)));
  }
  return out;
}

}  // namespace

uint64_t UnixfsData::ContentSize() const {
  switch (type) {
    case UnixfsType::kFile:
    case UnixfsType::kRaw:
      return filesize.value_or(0);
    case UnixfsType::kSymlink:
      return data ? data->size() : 0;
    default:
      return 0;
  }
}

Result<UnixfsData> DecodeUnixfsData(ByteSpan bytes) {
  UnixfsData out;
  bool has_type = false;
  ProtoReader reader(bytes);
  while (!reader.done()) {
    auto field = reader.Next();
    if (!field) return Corrupt(field.error().message);
    switch (field->number) {
      case kFieldType:
        IPFSFS_RETURN_IF_ERROR(ExpectWire(*field, WireType::kVarint, "Type"));
        if (field->varint > kMaxType) return Corrupt("unknown Type " + std::to_string(field->varint));
        out.type = static_cast<UnixfsType>(field->varint);
        has_type = true;
        break;
      case kFieldData:
        IPFSFS_RETURN_IF_ERROR(ExpectWire(*field, WireType::kLengthDelimited, "Data"));
        out.data.emplace(field->bytes.begin(), field->bytes.end());
        break;
      case kFieldFilesize:
        IPFSFS_RETURN_IF_ERROR(ExpectWire(*field, WireType::kVarint, "filesize"));
        out.filesize = field->varint;
        break;
      case kFieldBlocksizes:
        if (field->type == WireType::kVarint) {
          out.blocksizes.push_back(field->varint);
        } else if (field->type == WireType::kLengthDelimited) {
          IPFSFS_RETURN_IF_ERROR(DecodePackedBlocksizes(field->bytes, out.blocksizes));
        } else {
          return Corrupt("wrong wire type " + std::to_string(static_cast<unsigned>(field->type)) +
                         " for blocksizes");
        }
        break;
      case kFieldHashType:
        IPFSFS_RETURN_IF_ERROR(ExpectWire(*field, WireType::kVarint, "hashType"));
        out.hash_type = field->varint;
        break;
      case kFieldFanout:
        IPFSFS_RETURN_IF_ERROR(ExpectWire(*field, WireType::kVarint, "fanout"));
        out.fanout = field->varint;
        break;
      case kFieldMode:
        IPFSFS_RETURN_IF_ERROR(ExpectWire(*field, WireType::kVarint, "mode"));
        if (field->varint > std::numeric_limits<uint32_t>::max()) {
          return Corrupt("mode " + std::to_string(field->varint) + " does not fit uint32");
        }
        out.mode = static_cast<uint32_t>(field->varint);
        break;
      case kFieldMtime: {
        IPFSFS_RETURN_IF_ERROR(ExpectWire(*field, WireType::kLengthDelimited, "mtime"));
        IPFSFS_ASSIGN_OR_RETURN(out.mtime, DecodeUnixTime(field->bytes));
        break;
      }
      default:
        break;  // unknown fields are skipped, as go-unixfs does
    }
  }
  if (!has_type) return Corrupt("missing Type");
  return out;
}

Bytes EncodeUnixfsData(const UnixfsData& data) {
  Bytes mtime;
  if (data.mtime) mtime = EncodeUnixTime(*data.mtime);

  size_t size = VarintFieldSize(static_cast<uint64_t>(data.type));
  if (data.data) size += 1 + VarintLength(data.data->size()) + data.data->size();
  if (data.filesize) size += VarintFieldSize(*data.filesize);
  for (uint64_t b : data.blocksizes) size += VarintFieldSize(b);
  if (data.hash_type) size += VarintFieldSize(*data.hash_type);
  if (data.fanout) size += VarintFieldSize(*data.fanout);
  if (data.mode) size += VarintFieldSize(*data.mode);
  if (data.mtime) size += 1 + VarintLength(mtime.size()) + mtime.size();

  Bytes out;
  out.reserve(size);
  AppendVarintField(out, kFieldType, static_cast<uint64_t>(data.type));
  if (data.data) {
    AppendTag(out, kFieldData, WireType::kLengthDelimited);
    AppendVarint(out, data.data->size());
    Append(out, *data.data);
  }
  if (data.filesize) AppendVarintField(out, kFieldFilesize, *data.filesize);
  for (uint64_t b : data.blocksizes) AppendVarintField(out, kFieldBlocksizes, b);
  if (data.hash_type) AppendVarintField(out, kFieldHashType, *data.hash_type);
  if (data.fanout) AppendVarintField(out, kFieldFanout, *data.fanout);
  if (data.mode) AppendVarintField(out, kFieldMode, *data.mode);
  if (data.mtime) {
    AppendTag(out, kFieldMtime, WireType::kLengthDelimited);
    AppendVarint(out, mtime.size());
    Append(out, mtime);
  }
  return out;
}

}  // namespace ipfsfs::ipld
