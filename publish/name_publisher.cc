// Implementation of publish/name_publisher.h.
#include "publish/name_publisher.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "ipld/cid.h"
#include "ipld/ipns_name.h"
#include "ipld/ipns_record_maker.h"

namespace ipfsfs::publish {
namespace {

constexpr char kRecordType[] = "application/vnd.ipfs.ipns-record";

std::string TrimSlash(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

// A server's refusal in one line: kubo's JSON "Message", else the body's first line.
std::string Why(const net::HttpResponse& r) {
  std::string body(AsText(r.body));
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_discarded() && j.is_object() && j.contains("Message") && j["Message"].is_string()) {
    return j["Message"].get<std::string>();
  }
  body = body.substr(0, body.find('\n'));
  if (body.size() > 200) body.resize(200);
  return body;
}

Status Outcome(const Result<net::HttpResponse>& r, const std::string& what) {
  if (!r) return tl::unexpected(r.error().Wrap(what));
  if (r->status == 200) return OkStatus();
  // 4xx: the record or request was refused (retrying will not help); else the server failed.
  ErrorCode code =
      r->status >= 400 && r->status < 500 && r->status != 429 ? ErrorCode::kInvalidArgument : ErrorCode::kUnavailable;
  std::string why = Why(*r);
  return MakeError(code, what + ": HTTP " + std::to_string(r->status) + (why.empty() ? "" : ": " + why));
}

class RoutingPutter : public RecordPutter {
 public:
  RoutingPutter(net::HttpEngine& engine, std::string base) : engine_(engine), base_(TrimSlash(std::move(base))) {}
  std::string description() const override { return "routing " + base_; }
  Status Put(const std::string& name, ByteSpan record) override {
    net::HttpRequest req;
    req.method = "PUT";
    req.url = base_ + "/routing/v1/ipns/" + name;
    req.headers = {std::string("Content-Type: ") + kRecordType, "Expect:"};
    req.post_body = std::string(AsText(record));
    req.max_body_bytes = 64 << 10;
    return Outcome(engine_.Fetch(std::move(req)), "PUT " + base_ + "/routing/v1/ipns/" + name);
  }

 private:
  net::HttpEngine& engine_;
  std::string base_;
};

class KuboPutter : public RecordPutter {
 public:
  KuboPutter(net::HttpEngine& engine, std::string api) : engine_(engine), api_(TrimSlash(std::move(api))) {}
  std::string description() const override { return "kubo " + api_; }
  Status Put(const std::string& name, ByteSpan record) override {
    static constexpr char kBoundary[] = "ipfsfs-ipns-record-boundary";
    net::HttpRequest req;
    req.method = "POST";
    req.url = api_ + "/api/v0/routing/put?arg=/ipns/" + name + "&allow-offline=true";
    req.headers = {std::string("Content-Type: multipart/form-data; boundary=") + kBoundary, "Expect:"};
    req.post_body = std::string("--") + kBoundary +
                    "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"record\"\r\n"
                    "Content-Type: application/octet-stream\r\n\r\n" +
                    std::string(AsText(record)) + "\r\n--" + kBoundary + "--\r\n";
    req.max_body_bytes = 64 << 10;
    return Outcome(engine_.Fetch(std::move(req)), "kubo " + api_ + " routing/put");
  }

 private:
  net::HttpEngine& engine_;
  std::string api_;
};

ipld::Timestamp Add(ipld::Timestamp t, std::chrono::nanoseconds d) {
  int64_t ns = t.nanos + d.count() % 1'000'000'000;
  int64_t s = t.seconds + d.count() / 1'000'000'000 + ns / 1'000'000'000;
  ns %= 1'000'000'000;
  if (ns < 0) {
    ns += 1'000'000'000;
    --s;
  }
  return ipld::Timestamp{s, static_cast<int32_t>(ns)};
}

}  // namespace

std::unique_ptr<RecordPutter> NewRoutingPutter(net::HttpEngine& engine, std::string base_url) {
  return std::make_unique<RoutingPutter>(engine, std::move(base_url));
}

std::unique_ptr<RecordPutter> NewKuboPutter(net::HttpEngine& engine, std::string api_url) {
  return std::make_unique<KuboPutter>(engine, std::move(api_url));
}

bool PublishedName::all_ok() const {
  return std::all_of(outcomes.begin(), outcomes.end(), [](const auto& o) { return o.status.has_value(); });
}

Result<std::string> NormalizeIpnsValue(std::string_view path) {
  auto bad = [&](const std::string& why) {
    return MakeError(ErrorCode::kInvalidArgument, "'" + std::string(path) + "': " + why);
  };
  std::string text(path);
  if (text.rfind("/ipfs/", 0) != 0 && text.rfind("/ipns/", 0) != 0) {
    if (text.find('/') != std::string::npos || !ipld::Cid::Parse(text)) {
      return bad("not a /ipfs/ or /ipns/ path, nor a CID");
    }
    text = "/ipfs/" + text;
  }
  std::string root = text.substr(6, text.find('/', 6) == std::string::npos ? std::string::npos : text.find('/', 6) - 6);
  if (root.empty()) return bad("no CID or name after the namespace");
  if (text.rfind("/ipfs/", 0) == 0) {
    auto cid = ipld::Cid::Parse(root);
    if (!cid) return bad(cid.error().message);
  }
  return text;
}

NamePublisher::NamePublisher(std::vector<RecordPutter*> targets, PublishedStore& published,
                             resolver::NameStore* seen_store, SeenSequence seen, NamePublisherOptions options)
    : targets_(std::move(targets)),
      published_(published),
      seen_store_(seen_store),
      seen_(std::move(seen)),
      options_(std::move(options)) {}

Result<PublishedName> NamePublisher::Publish(const ipld::PrivateKey& key, std::string value_path,
                                             const PublishOptions& options) {
  if (targets_.empty() && !options.allow_offline) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "no target to publish to: give --api or --routing, or --allow-offline to keep the record "
                     "locally only");
  }
  IPFSFS_ASSIGN_OR_RETURN(std::string value, NormalizeIpnsValue(value_path));
  if (options.lifetime <= std::chrono::nanoseconds(0)) {
    return MakeError(ErrorCode::kInvalidArgument, "the lifetime must be positive");
  }
  if (options.ttl < std::chrono::nanoseconds(0) || options.ttl > options.lifetime) {
    return MakeError(ErrorCode::kInvalidArgument, "the TTL must be between 0 and the lifetime");
  }
  std::lock_guard<std::mutex> lock(mu_);
  ipld::Multihash peer_id = key.Public().PeerId();
  std::string name = ipld::FormatIpnsName(peer_id);

  std::optional<uint64_t> current;
  auto mine = published_.Load(name);
  if (!mine) return tl::unexpected(mine.error());
  if (*mine) current = (*mine)->sequence;
  if (seen_) {
    if (auto other = seen_(peer_id); other && (!current || *other > *current)) current = *other;
  }
  uint64_t sequence = current ? *current + 1 : 0;
  if (options.sequence) {
    if (current && *options.sequence <= *current) {
      return MakeError(ErrorCode::kInvalidArgument, "--sequence " + std::to_string(*options.sequence) +
                                                        " is not above the current sequence " +
                                                        std::to_string(*current));
    }
    sequence = *options.sequence;
  }

  ipld::Timestamp now = options_.now();
  PublishedName out;
  out.name = name;
  out.value = value;
  out.sequence = sequence;
  out.eol = Add(now, options.lifetime);
  IPFSFS_ASSIGN_OR_RETURN(out.record, ipld::MakeIpnsRecord(key, value, sequence, out.eol, options.ttl));

  // Stored before it is put (as kubo does): a crash after a put never reuses the sequence.
  Publication p{name, options.key_name, value, sequence, out.eol, now, options.lifetime, options.ttl};
  if (auto ok = published_.Save(p); !ok) return tl::unexpected(ok.error());
  if (seen_store_) {
    if (auto ok = seen_store_->Save(name, out.record); !ok) return tl::unexpected(ok.error());
  }
  for (RecordPutter* target : targets_) {
    out.outcomes.push_back({target->description(), target->Put(name, out.record)});
  }
  return out;
}

}  // namespace ipfsfs::publish
