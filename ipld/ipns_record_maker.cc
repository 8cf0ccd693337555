// Implementation of ipld/ipns_record_maker.h.
#include "ipld/ipns_record_maker.h"

#include <limits>

#include "ipld/dag_cbor.h"
#include "ipld/ipns_record.h"

namespace ipfsfs::ipld {

Result<Bytes> SignIpnsRecord(const PrivateKey& key, const IpnsRecordFields& fields) {
  if (!ParseRfc3339(fields.validity)) {
    return MakeError(ErrorCode::kInvalidArgument, "record validity '" + fields.validity + "' is not RFC 3339");
  }
  constexpr uint64_t kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if (fields.sequence > kMax || fields.ttl_ns > kMax) {
    return MakeError(ErrorCode::kInvalidArgument, "record sequence or TTL over 2^63-1");
  }
  IpnsData data;
  data.value = ToBytes(fields.value);
  data.validity = ToBytes(fields.validity);
  data.validity_type = static_cast<int64_t>(kIpnsValidityEol);
  data.sequence = static_cast<int64_t>(fields.sequence);
  data.ttl = static_cast<int64_t>(fields.ttl_ns);

  IpnsEntry entry;
  entry.data = EncodeDagCbor(data.ToDagCbor());
  auto v2 = key.Sign(IpnsSignatureV2Payload(*entry.data));
  if (!v2) return tl::unexpected(v2.error());
  entry.signature_v2 = std::move(*v2);
  if (fields.v1_compatible) {
    entry.value = *data.value;
    entry.validity = *data.validity;
    entry.validity_type = kIpnsValidityEol;
    entry.sequence = fields.sequence;
    entry.ttl = fields.ttl_ns;
    auto v1 = key.Sign(IpnsSignatureV1Payload(*entry.value, *entry.validity));
    if (!v1) return tl::unexpected(v1.error());
    entry.signature_v1 = std::move(*v1);
  }
  Bytes pub = key.Public().Encode();
  if (pub.size() > kMaxInlineKeyLength) entry.pub_key = std::move(pub);
  Bytes record = entry.Encode();
  if (record.size() > kMaxIpnsRecordSize) {
    return MakeError(ErrorCode::kInvalidArgument, "the record would be " + std::to_string(record.size()) +
                                                      " bytes, over the 10240 every node accepts");
  }
  return record;
}

Result<Bytes> MakeIpnsRecord(const PrivateKey& key, std::string_view value, uint64_t sequence, Timestamp eol,
                             std::chrono::nanoseconds ttl) {
  if (ttl.count() < 0) return MakeError(ErrorCode::kInvalidArgument, "negative TTL");
  IpnsRecordFields fields;
  fields.value = std::string(value);
  fields.validity = FormatRfc3339Nano(eol);
  fields.sequence = sequence;
  fields.ttl_ns = static_cast<uint64_t>(ttl.count());
  return SignIpnsRecord(key, fields);
}

}  // namespace ipfsfs::ipld
