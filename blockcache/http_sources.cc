// Sources over HTTP: trustless gateways and kubo RPC, through net::HttpEngine.
#include <nlohmann/json.hpp>

#include "blockcache/source.h"
#include "ipld/ipns_record.h"
#include "ipld/multibase.h"
#include "net/http_engine.h"

namespace ipfsfs::blockcache {
namespace {

constexpr std::string_view kRawType = "application/vnd.ipld.raw";
constexpr std::string_view kCarType = "application/vnd.ipld.car";
constexpr std::string_view kIpnsType = "application/vnd.ipfs.ipns-record";

class CallHandle : public FetchHandle {
 public:
  explicit CallHandle(std::shared_ptr<net::HttpCall> call) : call_(std::move(call)) {}
  void Cancel() override { call_->Cancel(); }
  void Resume() override { call_->Resume(); }

 private:
  std::shared_ptr<net::HttpCall> call_;
};

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

std::string Snippet(const Bytes& body) {
  std::string s(AsText(body).substr(0, 200));
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

// An HTTP status that is not 200, as an error for `what`.
Error StatusError(const std::string& name, const net::HttpResponse& r, const std::string& what) {
  std::string msg = name + ": " + what + ": http " + std::to_string(r.status);
  if (!r.body.empty()) msg += " (" + Snippet(r.body) + ")";
  if (r.status == 404 || r.status == 410) return Error{ErrorCode::kNotFound, msg};
  if (r.status == 504 || r.status == 408) return Error{ErrorCode::kTimeout, msg};
  if (r.status == 413) return Error{ErrorCode::kTooLarge, msg};
  return Error{ErrorCode::kUnavailable, msg};
}

class HttpSourceBase : public Source {
 public:
  HttpSourceBase(net::HttpEngine& engine, std::string base, HttpSourceOptions options)
      : engine_(engine), base_(std::move(base)), options_(options) {
    while (!base_.empty() && base_.back() == '/') base_.pop_back();
  }
  std::string name() const override { return base_; }

 protected:
  net::HttpRequest BlockRequest(std::string url) const {
    net::HttpRequest r;
    r.url = std::move(url);
    r.timeout = options_.request_timeout;
    r.connect_timeout = options_.connect_timeout;
    r.max_body_bytes = kMaxBlockSize;
    r.low_speed_time = std::chrono::seconds(std::max<int64_t>(1, options_.request_timeout.count() / 2000));
    return r;
  }
  net::HttpRequest CarRequest(std::string url, CarDataCallback on_data) const {
    net::HttpRequest r;
    r.url = std::move(url);
    r.timeout = options_.car_timeout;
    r.connect_timeout = options_.connect_timeout;
    r.low_speed_bytes_per_second = 1024;
    r.low_speed_time = std::chrono::seconds(std::max<int64_t>(2, options_.request_timeout.count() / 1000));
    r.on_data = std::move(on_data);
    return r;
  }

  net::HttpRequest RecordRequest(std::string url) const {
    net::HttpRequest r = BlockRequest(std::move(url));
    r.max_body_bytes = ipld::kMaxIpnsRecordSize;
    return r;
  }

  // GET of a record where the content type tells a record from anything else
  // (gateway and delegated routing alike).
  std::shared_ptr<FetchHandle> GetRecord(std::string url, const std::string& name, RawCallback done) {
    auto req = RecordRequest(std::move(url));
    req.headers = {"Accept: application/vnd.ipfs.ipns-record"};
    // IPIP-513: a 200 of another content type means "no record here".
    auto wrong_type = std::make_shared<bool>(false);
    req.on_head = [wrong_type](long status, std::string_view type) {
      if (status == 200 && !StartsWith(type, kIpnsType)) *wrong_type = true;
      return !*wrong_type;
    };
    std::string source = base_;
    auto call =
        engine_.Start(std::move(req), [done = std::move(done), source, name, wrong_type](Result<net::HttpResponse> r) {
          std::string what = "ipns record " + name;
          if (*wrong_type)
            return done(tl::unexpected(Error{ErrorCode::kNotFound, source + ": " + what + ": not a record"}));
          if (!r) return done(tl::unexpected(r.error().Wrap(source + ": " + what)));
          if (r->status != 200) return done(tl::unexpected(StatusError(source, *r, what)));
          done(std::make_shared<Bytes>(std::move(r->body)));
        });
    return std::make_shared<CallHandle>(std::move(call));
  }

  net::HttpEngine& engine_;
  std::string base_;
  HttpSourceOptions options_;
};

class GatewaySource : public HttpSourceBase {
 public:
  GatewaySource(net::HttpEngine& engine, std::string base, HttpSourceOptions options)
      : HttpSourceBase(engine, std::move(base), options) {
    // "http://host:8080/ipfs" names the same gateway as "http://host:8080".
    if (base_.size() > 5 && base_.compare(base_.size() - 5, 5, "/ipfs") == 0) base_.resize(base_.size() - 5);
  }

  std::shared_ptr<FetchHandle> FetchBlock(const ipld::Cid& cid, RawCallback done) override {
    std::string text = cid.ToString();
    auto req = BlockRequest(base_ + "/ipfs/" + text + "?format=raw");
    req.headers = {"Accept: application/vnd.ipld.raw"};
    // A 200 that is not a raw block (a web page, a deserialized file) is refused unread.
    req.on_head = [](long status, std::string_view type) { return status != 200 || StartsWith(type, kRawType); };
    std::string name = base_;
    auto call = engine_.Start(std::move(req), [done = std::move(done), name, text](Result<net::HttpResponse> r) {
      if (!r) return done(tl::unexpected(r.error().Wrap(name + ": block " + text)));
      if (r->status != 200) return done(tl::unexpected(StatusError(name, *r, "block " + text)));
      done(std::make_shared<Bytes>(std::move(r->body)));
    });
    return std::make_shared<CallHandle>(std::move(call));
  }

  bool SupportsByteRanges() const override { return true; }

  std::shared_ptr<FetchHandle> FetchIpnsRecord(const std::string& name, RawCallback done) override {
    return GetRecord(base_ + "/ipns/" + name, name, std::move(done));
  }

  std::shared_ptr<FetchHandle> FetchCar(const ipld::Cid& root, PrefetchScope scope, std::optional<ByteRange> bytes,
                                        CarDataCallback on_data, CarDoneCallback done) override {
    std::string text = root.ToString();
    std::string url = base_ + "/ipfs/" + text + "?format=car&dag-scope=" +
                      (scope == PrefetchScope::kEntity || bytes ? "entity" : "all");
    // entity-bytes counts the last byte in (FROM:TO inclusive).
    if (bytes && bytes->to > bytes->from) {
      url += "&entity-bytes=" + std::to_string(bytes->from) + ":" + std::to_string(bytes->to - 1);
    }
    auto req = CarRequest(url, std::move(on_data));
    req.headers = {"Accept: application/vnd.ipld.car"};
    req.on_head = [](long status, std::string_view type) { return status != 200 || StartsWith(type, kCarType); };
    std::string name = base_;
    auto call = engine_.Start(std::move(req), [done = std::move(done), name, text](Result<net::HttpResponse> r) {
      if (!r) return done(tl::unexpected(r.error().Wrap(name + ": car " + text)));
      // A gateway that serves no CARs says so: the cache stops asking it for them.
      if (r->status == 501 || r->status == 406) {
        return done(tl::unexpected(Error{ErrorCode::kUnsupported, StatusError(name, *r, "car " + text).message}));
      }
      if (r->status != 200) return done(tl::unexpected(StatusError(name, *r, "car " + text)));
      done(OkStatus());
    });
    return std::make_shared<CallHandle>(std::move(call));
  }
};

// kubo answers errors as 500 + {"Message": "...", "Code": 0, "Type": "error"}.
Error KuboError(const std::string& name, const net::HttpResponse& r, const std::string& what) {
  auto json = nlohmann::json::parse(AsText(r.body), nullptr, false);
  if (json.is_discarded() || !json.is_object() || !json.contains("Message") || !json["Message"].is_string()) {
    return StatusError(name, r, what);
  }
  std::string message = json["Message"].get<std::string>();
  std::string full = name + ": " + what + ": " + message;
  // kubo's words for an absent block (offline node, or a --timeout that ran out).
  if (message.find("not found") != std::string::npos || message.find("could not find") != std::string::npos) {
    return Error{ErrorCode::kNotFound, full};
  }
  if (message.find("deadline exceeded") != std::string::npos) return Error{ErrorCode::kTimeout, full};
  return Error{ErrorCode::kUnavailable, full};
}

class KuboSource : public HttpSourceBase {
 public:
  using HttpSourceBase::HttpSourceBase;

  std::shared_ptr<FetchHandle> FetchBlock(const ipld::Cid& cid, RawCallback done) override {
    std::string text = cid.ToString();
    auto req = BlockRequest(base_ + "/api/v0/block/get?arg=" + text);
    req.method = "POST";
    std::string name = base_;
    auto call = engine_.Start(std::move(req), [done = std::move(done), name, text](Result<net::HttpResponse> r) {
      if (!r) return done(tl::unexpected(r.error().Wrap(name + ": block " + text)));
      if (r->status != 200) return done(tl::unexpected(KuboError(name, *r, "block " + text)));
      done(std::make_shared<Bytes>(std::move(r->body)));
    });
    return std::make_shared<CallHandle>(std::move(call));
  }

  std::shared_ptr<FetchHandle> FetchCar(const ipld::Cid& root, PrefetchScope scope, std::optional<ByteRange> bytes,
                                        CarDataCallback on_data, CarDoneCallback done) override {
    (void)scope;  // dag/export always sends the whole DAG (never asked for a range: no SupportsByteRanges)
    (void)bytes;
    std::string text = root.ToString();
    auto req = CarRequest(base_ + "/api/v0/dag/export?arg=" + text, std::move(on_data));
    req.method = "POST";
    std::string name = base_;
    auto call = engine_.Start(std::move(req), [done = std::move(done), name, text](Result<net::HttpResponse> r) {
      if (!r) return done(tl::unexpected(r.error().Wrap(name + ": car " + text)));
      if (r->status != 200) return done(tl::unexpected(KuboError(name, *r, "car " + text)));
      done(OkStatus());
    });
    return std::make_shared<CallHandle>(std::move(call));
  }

  // routing/get answers {"Extra": "<base64 record>", "Type": 5, …}.
  std::shared_ptr<FetchHandle> FetchIpnsRecord(const std::string& name, RawCallback done) override {
    auto req = BlockRequest(base_ + "/api/v0/routing/get?arg=/ipns/" + name);
    req.method = "POST";
    req.max_body_bytes = 4 * ipld::kMaxIpnsRecordSize;  // base64 in JSON
    std::string source = base_;
    auto call = engine_.Start(std::move(req), [done = std::move(done), source, name](Result<net::HttpResponse> r) {
      std::string what = "ipns record " + name;
      if (!r) return done(tl::unexpected(r.error().Wrap(source + ": " + what)));
      if (r->status != 200) return done(tl::unexpected(KuboError(source, *r, what)));
      // The body may hold several JSON lines (query events); the one with Extra is the value.
      std::string_view text = AsText(r->body);
      while (!text.empty()) {
        size_t nl = text.find('\n');
        auto json = nlohmann::json::parse(text.substr(0, nl), nullptr, false);
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
        if (json.is_discarded() || !json.is_object() || !json.contains("Extra") || !json["Extra"].is_string()) continue;
        std::string extra = json["Extra"].get<std::string>();
        if (extra.empty()) continue;
        while (!extra.empty() && extra.back() == '=') extra.pop_back();
        auto bytes = ipld::MultibaseDecode("m" + extra);
        if (!bytes) return done(tl::unexpected(Error{ErrorCode::kCorrupt, source + ": " + what + ": bad base64"}));
        if (bytes->size() > ipld::kMaxIpnsRecordSize) {
          return done(tl::unexpected(Error{ErrorCode::kTooLarge, source + ": " + what + ": over 10 KiB"}));
        }
        return done(std::make_shared<Bytes>(std::move(*bytes)));
      }
      done(tl::unexpected(Error{ErrorCode::kNotFound, source + ": " + what + ": no record in the answer"}));
    });
    return std::make_shared<CallHandle>(std::move(call));
  }
};

// Delegated routing: records only.
class RoutingSource : public HttpSourceBase {
 public:
  using HttpSourceBase::HttpSourceBase;
  bool ServesBlocks() const override { return false; }

  std::shared_ptr<FetchHandle> FetchBlock(const ipld::Cid& cid, RawCallback done) override {
    done(tl::unexpected(Error{ErrorCode::kUnsupported, base_ + ": routing serves no blocks (" + cid.ToString() + ")"}));
    return nullptr;
  }
  std::shared_ptr<FetchHandle> FetchCar(const ipld::Cid& root, PrefetchScope, std::optional<ByteRange>, CarDataCallback,
                                        CarDoneCallback done) override {
    done(tl::unexpected(Error{ErrorCode::kUnsupported, base_ + ": routing serves no CARs (" + root.ToString() + ")"}));
    return nullptr;
  }
  std::shared_ptr<FetchHandle> FetchIpnsRecord(const std::string& name, RawCallback done) override {
    return GetRecord(base_ + "/routing/v1/ipns/" + name, name, std::move(done));
  }
};

}  // namespace

std::unique_ptr<Source> NewRoutingSource(net::HttpEngine& engine, std::string base_url, HttpSourceOptions options) {
  return std::make_unique<RoutingSource>(engine, std::move(base_url), options);
}

std::unique_ptr<Source> NewGatewaySource(net::HttpEngine& engine, std::string base_url, HttpSourceOptions options) {
  return std::make_unique<GatewaySource>(engine, std::move(base_url), options);
}

std::unique_ptr<Source> NewKuboSource(net::HttpEngine& engine, std::string base_url, HttpSourceOptions options) {
  return std::make_unique<KuboSource>(engine, std::move(base_url), options);
}

}  // namespace ipfsfs::blockcache
