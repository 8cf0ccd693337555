// Validating an IPNS record against its name, and choosing between valid
// records, as boxo does (ipns.md §4.2, §4.3).
//
// CheckIpnsRecord runs every check and reports each verdict (for `ipfsfs name
// inspect`); its first failure, in boxo's order, is the record's refusal.
// ValidateIpnsRecord and VerifyIpnsRecord are the yes/no forms for resolving.
// "now" is a parameter, so callers and tests decide the clock. Pure functions,
// thread-safe.
#ifndef IPFSFS_IPLD_IPNS_VALIDATION_H_
#define IPFSFS_IPLD_IPNS_VALIDATION_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "ipld/ipns_record.h"
#include "ipld/libp2p_key.h"
#include "ipld/multihash.h"
#include "ipld/rfc3339.h"

namespace ipfsfs::ipld {

struct IpnsCheck {
  std::string_view name;                 // "public key", "size", "signature", "v1 fields", …
  std::optional<IpnsRefusal> refusal;    // nullopt: passed
  std::string detail;                    // what was found, for people
  bool passed() const { return !refusal; }
};

struct IpnsVerdict {
  std::vector<IpnsCheck> checks;  // in boxo's order; a check that cannot run fails
  std::optional<PublicKey> key;   // the key the signature was checked with, when found
  std::optional<Timestamp> eol;   // Validity, when it parses

  bool valid() const;
  // The first failed check's refusal, or nullopt when valid.
  std::optional<IpnsRefusal> refusal() const;
  // The first failure as an Error (IpnsRefusalError), OK when valid.
  Status ToStatus() const;
};

// ipns.md §4.2 steps 1–8: the key (pubKey or the one inlined in the name) is
// the name's, the size, signatureV2 over "ipns-signature:" + data, the V1
// fields when present, ValidityType EOL, Validity parses and is not before
// `now` (the EOL instant itself is still valid), TTL not negative.
IpnsVerdict CheckIpnsRecord(const IpnsRecord& record, const Multihash& name, Timestamp now);
[[nodiscard]] Status ValidateIpnsRecord(const IpnsRecord& record, const Multihash& name, Timestamp now);
// Parse then validate: the record only when it may be used.
[[nodiscard]] Result<IpnsRecord> VerifyIpnsRecord(ByteSpan raw, const Multihash& name, Timestamp now);

// boxo's preference between two records already validated for one name:
// signatureV2 present, then higher Sequence, then later Validity, then the
// greater raw bytes. >0 when `a` is preferred, <0 for `b`, 0 when identical.
int CompareIpnsRecords(const IpnsRecord& a, const IpnsRecord& b);

}  // namespace ipfsfs::ipld

#endif  // IPFSFS_IPLD_IPNS_VALIDATION_H_
