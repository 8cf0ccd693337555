#include "resolver/names.h"

#include <algorithm>
#include <cctype>

#include "ipld/ipns_name.h"

namespace ipfsfs::resolver {
namespace {

// "/ipns/name/rest" or "name/rest" → {name, "/rest"}.
std::pair<std::string, std::string> SplitName(std::string_view path) {
  if (path.rfind("/ipns/", 0) == 0) path.remove_prefix(6);
  size_t slash = path.find('/');
  if (slash == std::string_view::npos) return {std::string(path), ""};
  return {std::string(path.substr(0, slash)), std::string(path.substr(slash))};
}

std::string JoinPath(std::string_view value, std::string_view rest) {
  std::string out(value);
  while (!out.empty() && out.back() == '/') out.pop_back();
  return out + std::string(rest);
}

}  // namespace

Names::Names(const IpnsRecordResolver* ipns, const DnsLinkResolver* dnslink, NamesOptions options)
    : ipns_(ipns), dnslink_(dnslink), options_(std::move(options)) {}

Result<std::string> Names::Canonical(std::string_view name) {
  if (name.empty()) return MakeError(ErrorCode::kInvalidArgument, "empty name");
  if (auto key = ipld::ParseIpnsName(name)) return ipld::FormatIpnsName(*key);
  if (name.find('.') == std::string_view::npos) {
    return MakeError(ErrorCode::kInvalidArgument, std::string(name) + ": neither an IPNS key nor a domain");
  }
  std::string domain(name);
  while (!domain.empty() && domain.back() == '.') domain.pop_back();
  for (char& c : domain) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return domain;
}

std::chrono::steady_clock::time_point Names::Expiry(std::chrono::nanoseconds ttl) const {
  auto clamped = std::clamp<std::chrono::nanoseconds>(ttl, options_.ttl_min, options_.ttl_max);
  return options_.clock() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(clamped);
}

void Names::Resolve(std::string_view name_or_path, NamesCallback done, bool recursive) {
  NameResolution acc;
  acc.expires = std::chrono::steady_clock::time_point::max();
  Follow(std::string(name_or_path), 0, {}, std::move(acc), recursive, std::move(done));
}

void Names::Follow(std::string path, int depth, std::set<std::string> seen, NameResolution acc, bool recursive,
                   NamesCallback done) {
  if (path.rfind("/ipfs/", 0) == 0 || (depth > 0 && !recursive)) {
    acc.path = std::move(path);
    return done(std::move(acc));
  }
  if (depth >= options_.max_depth) {
    return done(MakeError(ErrorCode::kTooLarge,
                          path + ": more than " + std::to_string(options_.max_depth) + " names to follow"));
  }
  auto [name, rest] = SplitName(path);
  auto key = Canonical(name);
  if (!key) return done(tl::unexpected(key.error()));
  if (!seen.insert(*key).second) return done(MakeError(ErrorCode::kCorrupt, "/ipns/" + *key + ": a loop of names"));
  std::string k = *key;
  ResolveStep(k, [this, k, rest = rest, depth, seen = std::move(seen), acc = std::move(acc), recursive,
                  done = std::move(done)](Result<Step> step) mutable {
    if (!step) return done(tl::unexpected(step.error()));
    acc.expires = std::min(acc.expires, step->expires);
    if (depth == 0) {
      acc.sequence = step->sequence;
      acc.validity = step->validity;
    }
    Follow(JoinPath(step->value, rest), depth + 1, std::move(seen), std::move(acc), recursive, std::move(done));
  });
}

void Names::ResolveStep(const std::string& key, StepCallback done) {
  std::optional<Step> serve;
  bool start = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Entry& e = entries_[key];
    if (e.step) {
      serve = e.step;
      if (options_.clock() >= e.step->expires && !e.fetching) e.fetching = start = true;  // refresh behind
    } else {
      e.waiters.push_back(std::move(done));
      if (!e.fetching) e.fetching = start = true;
    }
  }
  if (start) Fetch(key);
  if (serve) done(std::move(*serve));
}

void Names::Fetch(const std::string& key) {
  if (auto mh = ipld::ParseIpnsName(key)) {
    if (!ipns_) return Finish(key, MakeError(ErrorCode::kUnsupported, "/ipns/" + key + ": no IPNS record sources"));
    return ipns_->Resolve(*mh, [this, key](Result<IpnsValue> r) {
      if (!r) return Finish(key, tl::unexpected(r.error()));
      Finish(key, Step{r->value, Expiry(r->ttl), r->sequence, r->validity});
    });
  }
  if (!dnslink_) return Finish(key, MakeError(ErrorCode::kUnsupported, key + ": no DNS resolver"));
  dnslink_->Resolve(key, [this, key](Result<DnsLinkResult> r) {
    if (!r) return Finish(key, tl::unexpected(r.error()));
    Finish(key, Step{r->path, Expiry(r->ttl), std::nullopt, std::nullopt});
  });
}

void Names::Finish(const std::string& key, Result<Step> result) {
  std::vector<StepCallback> waiters;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Entry& e = entries_[key];
    e.fetching = false;
    ++e.lookups;
    waiters.swap(e.waiters);
    if (result) {
      e.step = *result;
    } else if (e.step) {
      // A failed refresh: the last value serves on and is asked for again later.
      e.step->expires = options_.clock() + options_.ttl_min;
    } else {
      entries_.erase(key);  // nothing known: the next access asks again
    }
  }
  for (auto& w : waiters) w(result);
}

std::vector<NameEntryInfo> Names::Known() const {
  std::vector<NameEntryInfo> out;
  std::lock_guard<std::mutex> lock(mu_);
  auto now = options_.clock();
  for (const auto& [name, e] : entries_) {
    if (e.step) out.push_back({name, e.step->value, now >= e.step->expires, e.lookups});
  }
  return out;
}

size_t Names::resolved_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<size_t>(
      std::count_if(entries_.begin(), entries_.end(), [](const auto& kv) { return kv.second.step.has_value(); }));
}

}  // namespace ipfsfs::resolver
