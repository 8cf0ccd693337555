// Making IPNS records as boxo's NewRecord does (ipns.md §3, §6): the DAG-CBOR
// data map in canonical order, signatureV2 over "ipns-signature:" + data, and
// for V1+V2 records the V1 copies of the fields with signatureV1 over
// value ‖ validity ‖ "EOL". pubKey is embedded only when the name cannot
// carry the key (its protobuf is over 42 bytes: RSA).
// Pure functions, thread-safe.
#ifndef IPFSFS_IPLD_IPNS_RECORD_MAKER_H_
#define IPFSFS_IPLD_IPNS_RECORD_MAKER_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"
#include "ipld/libp2p_private_key.h"
#include "ipld/rfc3339.h"

namespace ipfsfs::ipld {

// boxo ipns/defaults.go: what kubo's `name publish` uses.
inline constexpr std::chrono::hours kDefaultIpnsLifetime{48};
inline constexpr std::chrono::minutes kDefaultIpnsTtl{5};

// Every field of a record, as text and numbers, exactly as they will be signed.
struct IpnsRecordFields {
  std::string value;     // "/ipfs/<cid>[/path]" or "/ipns/…"
  std::string validity;  // RFC 3339 end of life, written as given
  uint64_t sequence = 0;
  uint64_t ttl_ns = 0;
  bool v1_compatible = true;  // kubo's --v1compat default
};

// The signed record bytes. kInvalidArgument when `validity` is not RFC 3339,
// when a number is over int64 (boxo reads them signed) or when the record is
// over 10240 bytes (a value too long).
[[nodiscard]] Result<Bytes> SignIpnsRecord(const PrivateKey& key, const IpnsRecordFields& fields);

// boxo's NewRecord: V1+V2, Validity = `eol` in Go's RFC3339Nano, TTL `ttl`.
[[nodiscard]] Result<Bytes> MakeIpnsRecord(const PrivateKey& key, std::string_view value, uint64_t sequence,
                                           Timestamp eol, std::chrono::nanoseconds ttl);

}  // namespace ipfsfs::ipld

#endif  // IPFSFS_IPLD_IPNS_RECORD_MAKER_H_
