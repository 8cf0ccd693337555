// Implementation of ipld/dag_cbor.h.
#include "ipld/dag_cbor.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <numeric>

namespace ipfsfs::ipld {
namespace {

constexpr uint8_t kUint = 0, kNeg = 1, kBytes = 2, kText = 3, kArray = 4, kMap = 5, kTag = 6, kSimple = 7;
constexpr uint64_t kCidTag = 42;  // dag-cbor: a CID is tag 42 over 0x00 + binary CID

class Decoder {
 public:
  explicit Decoder(ByteSpan data) : data_(data) {}

  Result<DagCborValue> Value(int depth) {
    if (depth > kMaxDagCborDepth) return Fail("nesting deeper than " + std::to_string(kMaxDagCborDepth));
    size_t start = pos_;
    if (pos_ >= data_.size()) return Fail("truncated: a value was expected");
    uint8_t initial = std::to_integer<uint8_t>(data_[pos_++]);
    uint8_t major = initial >> 5, info = initial & 31;
    if (major == kSimple) return Simple(info, start);
    auto arg = Argument(info);
    if (!arg) return tl::unexpected(arg.error());
    DagCborValue v;
    switch (major) {
      case kUint:
      case kNeg:
        v.kind = major == kUint ? DagCborValue::Kind::kUint : DagCborValue::Kind::kNegInt;
        v.uint = *arg;
        return v;
      case kBytes:
      case kText: {
        auto bytes = Take(*arg);
        if (!bytes) return tl::unexpected(bytes.error());
        if (major == kBytes) {
          v.kind = DagCborValue::Kind::kBytes;
          v.bytes.assign(bytes->begin(), bytes->end());
        } else {
          v.kind = DagCborValue::Kind::kText;
          v.text = AsText(*bytes);
        }
        return v;
      }
      case kArray:
      case kMap:
        return Container(major == kMap, *arg, depth);
      case kTag: {
        if (*arg != kCidTag) return Fail("tag " + std::to_string(*arg) + " (only 42 is allowed)", start);
        auto inner = Value(depth + 1);
        if (!inner) return inner;
        if (inner->kind != DagCborValue::Kind::kBytes || inner->bytes.empty() || inner->bytes[0] != std::byte{0}) {
          return Fail("tag 42 must wrap a byte string starting with 0x00", start);
        }
        auto cid = Cid::FromBytes(ByteSpan(inner->bytes).subspan(1));
        if (!cid) return Fail("bad CID in tag 42: " + cid.error().message, start);
        v.kind = DagCborValue::Kind::kLink;
        v.link = std::move(*cid);
        return v;
      }
    }
    return Fail("unreachable major type", start);
  }

  size_t pos() const { return pos_; }
  bool done() const { return pos_ == data_.size(); }
  tl::unexpected<Error> Fail(std::string why) const { return Fail(std::move(why), pos_); }
  tl::unexpected<Error> Fail(std::string why, size_t at) const {
    return MakeError(ErrorCode::kCorrupt, "dag-cbor: " + why + " at byte " + std::to_string(at));
  }

 private:
  // The head's argument, refusing indefinite lengths and non-shortest forms.
  Result<uint64_t> Argument(uint8_t info) {
    if (info < 24) return uint64_t{info};
    if (info == 31) return Fail("indefinite length (not dag-cbor)");
    if (info > 27) return Fail("reserved additional info " + std::to_string(info));
    size_t width = size_t{1} << (info - 24);
    auto bytes = Take(width);
    if (!bytes) return tl::unexpected(bytes.error());
    uint64_t value = 0;
    for (std::byte b : *bytes) value = value << 8 | std::to_integer<uint64_t>(b);
    uint64_t smallest = width == 1 ? 24 : uint64_t{1} << (4 * width);
    if (value < smallest) return Fail("integer or length not in its shortest form");
    return value;
  }

  Result<ByteSpan> Take(uint64_t n) {
    if (n > data_.size() - pos_) return Fail("truncated: " + std::to_string(n) + " bytes announced");
    ByteSpan out = data_.subspan(pos_, static_cast<size_t>(n));
    pos_ += static_cast<size_t>(n);
    return out;
  }

  Result<DagCborValue> Container(bool is_map, uint64_t count, int depth) {
    // Each item takes at least one byte: a count beyond the input is a lie.
    if (count > data_.size() - pos_) return Fail("truncated: " + std::to_string(count) + " items announced");
    DagCborValue v;
    v.kind = is_map ? DagCborValue::Kind::kMap : DagCborValue::Kind::kArray;
    for (uint64_t i = 0; i < count; ++i) {
      if (is_map) {
        size_t at = pos_;
        auto key = Value(depth + 1);
        if (!key) return tl::unexpected(key.error());
        if (key->kind != DagCborValue::Kind::kText) return Fail("map key is a " + std::string(key->KindName()), at);
        if (v.Find(key->text)) return Fail("duplicate map key \"" + key->text + "\"", at);
        v.keys.push_back(std::move(key->text));
      }
      auto item = Value(depth + 1);
      if (!item) return tl::unexpected(item.error());
      v.items.push_back(std::move(*item));
    }
    return v;
  }

  Result<DagCborValue> Simple(uint8_t info, size_t start) {
    DagCborValue v;
    if (info == 20 || info == 21) {
      v.kind = DagCborValue::Kind::kBool;
      v.boolean = info == 21;
      return v;
    }
    if (info == 22) return v;  // null
    if (info == 27) {
      auto bytes = Take(8);
      if (!bytes) return tl::unexpected(bytes.error());
      uint64_t bits = 0;
      for (std::byte b : *bytes) bits = bits << 8 | std::to_integer<uint64_t>(b);
      v.kind = DagCborValue::Kind::kFloat;
      v.number = std::bit_cast<double>(bits);
      if (!std::isfinite(v.number)) return Fail("NaN or infinite float", start);
      return v;
    }
    if (info == 25 || info == 26) return Fail("16/32-bit float (dag-cbor uses 64-bit only)", start);
    if (info == 23) return Fail("undefined", start);
    return Fail("simple value " + std::to_string(info), start);
  }

  ByteSpan data_;
  size_t pos_ = 0;
};

void AppendHead(Bytes& out, uint8_t major, uint64_t arg) {
  uint8_t m = static_cast<uint8_t>(major << 5);
  if (arg < 24) {
    out.push_back(static_cast<std::byte>(m | arg));
    return;
  }
  int width = arg <= 0xff ? 1 : arg <= 0xffff ? 2 : arg <= 0xffffffff ? 4 : 8;
  out.push_back(static_cast<std::byte>(m | (24 + std::countr_zero(static_cast<unsigned>(width)))));
  for (int i = width - 1; i >= 0; --i) out.push_back(static_cast<std::byte>(arg >> (8 * i)));
}

void Encode(const DagCborValue& v, Bytes& out) {
  using K = DagCborValue::Kind;
  switch (v.kind) {
    case K::kUint: AppendHead(out, kUint, v.uint); return;
    case K::kNegInt: AppendHead(out, kNeg, v.uint); return;
    case K::kBytes: AppendHead(out, kBytes, v.bytes.size()); Append(out, v.bytes); return;
    case K::kText: AppendHead(out, kText, v.text.size()); Append(out, AsBytes(v.text)); return;
    case K::kArray:
      AppendHead(out, kArray, v.items.size());
      for (const auto& item : v.items) Encode(item, out);
      return;
    case K::kMap: {
      std::vector<size_t> order(v.keys.size());
      std::iota(order.begin(), order.end(), size_t{0});
      std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        const auto &ka = v.keys[a], &kb = v.keys[b];
        return ka.size() != kb.size() ? ka.size() < kb.size() : ka < kb;
      });
      AppendHead(out, kMap, v.keys.size());
      for (size_t i : order) {
        AppendHead(out, kText, v.keys[i].size());
        Append(out, AsBytes(v.keys[i]));
        Encode(v.items[i], out);
      }
      return;
    }
    case K::kLink: {
      AppendHead(out, kTag, kCidTag);
      AppendHead(out, kBytes, v.link.EncodedLength() + 1);
      out.push_back(std::byte{0});
      v.link.AppendTo(out);
      return;
    }
    case K::kBool: out.push_back(std::byte{static_cast<uint8_t>(v.boolean ? 0xf5 : 0xf4)}); return;
    case K::kNull: out.push_back(std::byte{0xf6}); return;
    case K::kFloat: {
      out.push_back(std::byte{0xfb});
      uint64_t bits = std::bit_cast<uint64_t>(v.number);
      for (int i = 7; i >= 0; --i) out.push_back(static_cast<std::byte>(bits >> (8 * i)));
      return;
    }
  }
}

}  // namespace

DagCborValue DagCborValue::Uint(uint64_t v) {
  DagCborValue out;
  out.kind = Kind::kUint;
  out.uint = v;
  return out;
}

DagCborValue DagCborValue::Int(int64_t v) {
  if (v >= 0) return Uint(static_cast<uint64_t>(v));
  DagCborValue out;
  out.kind = Kind::kNegInt;
  out.uint = static_cast<uint64_t>(-(v + 1));
  return out;
}

DagCborValue DagCborValue::ByteString(ByteSpan b) {
  DagCborValue out;
  out.kind = Kind::kBytes;
  out.bytes.assign(b.begin(), b.end());
  return out;
}

DagCborValue DagCborValue::TextString(std::string_view t) {
  DagCborValue out;
  out.kind = Kind::kText;
  out.text = t;
  return out;
}

DagCborValue DagCborValue::Map() {
  DagCborValue out;
  out.kind = Kind::kMap;
  return out;
}

DagCborValue& DagCborValue::Add(std::string_view key, DagCborValue value) {
  keys.emplace_back(key);
  items.push_back(std::move(value));
  return *this;
}

const DagCborValue* DagCborValue::Find(std::string_view key) const {
  for (size_t i = 0; i < keys.size(); ++i) {
    if (keys[i] == key) return &items[i];
  }
  return nullptr;
}

std::string_view DagCborValue::KindName() const {
  switch (kind) {
    case Kind::kUint: return "unsigned integer";
    case Kind::kNegInt: return "negative integer";
    case Kind::kBytes: return "byte string";
    case Kind::kText: return "text string";
    case Kind::kArray: return "array";
    case Kind::kMap: return "map";
    case Kind::kLink: return "link";
    case Kind::kBool: return "boolean";
    case Kind::kNull: return "null";
    case Kind::kFloat: return "float";
  }
  return "unknown";
}

Result<DagCborValue> DecodeDagCbor(ByteSpan data) {
  Decoder decoder(data);
  auto value = decoder.Value(0);
  if (!value) return value;
  if (!decoder.done()) return decoder.Fail("trailing bytes after the value");
  return value;
}

Bytes EncodeDagCbor(const DagCborValue& value) {
  Bytes out;
  Encode(value, out);
  return out;
}

}  // namespace ipfsfs::ipld
