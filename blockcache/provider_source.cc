#include "blockcache/provider_source.h"

#include <algorithm>
#include <atomic>
#include <deque>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <unordered_map>

#include "net/http_engine.h"

namespace ipfsfs::blockcache {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::string_view kGatewayProtocol = "transport-ipfs-gateway-http";

std::vector<std::string> Split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(sep, start);
    if (end == std::string_view::npos) end = s.size();
    out.emplace_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// Plain http is only for addresses that cannot be intercepted on the way:
// loopback and private networks (boxo's rule).
bool IsPrivateHost(const std::string& proto, const std::string& host) {
  if (proto == "ip4") {
    auto o = Split(host, '.');
    if (o.size() != 4) return false;
    int a = std::atoi(o[0].c_str()), b = std::atoi(o[1].c_str());
    return a == 127 || a == 10 || (a == 192 && b == 168) || (a == 172 && b >= 16 && b <= 31);
  }
  if (proto == "ip6") {
    std::string h = host;
    std::transform(h.begin(), h.end(), h.begin(), ::tolower);
    return h == "::1" || h.starts_with("fc") || h.starts_with("fd");
  }
  return host == "localhost";
}

class Attempt;

// What every request of one ProviderSource shares; outlives the source while
// requests are in flight (they hold it).
class Core : public std::enable_shared_from_this<Core> {
 public:
  Core(net::HttpEngine& engine, std::string routing, ProviderSourceOptions options)
      : engine_(engine), routing_(std::move(routing)), options_(options) {
    while (!routing_.empty() && routing_.back() == '/') routing_.pop_back();
  }

  net::HttpEngine& engine() { return engine_; }
  const std::string& routing() const { return routing_; }
  const ProviderSourceOptions& options() const { return options_; }

  // Providers of `cid` from a fresh cached lookup; false when there is none.
  bool Cached(const std::string& key, std::vector<std::string>& urls) {
    std::lock_guard lock(mu_);
    auto it = lookups_.find(key);
    if (it == lookups_.end() || it->second.expires < Clock::now()) return false;
    urls = it->second.urls;
    return true;
  }
  void Remember(const std::string& key, std::vector<std::string> urls) {
    std::lock_guard lock(mu_);
    if (lookups_.size() > 4096) lookups_.clear();  // a bound, not an LRU: lookups are cheap to redo
    auto ttl = urls.empty() ? std::chrono::seconds(30) : options_.lookup_ttl;
    lookups_[key] = {std::move(urls), Clock::now() + ttl};
  }
  std::vector<std::string> Recent() {
    std::lock_guard lock(mu_);
    return {recent_.begin(), recent_.end()};
  }
  // A provider answered with the block: asked first from now on.
  void NoteGood(const std::string& url) {
    std::lock_guard lock(mu_);
    recent_.erase(std::remove(recent_.begin(), recent_.end(), url), recent_.end());
    recent_.push_front(url);
    if (recent_.size() > options_.max_recent) recent_.pop_back();
    dropped_.erase(url);
  }
  void Drop(const std::string& url) {
    std::lock_guard lock(mu_);
    dropped_[url] = Clock::now() + options_.drop_for;
    recent_.erase(std::remove(recent_.begin(), recent_.end(), url), recent_.end());
  }
  // Which provider a block or CAR (by its CID) was last asked of: the one to
  // blame when the cache finds its bytes bad.
  void Asked(const ipld::Cid& cid, const std::string& url) {
    std::lock_guard lock(mu_);
    if (asked_.size() > 4096) asked_.clear();  // a bound: only the latest answers matter
    asked_[cid.hash()] = url;
  }
  bool Blame(const ipld::Cid& cid) {
    std::string url;
    {
      std::lock_guard lock(mu_);
      auto it = asked_.find(cid.hash());
      if (it == asked_.end()) return false;
      url = std::move(it->second);
      asked_.erase(it);
    }
    Drop(url);
    return true;
  }
  bool Dropped(const std::string& url) {
    std::lock_guard lock(mu_);
    auto it = dropped_.find(url);
    return it != dropped_.end() && it->second > Clock::now();
  }
  std::shared_ptr<Source> Gateway(const std::string& url) {
    std::lock_guard lock(mu_);
    auto& g = gateways_[url];
    if (!g) g = NewGatewaySource(engine_, url, options_.http);
    return g;
  }

 private:
  struct Lookup {
    std::vector<std::string> urls;
    Clock::time_point expires;
  };
  net::HttpEngine& engine_;
  std::string routing_;
  const ProviderSourceOptions options_;
  std::mutex mu_;
  std::unordered_map<std::string, Lookup> lookups_;          // GUARDED_BY(mu_)
  std::deque<std::string> recent_;                           // GUARDED_BY(mu_)
  std::map<std::string, Clock::time_point> dropped_;         // GUARDED_BY(mu_)
  std::map<std::string, std::shared_ptr<Source>> gateways_;  // GUARDED_BY(mu_)
  std::unordered_map<ipld::Multihash, std::string, ipld::MultihashHasher> asked_;  // GUARDED_BY(mu_)
};

// One request (a block or a CAR): the providers in turn, then a routing
// lookup, then the rest. Runs as a chain of callbacks; Cancel from any thread.
class Attempt : public FetchHandle, public std::enable_shared_from_this<Attempt> {
 public:
  using Send = std::function<std::shared_ptr<FetchHandle>(Source&, std::function<void(Status, bool)>)>;

  Attempt(std::shared_ptr<Core> core, ipld::Cid cid, std::string what, Send send, std::function<void(Status)> finish)
      : core_(std::move(core)), cid_(std::move(cid)), key_(cid_.ToV1().ToString()), what_(std::move(what)),
        send_(std::move(send)), finish_(std::move(finish)) {
    looked_up_ = core_->Cached(key_, candidates_);
    if (!looked_up_) candidates_ = core_->Recent();
  }

  void Cancel() override {
    std::shared_ptr<FetchHandle> inner;
    {
      std::lock_guard lock(mu_);
      cancelled_ = true;
      inner = inner_;
    }
    if (inner) inner->Cancel();
  }
  void Resume() override {
    std::shared_ptr<FetchHandle> inner;
    {
      std::lock_guard lock(mu_);
      inner = inner_;
    }
    if (inner) inner->Resume();
  }

  void Step() {
    for (;;) {
      bool cancelled;
      {
        std::lock_guard lock(mu_);
        cancelled = cancelled_;
      }
      if (cancelled) return Finish(MakeError(ErrorCode::kCancelled, what_ + ": cancelled"));
      if (next_ < candidates_.size()) {
        std::string url = candidates_[next_++];
        if (core_->Dropped(url) || std::find(tried_.begin(), tried_.end(), url) != tried_.end()) continue;
        tried_.push_back(url);
        core_->Asked(cid_, url);
        auto self = shared_from_this();
        auto source = core_->Gateway(url);
        uint64_t gen = NextGeneration();
        return Hold(gen, send_(*source, [self, url](Status s, bool any_data) { self->OnAnswer(url, s, any_data); }));
      }
      if (!looked_up_) {
        looked_up_ = true;
        return Lookup();
      }
      return Finish(last_error_ ? Status(tl::unexpected(*last_error_))
                                : MakeError(ErrorCode::kNotFound, core_->routing() + ": no provider of " + what_));
    }
  }

 private:
  void OnAnswer(const std::string& url, Status s, bool any_data) {
    if (s) {
      core_->NoteGood(url);
      return Finish(s);
    }
    const ErrorCode code = s.error().code;
    if (code == ErrorCode::kCancelled) return Finish(s);
    // A CAR that began to flow cannot move to another provider mid-stream.
    if (any_data) return Finish(s);
    // "Not here" and "no CARs" say nothing of the provider's health.
    if (code != ErrorCode::kNotFound && code != ErrorCode::kUnsupported) core_->Drop(url);
    if (!last_error_ || last_error_->code == ErrorCode::kNotFound) last_error_ = s.error();
    Step();
  }

  void Lookup() {
    net::HttpRequest req;
    req.url = core_->routing() + "/routing/v1/providers/" + key_ + "?filter-protocols=" + std::string(kGatewayProtocol);
    req.headers = {"Accept: application/json"};
    req.timeout = core_->options().http.request_timeout;
    req.connect_timeout = core_->options().http.connect_timeout;
    req.max_body_bytes = 1u << 20;
    auto self = shared_from_this();
    uint64_t gen = NextGeneration();
    auto call = core_->engine().Start(std::move(req), [self](Result<net::HttpResponse> r) { self->OnLookup(std::move(r)); });
    Hold(gen, std::make_shared<CallCancel>(std::move(call)));
  }

  struct CallCancel : FetchHandle {
    explicit CallCancel(std::shared_ptr<net::HttpCall> c) : call(std::move(c)) {}
    void Cancel() override { call->Cancel(); }
    std::shared_ptr<net::HttpCall> call;
  };

  uint64_t NextGeneration() {
    std::lock_guard lock(mu_);
    return ++generation_;
  }
  // Keeps the handle of the step in flight, unless its answer already moved
  // the chain on (the answer may come before the request's starter returns).
  void Hold(uint64_t gen, std::shared_ptr<FetchHandle> handle) {
    bool cancel = false;
    {
      std::lock_guard lock(mu_);
      if (gen != generation_ || finished_) return;
      inner_ = handle;
      cancel = cancelled_;
    }
    if (cancel && handle) handle->Cancel();
  }

  void OnLookup(Result<net::HttpResponse> r) {
    const std::string where = core_->routing() + ": providers of " + key_;
    if (!r) {
      if (r.error().code == ErrorCode::kCancelled) return Finish(tl::unexpected(r.error()));
      last_error_ = r.error().Wrap(where);
      return Step();
    }
    std::vector<std::string> urls;
    if (r->status == 200) {
      auto parsed = ParseProviders(AsText(r->body));
      if (!parsed) {
        last_error_ = parsed.error().Wrap(where);
        return Step();
      }
      urls = std::move(*parsed);
      if (urls.size() > core_->options().max_providers) urls.resize(core_->options().max_providers);
    } else if (r->status != 404) {  // old servers say "none" with a 404
      last_error_ = Error{ErrorCode::kUnavailable, where + ": http " + std::to_string(r->status)};
      return Step();
    }
    core_->Remember(key_, urls);
    for (auto& u : urls) candidates_.push_back(std::move(u));
    Step();
  }

  void Finish(Status s) {
    std::function<void(Status)> finish;
    {
      std::lock_guard lock(mu_);
      if (finished_) return;
      finished_ = true;
      finish = std::move(finish_);
      inner_.reset();
    }
    finish(std::move(s));
  }

  std::shared_ptr<Core> core_;
  const ipld::Cid cid_;
  const std::string key_;
  const std::string what_;
  const Send send_;
  // The chain runs one step at a time: these are touched by one callback at once.
  std::vector<std::string> candidates_, tried_;
  size_t next_ = 0;
  bool looked_up_ = false;
  std::optional<Error> last_error_;
  std::mutex mu_;
  std::function<void(Status)> finish_;   // GUARDED_BY(mu_)
  std::shared_ptr<FetchHandle> inner_;   // GUARDED_BY(mu_)
  bool cancelled_ = false;               // GUARDED_BY(mu_)
  bool finished_ = false;                // GUARDED_BY(mu_)
  uint64_t generation_ = 0;              // GUARDED_BY(mu_): the step in flight
};

class ProviderSource : public Source {
 public:
  ProviderSource(net::HttpEngine& engine, std::string routing, ProviderSourceOptions options)
      : core_(std::make_shared<Core>(engine, std::move(routing), options)) {}

  std::string name() const override { return "providers:" + core_->routing(); }
  bool SupportsByteRanges() const override { return true; }
  // Bad bytes are one provider's doing: that provider is dropped, the others
  // (and this source) keep serving.
  bool BlameCorrupt(const ipld::Cid& sent_for) override { return core_->Blame(sent_for); }

  std::shared_ptr<FetchHandle> FetchBlock(const ipld::Cid& cid, RawCallback done) override {
    auto block = std::make_shared<std::shared_ptr<Bytes>>();
    auto send = [cid, block](Source& gateway, std::function<void(Status, bool)> answer) {
      return gateway.FetchBlock(cid, [block, answer = std::move(answer)](Result<std::shared_ptr<Bytes>> r) {
        if (!r) return answer(tl::unexpected(r.error()), false);
        *block = std::move(*r);
        answer(OkStatus(), false);
      });
    };
    auto finish = [block, done = std::move(done)](Status s) {
      if (!s) return done(tl::unexpected(s.error()));
      done(std::move(*block));
    };
    auto attempt = std::make_shared<Attempt>(core_, cid, "block " + cid.ToString(), std::move(send), std::move(finish));
    attempt->Step();
    return attempt;
  }

  std::shared_ptr<FetchHandle> FetchCar(const ipld::Cid& root, PrefetchScope scope, std::optional<ByteRange> bytes,
                                        CarDataCallback on_data, CarDoneCallback done) override {
    auto send = [root, scope, bytes, on_data = std::move(on_data)](Source& gateway,
                                                                   std::function<void(Status, bool)> answer) {
      auto any = std::make_shared<std::atomic<bool>>(false);
      return gateway.FetchCar(
          root, scope, bytes,
          [any, on_data](ByteSpan data) {
            *any = true;
            return on_data(data);
          },
          [any, answer = std::move(answer)](Status s) { answer(std::move(s), any->load()); });
    };
    auto attempt = std::make_shared<Attempt>(core_, root, "car " + root.ToString(), std::move(send), std::move(done));
    attempt->Step();
    return attempt;
  }

 private:
  std::shared_ptr<Core> core_;
};

}  // namespace

Result<std::string> GatewayUrlFromMultiaddr(std::string_view multiaddr) {
  auto unsupported = [&] {
    return MakeError(ErrorCode::kUnsupported, "multiaddr " + std::string(multiaddr) + ": not an HTTP gateway address");
  };
  auto p = Split(multiaddr, '/');
  if (p.size() < 6 || !p[0].empty()) return unsupported();
  const std::string& proto = p[1];
  const std::string& host = p[2];
  if (proto != "ip4" && proto != "ip6" && proto != "dns" && proto != "dns4" && proto != "dns6") return unsupported();
  if (host.empty() || p[3] != "tcp" || p[4].empty() ||
      !std::all_of(p[4].begin(), p[4].end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return unsupported();
  }
  std::vector<std::string> rest(p.begin() + 5, p.end());
  if (rest.size() >= 2 && rest[rest.size() - 2] == "p2p") rest.resize(rest.size() - 2);  // the peer's ID
  std::string scheme;
  if (rest == std::vector<std::string>{"https"} || rest == std::vector<std::string>{"tls", "http"} ||
      (rest.size() == 4 && rest[0] == "tls" && rest[1] == "sni" && rest[3] == "http")) {
    scheme = "https";
  } else if (rest == std::vector<std::string>{"http"} && IsPrivateHost(proto, host)) {
    scheme = "http";
  } else {
    return unsupported();
  }
  std::string url = scheme + "://" + (proto == "ip6" ? "[" + host + "]" : host);
  if (!((scheme == "https" && p[4] == "443") || (scheme == "http" && p[4] == "80"))) url += ":" + p[4];
  return url;
}

Result<std::vector<std::string>> ParseProviders(std::string_view body) {
  std::vector<nlohmann::json> records;
  auto doc = nlohmann::json::parse(body, nullptr, false);
  if (!doc.is_discarded() && doc.is_object() && doc.contains("Providers")) {
    if (doc["Providers"].is_array()) records.assign(doc["Providers"].begin(), doc["Providers"].end());
  } else if (!doc.is_discarded() && doc.is_object()) {
    records.push_back(doc);  // NDJSON of one line
  } else {
    bool any = false;
    std::istringstream lines{std::string(body)};
    for (std::string line; std::getline(lines, line);) {
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      auto rec = nlohmann::json::parse(line, nullptr, false);
      if (rec.is_discarded()) continue;
      any = true;
      records.push_back(std::move(rec));
    }
    if (!any && body.find_first_not_of(" \t\r\n") != std::string_view::npos) {
      return MakeError(ErrorCode::kCorrupt, "providers response is not JSON");
    }
  }
  std::vector<std::string> urls;
  for (const auto& rec : records) {
    if (!rec.is_object() || !rec.contains("Addrs") || !rec["Addrs"].is_array()) continue;
    bool gateway = true;  // no Protocols: the addresses decide
    if (rec.contains("Protocols") && rec["Protocols"].is_array() && !rec["Protocols"].empty()) {
      gateway = std::any_of(rec["Protocols"].begin(), rec["Protocols"].end(),
                            [](const nlohmann::json& p) { return p.is_string() && p.get<std::string>() == kGatewayProtocol; });
    } else if (rec.contains("Protocol") && rec["Protocol"].is_string()) {
      gateway = rec["Protocol"].get<std::string>() == kGatewayProtocol;
    }
    if (!gateway) continue;
    for (const auto& a : rec["Addrs"]) {
      if (!a.is_string()) continue;
      auto url = GatewayUrlFromMultiaddr(a.get<std::string>());
      if (url && std::find(urls.begin(), urls.end(), *url) == urls.end()) urls.push_back(*url);
    }
  }
  return urls;
}

std::unique_ptr<Source> NewProviderSource(net::HttpEngine& engine, std::string routing_url,
                                          ProviderSourceOptions options) {
  return std::make_unique<ProviderSource>(engine, std::move(routing_url), options);
}

}  // namespace ipfsfs::blockcache
