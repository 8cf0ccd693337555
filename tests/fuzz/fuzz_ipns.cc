// Fuzzes the IPNS record parser and validator, and the decoders under it
// (DAG-CBOR, libp2p public keys, names, RFC 3339 times). Properties: whatever
// parses re-encodes to something that parses back the same; validation gives
// one consistent verdict and never crashes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ipld/dag_cbor.h"
#include "ipld/ipns_name.h"
#include "ipld/ipns_record.h"
#include "ipld/ipns_validation.h"
#include "ipld/libp2p_key.h"
#include "ipld/rfc3339.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using namespace ipfsfs;
using namespace ipfsfs::ipld;

void CheckVerdict(const IpnsRecord& record, const Multihash& name) {
  IpnsVerdict v = CheckIpnsRecord(record, name, Timestamp{1'800'000'000, 0});
  FUZZ_CHECK(v.valid() == v.ToStatus().has_value());
  FUZZ_CHECK(v.valid() == !v.refusal().has_value());
  FUZZ_CHECK(v.checks.size() == 7);
}

void CheckRecord(ByteSpan input) {
  auto record = ParseIpnsRecord(input);
  if (!record) return;
  FUZZ_CHECK(input.size() <= kMaxIpnsRecordSize);
  FUZZ_CHECK(record->entry.data && !record->entry.data->empty());
  // The entry re-encodes canonically; that form parses to the same fields.
  auto again = ParseIpnsRecord(record->entry.Encode());
  if (record->entry.Encode().size() <= kMaxIpnsRecordSize) {
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(again->entry.Encode() == record->entry.Encode());
    FUZZ_CHECK(again->data.sequence == record->data.sequence);
    FUZZ_CHECK(again->data.value == record->data.value);
  }
  // The known keys re-encode to a map that decodes to the same data.
  auto data = IpnsData::Decode(EncodeDagCbor(record->data.ToDagCbor()));
  FUZZ_CHECK(data.has_value());
  FUZZ_CHECK(data->validity == record->data.validity && data->ttl == record->data.ttl);
  FUZZ_CHECK(data->validity_type == record->data.validity_type);

  // Validate against a fixed name, and against the name of the embedded key.
  CheckVerdict(*record, *ParseIpnsName("k51qzi5uqu5dldhbzu8n103rk9vogs98jlyiek9ab95nby355ejzh0marmmurb"));
  if (record->entry.pub_key) {
    auto key = PublicKey::Decode(*record->entry.pub_key);
    if (key) CheckVerdict(*record, key->PeerId());
  }
}

void CheckCbor(ByteSpan input) {
  auto value = DecodeDagCbor(input);
  if (!value) return;
  Bytes canonical = EncodeDagCbor(*value);
  auto again = DecodeDagCbor(canonical);
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(EncodeDagCbor(*again) == canonical);
}

void CheckText(std::string_view text) {
  if (auto name = ParseIpnsName(text)) {
    auto back = ParseIpnsName(FormatIpnsName(*name));
    FUZZ_CHECK(back.has_value() && *back == *name);
  }
  if (auto t = ParseRfc3339(text)) {
    auto back = ParseRfc3339(FormatRfc3339Nano(*t));
    FUZZ_CHECK(back.has_value() && *back == *t);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteSpan input(reinterpret_cast<const std::byte*>(data), size);
  CheckRecord(input);
  CheckCbor(input);
  if (auto key = PublicKey::Decode(input)) {
    FUZZ_CHECK(PublicKey::Decode(key->Encode()).value() == *key);
    (void)key->Verify(input, input);
  }
  CheckText(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
