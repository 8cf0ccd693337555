#include "resolver/dnslink.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <utility>

#include "resolver/dnslink_entry.h"

namespace ipfsfs::resolver {
namespace {

// Re-queries of CNAME targets per domain, for servers that answer an alias
// without its target's records (recursive servers follow the chain for us).
constexpr int kMaxCnameQueries = 16;

// One Resolve call, shared by the callbacks of its lookups.
struct Walk {
  net::DnsClient* dns = nullptr;
  DnsLinkOptions options;
  std::string rest;                 // path still to append below the value
  DnsLinkResult result;             // domains followed so far, TTL so far
  std::optional<std::chrono::seconds> ttl;
  DnsLinkCallback done;
};

struct Query {
  std::string domain;                // the DNSLink domain being read
  std::string name;                  // the DNS name asked now
  std::vector<std::string> asked;    // names asked for this domain (CNAME loops)
  bool bare_tried = false;           // the bare-domain fallback was asked
};

void StartDomain(std::shared_ptr<Walk> w, std::string domain);
void Ask(std::shared_ptr<Walk> w, Query q);

void Fail(const std::shared_ptr<Walk>& w, ErrorCode code, std::string message) {
  w->done(MakeError(code, std::move(message)));
}

std::string Chain(const std::vector<std::string>& domains, const std::string& last) {
  std::string out;
  for (const std::string& d : domains) out += d + " -> ";
  return out + last;
}

// `_dnslink.<domain>` had no DNSLink value: try the bare domain when allowed.
bool TryBareDomain(const std::shared_ptr<Walk>& w, Query& q) {
  if (!w->options.bare_domain_fallback || q.bare_tried) return false;
  Query bare{q.domain, q.domain, {}, true};
  Ask(w, std::move(bare));
  return true;
}

void OnValue(const std::shared_ptr<Walk>& w, const std::string& value) {
  std::string joined = JoinContentPath(value, w->rest);
  constexpr std::string_view kIpns = "/ipns/";
  if (joined.compare(0, kIpns.size(), kIpns) == 0) {
    std::string_view name = std::string_view(joined).substr(kIpns.size());
    size_t slash = name.find('/');
    std::string_view root = name.substr(0, slash);
    if (IsDnsLinkDomain(root)) {
      auto next = SplitDnsLinkName(name);
      if (!next) return w->done(tl::unexpected<Error>(next.error()));
      w->rest = next->rest;
      return StartDomain(w, next->domain);
    }
  }
  w->result.path = std::move(joined);
  w->result.ttl = w->ttl.value_or(std::chrono::seconds(0));
  w->done(std::move(w->result));
}

void OnAnswer(const std::shared_ptr<Walk>& w, Query q, Result<net::TxtAnswer> answer) {
  if (!answer) {
    if (answer.error().code == ErrorCode::kNotFound && TryBareDomain(w, q)) return;
    if (answer.error().code == ErrorCode::kNotFound) {
      return Fail(w, ErrorCode::kNotFound,
                  "dnslink: could not find a TXT record at _dnslink." + q.domain + " (" + answer.error().message + ")");
    }
    return w->done(tl::unexpected<Error>(answer.error().Wrap("dnslink " + q.domain)));
  }
  w->ttl = w->ttl ? std::min(*w->ttl, answer->ttl) : answer->ttl;
  if (answer->records.empty() && !answer->cnames.empty()) {
    std::string target = answer->cnames.back();
    if (std::find(q.asked.begin(), q.asked.end(), target) != q.asked.end()) {
      return Fail(w, ErrorCode::kCorrupt, "dnslink " + q.domain + ": CNAME loop at " + target);
    }
    if (static_cast<int>(q.asked.size()) > kMaxCnameQueries) {
      return Fail(w, ErrorCode::kCorrupt, "dnslink " + q.domain + ": CNAME chain too long");
    }
    q.name = std::move(target);
    return Ask(w, std::move(q));
  }
  std::vector<std::string> values;
  for (const std::string& txt : answer->records) {
    if (auto v = ParseDnsLinkEntry(txt)) values.push_back(std::move(*v));
  }
  if (values.size() > 1) {
    return Fail(w, ErrorCode::kCorrupt,
                "dnslink " + q.domain + ": more than one content path in the TXT records of " + q.name);
  }
  if (values.empty()) {
    if (TryBareDomain(w, q)) return;
    return Fail(w, ErrorCode::kNotFound, "dnslink: no dnslink= TXT record at _dnslink." + q.domain);
  }
  OnValue(w, values.front());
}

void Ask(std::shared_ptr<Walk> w, Query q) {
  q.asked.push_back(q.name);
  std::string name = q.name;
  w->dns->LookupTxt(std::move(name), [w, q = std::move(q)](Result<net::TxtAnswer> answer) mutable {
    OnAnswer(w, std::move(q), std::move(answer));
  });
}

void StartDomain(std::shared_ptr<Walk> w, std::string domain) {
  auto& seen = w->result.domains;
  if (std::find(seen.begin(), seen.end(), domain) != seen.end()) {
    return Fail(w, ErrorCode::kCorrupt, "dnslink loop: " + Chain(seen, domain));
  }
  if (static_cast<int>(seen.size()) >= w->options.max_depth) {
    return Fail(w, ErrorCode::kTooLarge,
                "dnslink: recursion limit (" + std::to_string(w->options.max_depth) + ") reached at " + domain);
  }
  seen.push_back(domain);
  Query q{domain, "_dnslink." + domain, {}, false};
  Ask(std::move(w), std::move(q));
}

}  // namespace

DnsLinkResolver::DnsLinkResolver(net::DnsClient& dns, DnsLinkOptions options) : dns_(dns), options_(options) {}

void DnsLinkResolver::Resolve(std::string_view name_or_path, DnsLinkCallback done) const {
  auto name = SplitDnsLinkName(name_or_path);
  if (!name) return done(tl::unexpected<Error>(name.error()));
  auto w = std::make_shared<Walk>();
  w->dns = &dns_;
  w->options = options_;
  w->rest = std::move(name->rest);
  w->done = std::move(done);
  StartDomain(std::move(w), std::move(name->domain));
}

}  // namespace ipfsfs::resolver
