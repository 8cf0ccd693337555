// IPNS record: the IpnsEntry protobuf and its signed DAG-CBOR data (ipns.md §3).
//
// ParseIpnsRecord decodes a record as boxo's UnmarshalRecord does (size limit,
// protobuf, data present, data a DAG-CBOR map) and keeps every field; it does
// not validate (ipld/ipns_validation.h does). Refusals carry an IpnsRefusal
// phrase at the start of their message so a person can tell them apart; code
// decides on the ErrorCode or on IpnsVerdict's enum, never on the text.
// Regular values; pure functions, thread-safe.
#ifndef IPFSFS_IPLD_IPNS_RECORD_H_
#define IPFSFS_IPLD_IPNS_RECORD_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "ipld/dag_cbor.h"
#include "ipld/rfc3339.h"

namespace ipfsfs::ipld {

// Records up to this size MUST be accepted; boxo and js refuse larger ones.
inline constexpr size_t kMaxIpnsRecordSize = 10240;
// The only ValidityType: Validity is an end of life. Persisted: never renumber.
inline constexpr uint64_t kIpnsValidityEol = 0;

// Why a record is refused; each has its own phrase (IpnsRefusalName).
enum class IpnsRefusal {
  kTooLarge,             // over kMaxIpnsRecordSize
  kMalformedProtobuf,    // IpnsEntry does not decode
  kMissingData,          // no data (field 9)
  kMalformedCbor,        // data is not a DAG-CBOR map, or a known key has the wrong type
  kMissingSignature,     // no signatureV2
  kUnsupportedKeyType,   // key type unknown, or one OpenSSL cannot check
  kInvalidPublicKey,     // pubKey or the name's inlined key does not parse as a key
  kNoPublicKey,          // a hashed name (RSA, ECDSA) and no pubKey in the record
  kKeyMismatch,          // pubKey's peer ID is not the name
  kBadSignature,         // signatureV2 does not verify
  kV1V2Mismatch,         // a V1 protobuf field differs from the signed data
  kUnknownValidityType,  // ValidityType missing or not EOL
  kBadValidity,          // Validity missing or not RFC 3339
  kExpired,              // now is after Validity
  kNegativeTtl,          // TTL below zero
};

std::string_view IpnsRefusalName(IpnsRefusal refusal);
// The Error for a refusal: kTooLarge, kUnsupported or kCorrupt by meaning;
// message "<IpnsRefusalName>: <detail>".
Error IpnsRefusalError(IpnsRefusal refusal, std::string_view detail);

// The protobuf IpnsEntry, every field as received (presence tracked).
struct IpnsEntry {
  std::optional<Bytes> value;             // 1: V1 copy of data.Value
  std::optional<Bytes> signature_v1;      // 2: legacy, never trusted
  std::optional<uint64_t> validity_type;  // 3
  std::optional<Bytes> validity;          // 4
  std::optional<uint64_t> sequence;       // 5
  std::optional<uint64_t> ttl;            // 6: nanoseconds
  std::optional<Bytes> pub_key;           // 7: PublicKey protobuf
  std::optional<Bytes> signature_v2;      // 8
  std::optional<Bytes> data;              // 9: the signed DAG-CBOR map

  // Fields in any order, unknown ones skipped, the last of a repeated one
  // wins (protobuf rules). kCorrupt on bad wire data or a known field with
  // the wrong wire type.
  [[nodiscard]] static Result<IpnsEntry> Decode(ByteSpan protobuf);
  // Present fields in number order, as boxo and js write them.
  Bytes Encode() const;
};

// The signed map. Integers are read as signed 64-bit, as boxo reads them.
struct IpnsData {
  std::optional<Bytes> value;           // "Value": content path bytes
  std::optional<Bytes> validity;        // "Validity": RFC 3339 end of life
  std::optional<int64_t> validity_type;  // "ValidityType"
  std::optional<int64_t> sequence;      // "Sequence"
  std::optional<int64_t> ttl;           // "TTL": nanoseconds
  std::vector<std::string> other_keys;  // extra keys: allowed and ignored

  // kCorrupt when `cbor` is not one DAG-CBOR map, or a known key holds the
  // wrong type (Value/Validity bytes, the others integers in int64 range).
  [[nodiscard]] static Result<IpnsData> Decode(ByteSpan cbor);
  // The map with the present known keys (other keys are not kept).
  DagCborValue ToDagCbor() const;
};

struct IpnsRecord {
  IpnsEntry entry;
  IpnsData data;
  Bytes raw;  // the record as received: its size is checked, and it breaks ties

  // V1 fields are compared with the data when signatureV1 or value is non-empty.
  bool HasV1Fields() const;
  // "V1+V2" or "V2", as kubo's name inspect says.
  std::string_view SignatureType() const;
};

// Decodes a record (ipns.md §4.1). Refusals: kTooLarge, kMalformedProtobuf,
// kMissingData, kMalformedCbor (see IpnsRefusalError).
[[nodiscard]] Result<IpnsRecord> ParseIpnsRecord(ByteSpan raw);

// What signatureV2 signs: "ipns-signature:" followed by the data bytes.
Bytes IpnsSignatureV2Payload(ByteSpan data);
// What signatureV1 signs: value ‖ validity ‖ "EOL".
Bytes IpnsSignatureV1Payload(ByteSpan value, ByteSpan validity);

}  // namespace ipfsfs::ipld

#endif  // IPFSFS_IPLD_IPNS_RECORD_H_
