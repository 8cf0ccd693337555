// DNS wire format for TXT lookups (RFC 1035 §4, RFC 3597 for unknown types):
// encode one TXT question, and read a response's answer section into a
// TxtAnswer (CNAMEs from the asked name, then the TXT records of the last name).
//
// Pure functions over bytes, no I/O: the c-ares client uses the parser on the
// raw replies c-ares hands back, and a DNS-over-HTTPS transport (RFC 8484) can
// use both. Input is untrusted: every length and compression pointer is bounded.
// Thread-safe (no state).
#ifndef IPFSFS_NET_INTERNAL_DNS_MESSAGE_H_
#define IPFSFS_NET_INTERNAL_DNS_MESSAGE_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"
#include "net/dns_client.h"

namespace ipfsfs::net::internal {

// Resource record types and the one class used (RFC 1035 §3.2.2).
inline constexpr uint16_t kDnsTypeCname = 5;
inline constexpr uint16_t kDnsTypeTxt = 16;
inline constexpr uint16_t kDnsClassIn = 1;

// Response codes (RFC 1035 §4.1.1) the parser tells apart.
inline constexpr int kDnsRcodeNoError = 0;
inline constexpr int kDnsRcodeServFail = 2;
inline constexpr int kDnsRcodeNxDomain = 3;

// A query for the TXT records of `name` (a trailing dot is optional), with
// recursion desired. kInvalidArgument for an empty label or one over 63 bytes,
// or a name over 255 bytes on the wire.
[[nodiscard]] Result<Bytes> EncodeTxtQuery(std::string_view name, uint16_t id);

// Reads a response to a TXT query for `name`. The rcode decides first:
// NXDOMAIN → kNotFound, SERVFAIL/REFUSED/others → kUnavailable. Then from the
// answer section: CNAMEs are followed from `name` (case-insensitively, at most
// 16; a loop is kCorrupt), and every TXT record owned by the last name gives one
// entry (its character-strings joined). No TXT and no CNAME → kNotFound (NODATA).
// A malformed message is kCorrupt. `ttl` is the smallest TTL among the records
// used.
[[nodiscard]] Result<TxtAnswer> ParseTxtResponse(ByteSpan message, std::string_view name);

// `name` without its trailing dot, lower-cased: the form names are compared in.
std::string CanonicalDnsName(std::string_view name);

}  // namespace ipfsfs::net::internal

#endif  // IPFSFS_NET_INTERNAL_DNS_MESSAGE_H_
