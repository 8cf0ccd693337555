#include "net/doh_client.h"

#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <utility>

#include "net/internal/dns_message.h"

namespace ipfsfs::net {
namespace {

constexpr std::string_view kDnsMessage = "application/dns-message";

// Calls in flight, shared with their callbacks so the client can cancel them.
struct InFlight {
  std::mutex mu;
  uint64_t next_id = 0;                                  // guarded by mu
  std::map<uint64_t, std::weak_ptr<HttpCall>> calls;     // guarded by mu
  std::set<uint64_t> finished_before_listed;             // guarded by mu
};

class DohClient final : public DnsClient {
 public:
  DohClient(HttpEngine& http, DohClientOptions options) : http_(http), options_(std::move(options)) {}

  ~DohClient() override {
    std::map<uint64_t, std::weak_ptr<HttpCall>> calls;
    {
      std::lock_guard<std::mutex> lock(in_flight_->mu);
      calls.swap(in_flight_->calls);
    }
    for (auto& [id, weak] : calls) {
      if (auto call = weak.lock()) call->Cancel();
    }
  }

  void LookupTxt(std::string name, TxtCallback done) override {
    auto query = internal::EncodeTxtQuery(name, 0);  // RFC 8484 §4.1: ID 0 for caching
    if (!query) return done(tl::unexpected<Error>(query.error()));
    HttpRequest req;
    req.method = "POST";
    req.url = options_.url;
    req.headers = {"Content-Type: application/dns-message", "Accept: application/dns-message"};
    req.post_body = std::string(AsText(*query));
    req.max_body_bytes = 65535;  // a DNS message's upper bound
    req.timeout = options_.timeout;

    uint64_t id;
    {
      std::lock_guard<std::mutex> lock(in_flight_->mu);
      id = in_flight_->next_id++;
    }
    std::shared_ptr<InFlight> in_flight = in_flight_;
    auto call = http_.Start(std::move(req), [in_flight, id, name, done](Result<HttpResponse> r) {
      {
        std::lock_guard<std::mutex> lock(in_flight->mu);
        if (in_flight->calls.erase(id) == 0) in_flight->finished_before_listed.insert(id);
      }
      done(Answer(std::move(r), name));
    });
    std::lock_guard<std::mutex> lock(in_flight_->mu);
    if (in_flight_->finished_before_listed.erase(id) == 0) in_flight_->calls[id] = call;
  }

 private:
  static Result<TxtAnswer> Answer(Result<HttpResponse> r, const std::string& name) {
    if (!r) return tl::unexpected<Error>(r.error().Wrap("dns-over-https " + name));
    std::string_view type = r->content_type;
    type = type.substr(0, type.find(';'));
    if (r->status != 200 || type != kDnsMessage) {
      return MakeError(ErrorCode::kUnavailable, "dns-over-https " + name + ": HTTP " + std::to_string(r->status) +
                                                    " " + std::string(r->content_type));
    }
    Result<TxtAnswer> answer = internal::ParseTxtResponse(r->body, name);
    if (!answer && answer.error().code == ErrorCode::kCorrupt) {
      return MakeError(ErrorCode::kUnavailable, answer.error().message);  // a bad server, not bad data
    }
    return answer;
  }

  HttpEngine& http_;
  DohClientOptions options_;
  std::shared_ptr<InFlight> in_flight_ = std::make_shared<InFlight>();
};

}  // namespace

Result<std::unique_ptr<DnsClient>> CreateDohClient(HttpEngine& http, DohClientOptions options) {
  std::string_view url = options.url;
  if (url.substr(0, 8) != "https://" && url.substr(0, 7) != "http://") {
    return MakeError(ErrorCode::kInvalidArgument, "dns-over-https wants an http(s):// URL, not \"" + options.url + "\"");
  }
  return std::unique_ptr<DnsClient>(new DohClient(http, std::move(options)));
}

}  // namespace ipfsfs::net
