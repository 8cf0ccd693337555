// Implementation of ipld/car.h.
//
// Decisions the specs leave open (ipld/ipld specs/transport/car/):
// - Zero roots are accepted (js-car does; go-car refuses to read them).
// - A header with keys other than "roots" and "version" is corrupt (js-car's
//   header schema; go-car ignores them).
// - A zero-length section: js-car rejects it, go-car rejects it unless
//   ZeroLengthSectionAsEOF is set (Filecoin pads CARs with zero bytes). We read
//   it as the end of data, but only null padding may follow: any non-zero byte
//   after it is corrupt, so garbage is never silently skipped.
// - CARv2: the pragma must be byte-exact; the data payload must start after
//   the 51-byte header; characteristics and the index are not read. Offsets of
//   blocks are absolute file offsets (as js-car's indexer reports them).
// - The header's length is capped like a section (kMaxCarSectionLength).
//
// The parser keeps no state beyond the members in car.h: pos_ past the end of
// buffer_ means "skip this many bytes" (CARv2 data offset), and a zero byte
// at pos_ marks that null padding has begun (the last zero seen stays there).
#include "ipld/car.h"

#include <algorithm>
#include <array>
#include <string>
#include <string_view>
#include <utility>

#include "ipld/varint.h"

namespace ipfsfs::ipld {
namespace {

// specs/transport/car/carv2: varint(10) + dag-cbor {"version": 2}.
constexpr std::array<uint8_t, 11> kCarV2Pragma = {0x0a, 0xa1, 0x67, 0x76, 0x65, 0x72,
                                                  0x73, 0x69, 0x6f, 0x6e, 0x02};
constexpr size_t kCarV2HeaderLength = 40;  // characteristics 16, then 3 x uint64 LE
constexpr uint64_t kCarV2PayloadMin = kCarV2Pragma.size() + kCarV2HeaderLength;
constexpr uint64_t kCidTag = 42;  // dag-cbor: CIDs are tag 42 over 0x00 + binary CID

tl::unexpected<Error> Corrupt(std::string message) {
  return MakeError(ErrorCode::kCorrupt, std::move(message));
}

uint8_t U8(std::byte b) { return std::to_integer<uint8_t>(b); }

// True when `in` holds a whole varint, or enough bytes that ReadVarint calls
// it too long; false when more input could still complete it. (With exactly
// kMaxVarintBytes continuation bytes ReadVarint says "truncated": waiting for
// one more byte keeps streamed and whole-buffer errors identical.)
bool HasVarint(ByteSpan in) {
  size_t n = std::min(in.size(), kMaxVarintBytes);
  for (size_t i = 0; i < n; ++i) {
    if ((U8(in[i]) & 0x80) == 0) return true;
  }
  return in.size() > kMaxVarintBytes;
}

uint64_t LoadLe64(ByteSpan in) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v |= uint64_t{U8(in[i])} << (8 * i);
  return v;
}

// A printable rendering of an untrusted map key for error messages.
std::string Printable(ByteSpan text) {
  std::string out;
  for (size_t i = 0; i < text.size() && i < 32; ++i) {
    char c = static_cast<char>(U8(text[i]));
    out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  }
  if (text.size() > 32) out += "...";
  return out;
}

// ---- the DAG-CBOR subset a CAR header uses ----

enum CborMajor : uint8_t {
  kCborUint = 0,
  kCborBytes = 2,
  kCborText = 3,
  kCborArray = 4,
  kCborMap = 5,
  kCborTag = 6,
};

struct CborHead {
  uint8_t major = 0;
  uint64_t arg = 0;  // value, length, count or tag number
};

// Reads one item head from the front of `in`. Integer minimality is not
// enforced (a lenient reader); indefinite lengths are not DAG-CBOR.
Result<CborHead> ReadCborHead(ByteSpan& in) {
  if (in.empty()) return Corrupt("truncated CAR header");
  uint8_t first = U8(in[0]);
  CborHead head{static_cast<uint8_t>(first >> 5), uint64_t{first & 0x1fu}};
  size_t extra = 0;
  if (head.arg == 24) extra = 1;
  else if (head.arg == 25) extra = 2;
  else if (head.arg == 26) extra = 4;
  else if (head.arg == 27) extra = 8;
  else if (head.arg == 31) return Corrupt("indefinite-length item in CAR header (not dag-cbor)");
  else if (head.arg > 27) return Corrupt("reserved cbor additional info in CAR header");
  if (in.size() < 1 + extra) return Corrupt("truncated CAR header");
  if (extra > 0) {
    head.arg = 0;
    for (size_t i = 1; i <= extra; ++i) head.arg = head.arg << 8 | U8(in[i]);
  }
  in = in.subspan(1 + extra);
  return head;
}

Result<ByteSpan> ReadCborString(ByteSpan& in, const CborHead& head) {
  if (head.arg > in.size()) return Corrupt("truncated CAR header");
  ByteSpan s = in.first(head.arg);
  in = in.subspan(head.arg);
  return s;
}

Result<Cid> ReadCborCid(ByteSpan& in, size_t index) {
  std::string what = "CAR header root " + std::to_string(index);
  IPFSFS_ASSIGN_OR_RETURN(CborHead tag, ReadCborHead(in));
  if (tag.major != kCborTag || tag.arg != kCidTag) return Corrupt(what + " is not a CID (tag 42)");
  IPFSFS_ASSIGN_OR_RETURN(CborHead head, ReadCborHead(in));
  if (head.major != kCborBytes) return Corrupt(what + ": tag 42 over a non-byte-string");
  IPFSFS_ASSIGN_OR_RETURN(ByteSpan bytes, ReadCborString(in, head));
  if (bytes.empty() || U8(bytes[0]) != 0x00) {
    return Corrupt(what + ": CID bytes lack the 0x00 multibase prefix");
  }
  auto cid = Cid::FromBytes(bytes.subspan(1));
  if (!cid) return Corrupt(what + ": " + cid.error().message);
  return std::move(*cid);
}

struct RawHeader {
  std::optional<uint64_t> version;
  std::optional<std::vector<Cid>> roots;
};

Result<RawHeader> DecodeHeaderBlock(ByteSpan in) {
  IPFSFS_ASSIGN_OR_RETURN(CborHead map, ReadCborHead(in));
  if (map.major != kCborMap) return Corrupt("CAR header is not a map");
  // Each entry takes at least two bytes: a larger count is truncated input.
  if (map.arg > in.size() / 2) return Corrupt("truncated CAR header");
  RawHeader header;
  for (uint64_t i = 0; i < map.arg; ++i) {
    IPFSFS_ASSIGN_OR_RETURN(CborHead key_head, ReadCborHead(in));
    if (key_head.major != kCborText) return Corrupt("CAR header has a non-string key");
    IPFSFS_ASSIGN_OR_RETURN(ByteSpan key, ReadCborString(in, key_head));
    if (AsText(key) == "version") {
      if (header.version) return Corrupt("CAR header has a duplicate version key");
      IPFSFS_ASSIGN_OR_RETURN(CborHead value, ReadCborHead(in));
      if (value.major != kCborUint) return Corrupt("CAR header version is not an unsigned integer");
      header.version = value.arg;
    } else if (AsText(key) == "roots") {
      if (header.roots) return Corrupt("CAR header has a duplicate roots key");
      IPFSFS_ASSIGN_OR_RETURN(CborHead list, ReadCborHead(in));
      if (list.major != kCborArray) return Corrupt("CAR header roots is not a list");
      if (list.arg > in.size()) return Corrupt("truncated CAR header");
      std::vector<Cid> roots;
      for (uint64_t r = 0; r < list.arg; ++r) {
        IPFSFS_ASSIGN_OR_RETURN(Cid cid, ReadCborCid(in, r));
        roots.push_back(std::move(cid));
      }
      header.roots = std::move(roots);
    } else {
      return Corrupt("CAR header has an unexpected key \"" + Printable(key) + "\"");
    }
  }
  if (!in.empty()) return Corrupt("trailing bytes after the CAR header map");
  return header;
}

void AppendCborHead(Bytes& out, uint8_t major, uint64_t arg) {
  auto put = [&](uint8_t b) { out.push_back(static_cast<std::byte>(b)); };
  uint8_t m = static_cast<uint8_t>(major << 5);
  if (arg < 24) {
    put(m | static_cast<uint8_t>(arg));
    return;
  }
  int bytes = arg <= 0xff ? 1 : arg <= 0xffff ? 2 : arg <= 0xffffffffu ? 4 : 8;
  put(m | (bytes == 1 ? 24 : bytes == 2 ? 25 : bytes == 4 ? 26 : 27));
  for (int i = bytes - 1; i >= 0; --i) put(static_cast<uint8_t>(arg >> (8 * i)));
}

void AppendCborText(Bytes& out, std::string_view text) {
  AppendCborHead(out, kCborText, text.size());
  Append(out, AsBytes(text));
}

}  // namespace

void CarParser::Feed(ByteSpan bytes) {
  if (at_end_) return;  // CARv2 index or bytes after the payload: not read
  // Drop what Next() consumed, so only the current partial section stays.
  if (pos_ > 0) {
    size_t drop = std::min(pos_, buffer_.size());
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(drop));
    pos_ -= drop;
    consumed_ += drop;
  }
  // A pending skip (pos_ past the buffer: CARv2 padding before the payload)
  // eats incoming bytes without storing them.
  if (pos_ > 0) {
    size_t skip = std::min(pos_, bytes.size());
    bytes = bytes.subspan(skip);
    pos_ -= skip;
    consumed_ += skip;
  }
  if (payload_end_ != 0) {
    uint64_t held = consumed_ + buffer_.size();
    uint64_t room = payload_end_ > held ? payload_end_ - held : 0;
    if (bytes.size() > room) bytes = bytes.first(room);
  }
  Append(buffer_, bytes);
}

// Parses the outer header and, for CARv2, the inner CARv1 header. True once
// header_ is set; false when more input is needed.
Result<bool> CarParser::ParseHeader() {
  while (!header_) {
    const bool inner = payload_end_ != 0;
    if (pos_ > buffer_.size()) {
      if (finished_) return Corrupt("CARv2 data offset " + std::to_string(consumed_ + pos_) + " is past the end of input");
      return false;
    }
    ByteSpan in = ByteSpan(buffer_).subspan(pos_);
    const uint64_t start = consumed_ + pos_;
    auto truncated = [&]() -> Result<bool> {
      if (finished_ || (inner && consumed_ + buffer_.size() >= payload_end_)) {
        if (start == 0 && buffer_.empty()) return Corrupt("empty CAR");
        return Corrupt("truncated CAR header at offset " + std::to_string(start));
      }
      return false;
    };
    if (!HasVarint(in)) return truncated();
    ByteSpan rest = in;
    auto length = ReadVarint(rest);
    if (!length) return Corrupt("bad CAR header length: " + length.error().message);
    if (*length == 0) return Corrupt("zero-length CAR header at offset " + std::to_string(start));
    if (*length > kMaxCarSectionLength) {
      return Corrupt("CAR header of " + std::to_string(*length) + " bytes is over the limit");
    }
    if (rest.size() < *length) return truncated();
    const size_t varint_length = in.size() - rest.size();
    const size_t header_end = varint_length + *length;
    IPFSFS_ASSIGN_OR_RETURN(RawHeader raw, DecodeHeaderBlock(rest.first(*length)));
    if (!raw.version) return Corrupt("CAR header has no version");
    if (*raw.version == 1) {
      if (!raw.roots) return Corrupt("CAR header has no roots");
      header_ = CarHeader{inner ? 2u : 1u, std::move(*raw.roots)};
      pos_ += header_end;
      return true;
    }
    if (*raw.version != 2) {
      return Corrupt("unsupported CAR version " + std::to_string(*raw.version));
    }
    if (inner) return Corrupt("CARv2 data payload has version 2 (expected 1)");
    if (raw.roots) return Corrupt("bad CARv2 pragma: version 2 header with roots");
    if (!std::equal(kCarV2Pragma.begin(), kCarV2Pragma.end(), in.begin(), in.begin() + header_end,
                    [](uint8_t a, std::byte b) { return a == U8(b); }) ||
        header_end != kCarV2Pragma.size()) {
      return Corrupt("bad CARv2 pragma");
    }
    if (in.size() < header_end + kCarV2HeaderLength) return truncated();
    ByteSpan fixed = in.subspan(header_end + 16);  // skip characteristics
    const uint64_t data_offset = LoadLe64(fixed);
    const uint64_t data_size = LoadLe64(fixed.subspan(8));
    if (start != 0 || data_offset < kCarV2PayloadMin) {
      return Corrupt("CARv2 data offset " + std::to_string(data_offset) + " overlaps the CARv2 header");
    }
    if (data_size == 0 || data_offset + data_size < data_offset) {
      return Corrupt("bad CARv2 data size " + std::to_string(data_size));
    }
    payload_end_ = data_offset + data_size;
    pos_ = data_offset - consumed_;  // may be past the buffer: skipped as it arrives
    if (buffer_.size() > payload_end_ - consumed_) buffer_.resize(payload_end_ - consumed_);
  }
  return true;
}

Result<std::optional<CarBlock>> CarParser::Next() {
  if (at_end_) return std::nullopt;
  if (!header_) {
    IPFSFS_ASSIGN_OR_RETURN(bool have_header, ParseHeader());
    if (!have_header) return std::nullopt;
  }
  // The readable region: the buffer, clipped to the CARv2 payload.
  size_t end = buffer_.size();
  bool whole = finished_;  // no more bytes can come for this region
  if (payload_end_ != 0 && consumed_ + end >= payload_end_) {
    end = payload_end_ - consumed_;
    whole = true;
  }
  const uint64_t offset = consumed_ + pos_;
  if (pos_ >= end) {
    if (whole) {
      if (payload_end_ != 0 && offset != payload_end_) {
        return Corrupt("CARv2 data payload truncated at offset " + std::to_string(offset) +
                       " (ends at " + std::to_string(payload_end_) + ")");
      }
      at_end_ = true;
      buffer_.clear();
    }
    return std::nullopt;
  }
  ByteSpan in = ByteSpan(buffer_).subspan(pos_, end - pos_);
  auto truncated = [&]() -> Result<std::optional<CarBlock>> {
    if (whole) return Corrupt("truncated CAR section at offset " + std::to_string(offset));
    return std::nullopt;
  };

  if (U8(in[0]) == 0) {  // zero-length section: null padding to the end
    for (size_t i = 1; i < in.size(); ++i) {
      if (U8(in[i]) != 0) {
        return Corrupt("non-zero byte at offset " + std::to_string(offset + i) +
                       " after a zero-length CAR section (only null padding may follow)");
      }
    }
    pos_ += in.size() - 1;  // the last zero stays as the padding marker
    if (whole) {
      at_end_ = true;
      buffer_.clear();
    }
    return std::nullopt;
  }

  if (!HasVarint(in)) return truncated();
  ByteSpan rest = in;
  auto length = ReadVarint(rest);
  if (!length) return Corrupt("bad CAR section length at offset " + std::to_string(offset) + ": " + length.error().message);
  if (*length > kMaxCarSectionLength) {
    return Corrupt("CAR section of " + std::to_string(*length) + " bytes at offset " +
                   std::to_string(offset) + " is over the limit");
  }
  const size_t varint_length = in.size() - rest.size();
  if (rest.size() < *length) {
    if (!whole) buffer_.reserve(pos_ + varint_length + *length);
    return truncated();
  }
  ByteSpan section = rest.first(*length);
  auto cid = Cid::Read(section);
  if (!cid) {
    return Corrupt("bad CID in CAR section at offset " + std::to_string(offset) + ": " + cid.error().message);
  }
  CarBlock block{std::move(*cid), Bytes(section.begin(), section.end()), offset};
  pos_ += varint_length + *length;
  return block;
}

Result<CarContents> ReadCar(ByteSpan bytes) {
  CarParser parser;
  parser.Feed(bytes);
  parser.Finish();
  CarContents contents;
  while (true) {
    IPFSFS_ASSIGN_OR_RETURN(std::optional<CarBlock> block, parser.Next());
    if (!block) break;
    contents.blocks.push_back(std::move(*block));
  }
  if (!parser.header() || !parser.at_end()) return Corrupt("CAR ended unexpectedly");
  contents.header = *parser.header();
  return contents;
}

Bytes EncodeCarV1Header(const std::vector<Cid>& roots) {
  // Canonical dag-cbor: keys by length then bytes, so "roots" before "version".
  Bytes cbor;
  AppendCborHead(cbor, kCborMap, 2);
  AppendCborText(cbor, "roots");
  AppendCborHead(cbor, kCborArray, roots.size());
  for (const Cid& root : roots) {
    AppendCborHead(cbor, kCborTag, kCidTag);
    AppendCborHead(cbor, kCborBytes, root.EncodedLength() + 1);
    cbor.push_back(std::byte{0x00});
    root.AppendTo(cbor);
  }
  AppendCborText(cbor, "version");
  AppendCborHead(cbor, kCborUint, 1);
  Bytes out;
  AppendVarint(out, cbor.size());
  Append(out, cbor);
  return out;
}

Bytes EncodeCarSection(const Cid& cid, ByteSpan block) {
  Bytes out;
  AppendCarSection(out, cid, block);
  return out;
}

void AppendCarSection(Bytes& out, const Cid& cid, ByteSpan block) {
  const size_t length = cid.EncodedLength() + block.size();
  out.reserve(out.size() + VarintLength(length) + length);
  AppendVarint(out, length);
  cid.AppendTo(out);
  Append(out, block);
}

}  // namespace ipfsfs::ipld
