#include "resolver/dnslink_entry.h"

#include <cctype>
#include <vector>

#include "ipld/cid.h"

namespace ipfsfs::resolver {
namespace {

constexpr std::string_view kDnsLinkPrefix = "dnslink=";
constexpr size_t kMaxDomain = 253;
constexpr size_t kMaxLabel = 63;

std::vector<std::string_view> Segments(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    size_t slash = path.find('/');
    std::string_view seg = path.substr(0, slash);
    if (!seg.empty()) out.push_back(seg);
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
  }
  return out;
}

enum class PathKind { kNotAPath, kSkipped, kKept };

// A "/<namespace>/<root>[/…]" path, cleaned into `out` when kept.
PathKind ParseContentPath(std::string_view text, std::string* out) {
  if (text.empty() || text.front() != '/') return PathKind::kNotAPath;
  std::vector<std::string_view> segs = Segments(text);
  if (segs.size() < 2) return PathKind::kNotAPath;
  for (std::string_view s : segs) {
    if (s == "." || s == "..") return PathKind::kNotAPath;
  }
  std::string_view ns = segs[0];
  if (ns == "ipfs" || ns == "ipld") {
    if (!ipld::Cid::Parse(segs[1])) return PathKind::kNotAPath;
    if (ns == "ipld") return PathKind::kSkipped;  // a valid path, not one DNSLink serves
  } else if (ns != "ipns") {
    return PathKind::kNotAPath;
  }
  out->clear();
  for (std::string_view s : segs) {
    *out += '/';
    *out += s;
  }
  if (text.back() == '/') *out += '/';
  return PathKind::kKept;
}

// The whole text as a content path or a legacy bare CID.
PathKind ParseValue(std::string_view text, std::string* out) {
  PathKind kind = ParseContentPath(text, out);
  if (kind != PathKind::kNotAPath) return kind;
  auto cid = ipld::Cid::Parse(text);
  if (!cid) return PathKind::kNotAPath;
  *out = "/ipfs/" + cid->ToString();
  return PathKind::kKept;
}

}  // namespace

std::optional<std::string> ParseDnsLinkEntry(std::string_view txt) {
  std::string out;
  PathKind kind = ParseValue(txt, &out);
  if (kind == PathKind::kNotAPath && txt.substr(0, kDnsLinkPrefix.size()) == kDnsLinkPrefix) {
    kind = ParseValue(txt.substr(kDnsLinkPrefix.size()), &out);
  }
  if (kind != PathKind::kKept) return std::nullopt;
  return out;
}

std::string JoinContentPath(std::string_view path, std::string_view rest) {
  while (!rest.empty() && rest.front() == '/') rest.remove_prefix(1);
  if (rest.empty()) return std::string(path);
  std::string out(path);
  while (!out.empty() && out.back() == '/') out.pop_back();
  out += '/';
  out += rest;
  return out;
}

Result<DnsLinkName> SplitDnsLinkName(std::string_view name_or_path) {
  std::string_view text = name_or_path;
  if (text.substr(0, 6) == "/ipns/") text.remove_prefix(6);
  size_t slash = text.find('/');
  std::string_view domain = text.substr(0, slash);
  std::string_view rest = slash == std::string_view::npos ? std::string_view() : text.substr(slash + 1);
  if (!domain.empty() && domain.back() == '.') domain.remove_suffix(1);
  auto bad = [&](const char* why) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "not a DNSLink domain: \"" + std::string(name_or_path) + "\" (" + why + ")");
  };
  if (domain.empty()) return bad("empty");
  if (domain.size() > kMaxDomain) return bad("longer than 253 bytes");
  DnsLinkName out;
  size_t label = 0;
  for (char c : domain) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7F) return bad("whitespace or control byte");
    if (c == '.') {
      if (label == 0) return bad("empty label");
      label = 0;
    } else if (++label > kMaxLabel) {
      return bad("label longer than 63 bytes");
    }
    out.domain += static_cast<char>(std::tolower(u));
  }
  if (label == 0) return bad("empty label");
  out.rest = std::string(rest);
  return out;
}

bool IsDnsLinkDomain(std::string_view ipns_name) { return ipns_name.find('.') != std::string_view::npos; }

}  // namespace ipfsfs::resolver
