// Implementation of ipld/ipns_record.h.
#include "ipld/ipns_record.h"

#include <limits>

#include "ipld/protobuf.h"

namespace ipfsfs::ipld {
namespace {

constexpr std::string_view kV2Prefix = "ipns-signature:";

tl::unexpected<Error> Refuse(IpnsRefusal refusal, std::string_view detail) {
  return tl::unexpected(IpnsRefusalError(refusal, detail));
}

Result<std::optional<Bytes>> BytesKey(const DagCborValue& map, std::string_view key) {
  const DagCborValue* v = map.Find(key);
  if (!v) return std::optional<Bytes>();
  if (v->kind != DagCborValue::Kind::kBytes) {
    return Refuse(IpnsRefusal::kMalformedCbor, std::string(key) + " is a " + std::string(v->KindName()) +
                                                   ", not a byte string");
  }
  return std::optional<Bytes>(v->bytes);
}

Result<std::optional<int64_t>> IntKey(const DagCborValue& map, std::string_view key) {
  const DagCborValue* v = map.Find(key);
  if (!v) return std::optional<int64_t>();
  bool is_int = v->kind == DagCborValue::Kind::kUint || v->kind == DagCborValue::Kind::kNegInt;
  if (!is_int) {
    return Refuse(IpnsRefusal::kMalformedCbor, std::string(key) + " is a " + std::string(v->KindName()) +
                                                   ", not an integer");
  }
  if (v->uint > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return Refuse(IpnsRefusal::kMalformedCbor, std::string(key) + " does not fit a signed 64-bit integer");
  }
  int64_t magnitude = static_cast<int64_t>(v->uint);
  return std::optional<int64_t>(v->kind == DagCborValue::Kind::kUint ? magnitude : -1 - magnitude);
}

}  // namespace

std::string_view IpnsRefusalName(IpnsRefusal refusal) {
  switch (refusal) {
    case IpnsRefusal::kTooLarge: return "record too large";
    case IpnsRefusal::kMalformedProtobuf: return "malformed protobuf";
    case IpnsRefusal::kMissingData: return "data missing";
    case IpnsRefusal::kMalformedCbor: return "malformed cbor data";
    case IpnsRefusal::kMissingSignature: return "signatureV2 missing";
    case IpnsRefusal::kUnsupportedKeyType: return "unsupported key type";
    case IpnsRefusal::kInvalidPublicKey: return "invalid public key";
    case IpnsRefusal::kNoPublicKey: return "no public key";
    case IpnsRefusal::kKeyMismatch: return "public key does not match the name";
    case IpnsRefusal::kBadSignature: return "bad signature";
    case IpnsRefusal::kV1V2Mismatch: return "V1 field disagrees with the signed data";
    case IpnsRefusal::kUnknownValidityType: return "unknown validity type";
    case IpnsRefusal::kBadValidity: return "bad validity";
    case IpnsRefusal::kExpired: return "expired";
    case IpnsRefusal::kNegativeTtl: return "negative ttl";
  }
  return "refused";
}

Error IpnsRefusalError(IpnsRefusal refusal, std::string_view detail) {
  ErrorCode code = ErrorCode::kCorrupt;
  if (refusal == IpnsRefusal::kTooLarge) code = ErrorCode::kTooLarge;
  if (refusal == IpnsRefusal::kUnsupportedKeyType) code = ErrorCode::kUnsupported;
  std::string message(IpnsRefusalName(refusal));
  if (!detail.empty()) message += ": " + std::string(detail);
  return Error{code, std::move(message)};
}

Result<IpnsEntry> IpnsEntry::Decode(ByteSpan protobuf) {
  IpnsEntry e;
  ProtoReader reader(protobuf);
  while (!reader.done()) {
    auto f = reader.Next();
    if (!f) return Refuse(IpnsRefusal::kMalformedProtobuf, f.error().message);
    if (f->number > 9) continue;  // unknown field
    bool bytes_field = f->number == 1 || f->number == 2 || f->number == 4 || f->number >= 7;
    WireType want = bytes_field ? WireType::kLengthDelimited : WireType::kVarint;
    if (f->type != want) {
      return Refuse(IpnsRefusal::kMalformedProtobuf, "field " + std::to_string(f->number) + " has wire type " +
                                                         std::to_string(static_cast<int>(f->type)));
    }
    Bytes b(f->bytes.begin(), f->bytes.end());
    switch (f->number) {
      case 1: e.value = std::move(b); break;
      case 2: e.signature_v1 = std::move(b); break;
      case 3: e.validity_type = f->varint; break;
      case 4: e.validity = std::move(b); break;
      case 5: e.sequence = f->varint; break;
      case 6: e.ttl = f->varint; break;
      case 7: e.pub_key = std::move(b); break;
      case 8: e.signature_v2 = std::move(b); break;
      case 9: e.data = std::move(b); break;
    }
  }
  return e;
}

Bytes IpnsEntry::Encode() const {
  ProtoWriter w;
  if (value) w.LengthDelimited(1, *value);
  if (signature_v1) w.LengthDelimited(2, *signature_v1);
  if (validity_type) w.Varint(3, *validity_type);
  if (validity) w.LengthDelimited(4, *validity);
  if (sequence) w.Varint(5, *sequence);
  if (ttl) w.Varint(6, *ttl);
  if (pub_key) w.LengthDelimited(7, *pub_key);
  if (signature_v2) w.LengthDelimited(8, *signature_v2);
  if (data) w.LengthDelimited(9, *data);
  return w.Take();
}

Result<IpnsData> IpnsData::Decode(ByteSpan cbor) {
  auto map = DecodeDagCbor(cbor);
  if (!map) return Refuse(IpnsRefusal::kMalformedCbor, map.error().message);
  if (map->kind != DagCborValue::Kind::kMap) {
    return Refuse(IpnsRefusal::kMalformedCbor, "data is a " + std::string(map->KindName()) + ", not a map");
  }
  IpnsData d;
  auto value = BytesKey(*map, "Value");
  if (!value) return tl::unexpected(value.error());
  auto validity = BytesKey(*map, "Validity");
  if (!validity) return tl::unexpected(validity.error());
  auto validity_type = IntKey(*map, "ValidityType");
  if (!validity_type) return tl::unexpected(validity_type.error());
  auto sequence = IntKey(*map, "Sequence");
  if (!sequence) return tl::unexpected(sequence.error());
  auto ttl = IntKey(*map, "TTL");
  if (!ttl) return tl::unexpected(ttl.error());
  d.value = std::move(*value);
  d.validity = std::move(*validity);
  d.validity_type = *validity_type;
  d.sequence = *sequence;
  d.ttl = *ttl;
  for (const auto& key : map->keys) {
    if (key != "Value" && key != "Validity" && key != "ValidityType" && key != "Sequence" && key != "TTL") {
      d.other_keys.push_back(key);
    }
  }
  return d;
}

DagCborValue IpnsData::ToDagCbor() const {
  DagCborValue map = DagCborValue::Map();
  if (value) map.Add("Value", DagCborValue::ByteString(*value));
  if (validity) map.Add("Validity", DagCborValue::ByteString(*validity));
  if (validity_type) map.Add("ValidityType", DagCborValue::Int(*validity_type));
  if (sequence) map.Add("Sequence", DagCborValue::Int(*sequence));
  if (ttl) map.Add("TTL", DagCborValue::Int(*ttl));
  return map;
}

bool IpnsRecord::HasV1Fields() const {
  return (entry.signature_v1 && !entry.signature_v1->empty()) || (entry.value && !entry.value->empty());
}

std::string_view IpnsRecord::SignatureType() const {
  return entry.signature_v1 && !entry.signature_v1->empty() ? "V1+V2" : "V2";
}

Result<IpnsRecord> ParseIpnsRecord(ByteSpan raw) {
  if (raw.size() > kMaxIpnsRecordSize) {
    return Refuse(IpnsRefusal::kTooLarge,
                  std::to_string(raw.size()) + " bytes (limit " + std::to_string(kMaxIpnsRecordSize) + ")");
  }
  auto entry = IpnsEntry::Decode(raw);
  if (!entry) return tl::unexpected(entry.error());
  if (!entry->data || entry->data->empty()) return Refuse(IpnsRefusal::kMissingData, "field 9 absent or empty");
  auto data = IpnsData::Decode(*entry->data);
  if (!data) return tl::unexpected(data.error());
  return IpnsRecord{std::move(*entry), std::move(*data), Bytes(raw.begin(), raw.end())};
}

Bytes IpnsSignatureV2Payload(ByteSpan data) {
  Bytes out = ToBytes(kV2Prefix);
  Append(out, data);
  return out;
}

Bytes IpnsSignatureV1Payload(ByteSpan value, ByteSpan validity) {
  Bytes out(value.begin(), value.end());
  Append(out, validity);
  Append(out, AsBytes("EOL"));
  return out;
}

}  // namespace ipfsfs::ipld
