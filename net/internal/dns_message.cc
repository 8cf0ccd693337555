#include "net/internal/dns_message.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <vector>

namespace ipfsfs::net::internal {
namespace {

// RFC 1035 §2.3.4 limits.
constexpr size_t kMaxLabel = 63;
constexpr size_t kMaxWireName = 255;
constexpr size_t kHeaderBytes = 12;
// Bounds on what a hostile reply can make us do.
constexpr int kMaxPointerJumps = 32;
constexpr int kMaxCnames = 16;

class Reader {
 public:
  explicit Reader(ByteSpan message) : msg_(message) {}

  size_t pos() const { return pos_; }
  bool Skip(size_t n) {
    if (msg_.size() - pos_ < n) return false;
    pos_ += n;
    return true;
  }
  std::optional<uint16_t> U16() {
    if (msg_.size() - pos_ < 2) return std::nullopt;
    uint16_t v = static_cast<uint16_t>((std::to_integer<unsigned>(msg_[pos_]) << 8) |
                                       std::to_integer<unsigned>(msg_[pos_ + 1]));
    pos_ += 2;
    return v;
  }
  std::optional<uint32_t> U32() {
    auto hi = U16();
    auto lo = U16();
    if (!hi || !lo) return std::nullopt;
    return (static_cast<uint32_t>(*hi) << 16) | *lo;
  }
  // A possibly compressed name starting at the current position (RFC 1035
  // §4.1.4); the position moves past its in-place part only.
  std::optional<std::string> Name() {
    auto name = NameAt(pos_, &pos_);
    return name;
  }
  std::optional<std::string> NameAt(size_t at, size_t* end) const {
    std::string out;
    size_t p = at;
    bool jumped = false;
    int jumps = 0;
    for (;;) {
      if (p >= msg_.size()) return std::nullopt;
      unsigned len = std::to_integer<unsigned>(msg_[p]);
      if ((len & 0xC0) == 0xC0) {
        if (p + 1 >= msg_.size() || ++jumps > kMaxPointerJumps) return std::nullopt;
        if (!jumped) *end = p + 2;
        jumped = true;
        p = ((len & 0x3F) << 8) | std::to_integer<unsigned>(msg_[p + 1]);
        continue;
      }
      if ((len & 0xC0) != 0) return std::nullopt;  // reserved label types
      if (len == 0) {
        if (!jumped) *end = p + 1;
        return out;
      }
      if (p + 1 + len > msg_.size() || out.size() + len + 1 > kMaxWireName) return std::nullopt;
      if (!out.empty()) out += '.';
      out.append(AsText(msg_.subspan(p + 1, len)));
      p += 1 + len;
    }
  }
  ByteSpan Take(size_t n) {
    ByteSpan s = msg_.subspan(pos_, n);
    pos_ += n;
    return s;
  }

 private:
  ByteSpan msg_;
  size_t pos_ = 0;
};

struct Record {
  std::string owner;  // canonical
  uint16_t type = 0;
  uint32_t ttl = 0;
  std::string cname;  // canonical target, CNAME only
  std::string text;   // joined character-strings, TXT only
};

// TXT RDATA: one or more <length><bytes> character-strings (RFC 1035 §3.3.14).
std::optional<std::string> JoinTxtStrings(ByteSpan rdata) {
  std::string out;
  size_t p = 0;
  while (p < rdata.size()) {
    size_t len = std::to_integer<size_t>(rdata[p]);
    if (p + 1 + len > rdata.size()) return std::nullopt;
    out.append(AsText(rdata.subspan(p + 1, len)));
    p += 1 + len;
  }
  return out;
}

Result<std::vector<Record>> ReadAnswers(ByteSpan message) {
  auto corrupt = [](const char* what) { return MakeError(ErrorCode::kCorrupt, std::string("dns reply: ") + what); };
  Reader r(message);
  if (!r.Skip(4)) return corrupt("shorter than its header");
  auto qdcount = r.U16();
  auto ancount = r.U16();
  if (!qdcount || !ancount || !r.Skip(4)) return corrupt("shorter than its header");
  for (unsigned i = 0; i < *qdcount; ++i) {
    if (!r.Name() || !r.Skip(4)) return corrupt("truncated question");
  }
  std::vector<Record> out;
  for (unsigned i = 0; i < *ancount; ++i) {
    auto owner = r.Name();
    auto type = r.U16();
    auto cls = r.U16();
    auto ttl = r.U32();
    auto rdlength = r.U16();
    if (!owner || !type || !cls || !ttl || !rdlength) return corrupt("truncated answer record");
    size_t rdata_at = r.pos();
    if (!r.Skip(*rdlength)) return corrupt("record data past the end");
    if (*cls != kDnsClassIn || (*type != kDnsTypeCname && *type != kDnsTypeTxt)) continue;
    Record rec{CanonicalDnsName(*owner), *type, *ttl & 0x7FFFFFFFu, {}, {}};  // RFC 2181 §8
    if (*type == kDnsTypeCname) {
      size_t end = 0;
      auto target = r.NameAt(rdata_at, &end);
      if (!target || end > rdata_at + *rdlength) return corrupt("bad CNAME target");
      rec.cname = CanonicalDnsName(*target);
    } else {
      auto text = JoinTxtStrings(message.subspan(rdata_at, *rdlength));
      if (!text) return corrupt("bad TXT character-string");
      rec.text = std::move(*text);
    }
    out.push_back(std::move(rec));
  }
  return out;
}

}  // namespace

std::string CanonicalDnsName(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  std::string out(name);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Result<Bytes> EncodeTxtQuery(std::string_view name, uint16_t id) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  Bytes out;
  auto put16 = [&out](uint16_t v) {
    out.push_back(std::byte(v >> 8));
    out.push_back(std::byte(v & 0xFF));
  };
  put16(id);
  put16(0x0100);  // standard query, recursion desired
  put16(1);       // one question
  put16(0);
  put16(0);
  put16(0);
  size_t wire = 1;
  while (!name.empty()) {
    size_t dot = name.find('.');
    std::string_view label = name.substr(0, dot);
    if (label.empty() || label.size() > kMaxLabel) {
      return MakeError(ErrorCode::kInvalidArgument, "bad dns name label in \"" + std::string(name) + "\"");
    }
    wire += 1 + label.size();
    out.push_back(std::byte(label.size()));
    Append(out, AsBytes(label));
    name = dot == std::string_view::npos ? std::string_view() : name.substr(dot + 1);
    if (dot != std::string_view::npos && name.empty()) {
      return MakeError(ErrorCode::kInvalidArgument, "bad dns name: empty label");
    }
  }
  if (wire > kMaxWireName) return MakeError(ErrorCode::kInvalidArgument, "dns name too long");
  out.push_back(std::byte{0});
  put16(kDnsTypeTxt);
  put16(kDnsClassIn);
  return out;
}

Result<TxtAnswer> ParseTxtResponse(ByteSpan message, std::string_view name) {
  if (message.size() < kHeaderBytes) return MakeError(ErrorCode::kCorrupt, "dns reply: shorter than its header");
  int rcode = std::to_integer<int>(message[3]) & 0x0F;
  std::string asked = CanonicalDnsName(name);
  if (rcode == kDnsRcodeNxDomain) return MakeError(ErrorCode::kNotFound, "no such dns name: " + asked);
  if (rcode != kDnsRcodeNoError) {
    return MakeError(ErrorCode::kUnavailable, "dns server answered rcode " + std::to_string(rcode) + " for " + asked);
  }
  IPFSFS_ASSIGN_OR_RETURN(std::vector<Record> records, ReadAnswers(message));

  TxtAnswer answer;
  std::optional<uint32_t> ttl;
  auto use_ttl = [&ttl](uint32_t t) { ttl = ttl ? std::min(*ttl, t) : t; };
  std::string current = asked;
  for (;;) {
    auto cname = std::find_if(records.begin(), records.end(),
                              [&](const Record& r) { return r.type == kDnsTypeCname && r.owner == current; });
    if (cname == records.end()) break;
    if (current == cname->cname || std::count(answer.cnames.begin(), answer.cnames.end(), cname->cname) > 0 ||
        cname->cname == asked) {
      return MakeError(ErrorCode::kCorrupt, "CNAME loop at " + cname->cname);
    }
    if (static_cast<int>(answer.cnames.size()) >= kMaxCnames) {
      return MakeError(ErrorCode::kCorrupt, "CNAME chain from " + asked + " longer than 16");
    }
    use_ttl(cname->ttl);
    answer.cnames.push_back(cname->cname);
    current = cname->cname;
  }
  for (const Record& r : records) {
    if (r.type != kDnsTypeTxt || r.owner != current) continue;
    use_ttl(r.ttl);
    answer.records.push_back(r.text);
  }
  if (answer.records.empty() && answer.cnames.empty()) {
    return MakeError(ErrorCode::kNotFound, "no TXT record at " + asked);
  }
  answer.ttl = std::chrono::seconds(ttl.value_or(0));
  return answer;
}

}  // namespace ipfsfs::net::internal
