// Implementation of ipld/ipns_validation.h.
#include "ipld/ipns_validation.h"

#include <algorithm>

#include "ipld/ipns_name.h"

namespace ipfsfs::ipld {
namespace {

IpnsCheck Pass(std::string_view name, std::string detail) { return IpnsCheck{name, std::nullopt, std::move(detail)}; }
IpnsCheck Fail(std::string_view name, IpnsRefusal refusal, std::string detail) {
  return IpnsCheck{name, refusal, std::move(detail)};
}

IpnsRefusal KeyRefusal(const Error& e) {
  return e.code == ErrorCode::kUnsupported ? IpnsRefusal::kUnsupportedKeyType : IpnsRefusal::kInvalidPublicKey;
}

// Step 1: the key, from pubKey (whose peer ID must be the name) or from the name.
IpnsCheck CheckKey(const IpnsRecord& record, const Multihash& name, std::optional<PublicKey>& key) {
  constexpr std::string_view kCheck = "public key";
  if (record.entry.pub_key && !record.entry.pub_key->empty()) {
    auto parsed = PublicKey::Decode(*record.entry.pub_key);
    if (!parsed) return Fail(kCheck, KeyRefusal(parsed.error()), "pubKey: " + parsed.error().message);
    Multihash derived = parsed->PeerId();
    if (derived != name) {
      return Fail(kCheck, IpnsRefusal::kKeyMismatch,
                  "pubKey belongs to " + FormatIpnsName(derived) + ", not " + FormatIpnsName(name));
    }
    key = std::move(*parsed);
    return Pass(kCheck, std::string(KeyTypeName(key->type)) + " key from pubKey, matches the name");
  }
  if (!name.is_identity()) {
    return Fail(kCheck, IpnsRefusal::kNoPublicKey,
                "the name is a " + name.name() + " hash and the record carries no pubKey");
  }
  auto inlined = PublicKey::FromPeerId(name);
  if (!inlined) return Fail(kCheck, KeyRefusal(inlined.error()), "key inlined in the name: " + inlined.error().message);
  key = std::move(*inlined);
  return Pass(kCheck, std::string(KeyTypeName(key->type)) + " key inlined in the name");
}

IpnsCheck CheckSignature(const IpnsRecord& record, const std::optional<PublicKey>& key) {
  constexpr std::string_view kCheck = "signature v2";
  const auto& sig = record.entry.signature_v2;
  if (!sig || sig->empty()) return Fail(kCheck, IpnsRefusal::kMissingSignature, "no signatureV2 (field 8)");
  if (!key) return Fail(kCheck, IpnsRefusal::kBadSignature, "no key to check it with");
  auto ok = key->Verify(IpnsSignatureV2Payload(*record.entry.data), *sig);
  if (ok) return Pass(kCheck, "verifies over \"ipns-signature:\" + data");
  IpnsRefusal refusal = ok.error().code == ErrorCode::kCorrupt       ? IpnsRefusal::kBadSignature
                        : ok.error().code == ErrorCode::kInternal    ? IpnsRefusal::kUnsupportedKeyType
                                                                     : IpnsRefusal::kInvalidPublicKey;
  return Fail(kCheck, refusal, ok.error().message);
}

bool SameInt(uint64_t pb, const std::optional<int64_t>& cbor) {
  return cbor && *cbor >= 0 && static_cast<uint64_t>(*cbor) == pb;
}

// Step 5: the V1 copies equal the signed data (absent protobuf fields count as
// 0 or empty; a missing data key fails).
IpnsCheck CheckV1Fields(const IpnsRecord& record) {
  constexpr std::string_view kCheck = "v1 fields";
  if (!record.HasV1Fields()) return Pass(kCheck, "none (a V2-only record)");
  const IpnsEntry& e = record.entry;
  const IpnsData& d = record.data;
  auto differs = [&](std::string_view field) {
    return Fail(kCheck, IpnsRefusal::kV1V2Mismatch, "protobuf " + std::string(field) + " differs from the data");
  };
  if (!d.value || e.value.value_or(Bytes()) != *d.value) return differs("value");
  if (!d.validity || e.validity.value_or(Bytes()) != *d.validity) return differs("validity");
  if (!SameInt(e.validity_type.value_or(0), d.validity_type)) return differs("validityType");
  if (!SameInt(e.sequence.value_or(0), d.sequence)) return differs("sequence");
  if (!SameInt(e.ttl.value_or(0), d.ttl)) return differs("ttl");
  return Pass(kCheck, "value, validity, validityType, sequence and ttl match the data");
}

}  // namespace

bool IpnsVerdict::valid() const { return !refusal(); }

std::optional<IpnsRefusal> IpnsVerdict::refusal() const {
  for (const auto& c : checks) {
    if (c.refusal) return c.refusal;
  }
  return std::nullopt;
}

Status IpnsVerdict::ToStatus() const {
  for (const auto& c : checks) {
    if (c.refusal) return tl::unexpected(IpnsRefusalError(*c.refusal, c.detail));
  }
  return OkStatus();
}

IpnsVerdict CheckIpnsRecord(const IpnsRecord& record, const Multihash& name, Timestamp now) {
  IpnsVerdict v;
  v.checks.push_back(CheckKey(record, name, v.key));

  size_t size = record.raw.empty() ? record.entry.Encode().size() : record.raw.size();
  std::string size_text = std::to_string(size) + " bytes (limit " + std::to_string(kMaxIpnsRecordSize) + ")";
  v.checks.push_back(size <= kMaxIpnsRecordSize ? Pass("size", size_text)
                                                : Fail("size", IpnsRefusal::kTooLarge, size_text));
  if (!record.entry.data || record.entry.data->empty()) {
    v.checks.push_back(Fail("data", IpnsRefusal::kMissingData, "field 9 absent or empty"));
  } else {
    v.checks.push_back(CheckSignature(record, v.key));
  }
  v.checks.push_back(CheckV1Fields(record));

  const IpnsData& d = record.data;
  if (d.validity_type == static_cast<int64_t>(kIpnsValidityEol)) {
    v.checks.push_back(Pass("validity type", "0 (EOL)"));
  } else {
    v.checks.push_back(Fail("validity type", IpnsRefusal::kUnknownValidityType,
                            d.validity_type ? std::to_string(*d.validity_type) : "missing"));
  }
  if (!d.validity) {
    v.checks.push_back(Fail("validity", IpnsRefusal::kBadValidity, "missing"));
  } else if (auto eol = ParseRfc3339(AsText(*d.validity)); !eol) {
    v.checks.push_back(Fail("validity", IpnsRefusal::kBadValidity, eol.error().message));
  } else {
    v.eol = *eol;
    std::string text = "end of life " + FormatRfc3339Nano(*eol) + ", now " + FormatRfc3339Nano(now);
    v.checks.push_back(now > *eol ? Fail("validity", IpnsRefusal::kExpired, text) : Pass("validity", text));
  }
  if (d.ttl && *d.ttl < 0) {
    v.checks.push_back(Fail("ttl", IpnsRefusal::kNegativeTtl, std::to_string(*d.ttl) + " ns"));
  } else {
    v.checks.push_back(Pass("ttl", d.ttl ? std::to_string(*d.ttl) + " ns" : "absent"));
  }
  return v;
}

Status ValidateIpnsRecord(const IpnsRecord& record, const Multihash& name, Timestamp now) {
  return CheckIpnsRecord(record, name, now).ToStatus();
}

Result<IpnsRecord> VerifyIpnsRecord(ByteSpan raw, const Multihash& name, Timestamp now) {
  auto record = ParseIpnsRecord(raw);
  if (!record) return record;
  IPFSFS_RETURN_IF_ERROR(ValidateIpnsRecord(*record, name, now));
  return record;
}

int CompareIpnsRecords(const IpnsRecord& a, const IpnsRecord& b) {
  auto has_v2 = [](const IpnsRecord& r) { return r.entry.signature_v2 && !r.entry.signature_v2->empty(); };
  if (has_v2(a) != has_v2(b)) return has_v2(a) ? 1 : -1;
  int64_t seq_a = a.data.sequence.value_or(0), seq_b = b.data.sequence.value_or(0);
  if (seq_a != seq_b) return seq_a > seq_b ? 1 : -1;
  auto eol = [](const IpnsRecord& r) -> std::optional<Timestamp> {
    if (!r.data.validity) return std::nullopt;
    auto t = ParseRfc3339(AsText(*r.data.validity));
    return t ? std::optional<Timestamp>(*t) : std::nullopt;
  };
  auto eol_a = eol(a), eol_b = eol(b);
  if (eol_a != eol_b) return eol_a > eol_b ? 1 : -1;  // nullopt (unparsable) sorts first
  if (a.raw != b.raw) return std::lexicographical_compare(b.raw.begin(), b.raw.end(), a.raw.begin(), a.raw.end()) ? 1 : -1;
  return 0;
}

}  // namespace ipfsfs::ipld
