// DNSLink TXT values: which strings count, and how paths join.
//
// Rules from boxo namesys (parseEntry; the DNSLink specification's
// `dnslink=/<namespace>/<identifier>[/path]`), see specs/ipns.md §7. Pure
// functions over text, no I/O, thread-safe; the parser takes untrusted input
// and never fails loudly: a string that is not a DNSLink value is skipped.
#ifndef IPFSFS_RESOLVER_DNSLINK_ENTRY_H_
#define IPFSFS_RESOLVER_DNSLINK_ENTRY_H_

#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace ipfsfs::resolver {

// The content path one TXT string names, or nullopt to skip it. First match
// wins: the whole string is a content path; the whole string is a CID
// (legacy, → /ipfs/<cid>); `dnslink=<content path>`; `dnslink=<CID>`. Only
// /ipfs/<valid CID>[/…] and /ipns/<name>[/…] survive (an /ipld/ path is
// skipped). Nothing is trimmed. Repeated slashes collapse; a trailing slash
// stays; a "." or ".." segment makes the string invalid (never climb above
// the root a record names).
std::optional<std::string> ParseDnsLinkEntry(std::string_view txt);

// `path` with `rest` ("a/b", no leading slash needed) appended below it, as
// boxo joinPaths: "/ipfs/C/sub/" + "x" → "/ipfs/C/sub/x"; empty rest → path.
std::string JoinContentPath(std::string_view path, std::string_view rest);

// Splits "/ipns/<domain>[/rest]" or "<domain>[/rest]" into the domain
// (lower case, no trailing dot) and the rest (no leading slash).
// kInvalidArgument when the domain is not a plausible DNS name: empty, over
// 253 bytes, an empty or 64+ byte label, whitespace or control bytes.
struct DnsLinkName {
  std::string domain;
  std::string rest;
};
[[nodiscard]] Result<DnsLinkName> SplitDnsLinkName(std::string_view name_or_path);

// Whether an /ipns/ name is a DNSLink domain (it has a dot) rather than an
// IPNS key (k51…, 12D3Koo…, Qm…: never a dot). Single-label domains are
// therefore read as keys, as issue 14 defines names.
bool IsDnsLinkDomain(std::string_view ipns_name);

}  // namespace ipfsfs::resolver

#endif  // IPFSFS_RESOLVER_DNSLINK_ENTRY_H_
