#include "publish/pinning_client.h"

#include <nlohmann/json.hpp>

namespace ipfsfs::publish {
namespace {

std::string UrlEncode(const std::string& text) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ",") + i;
  return out;
}

Result<RemotePin> ParsePinStatus(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("requestid") || !j["requestid"].is_string() || !j.contains("status") ||
      !j["status"].is_string()) {
    return MakeError(ErrorCode::kCorrupt, "pinning service: not a PinStatus: " + j.dump().substr(0, 200));
  }
  RemotePin p;
  p.requestid = j["requestid"].get<std::string>();
  p.status = j["status"].get<std::string>();
  p.created = j.value("created", "");
  if (j.contains("pin") && j["pin"].is_object()) {
    p.cid = j["pin"].value("cid", "");
    p.name = j["pin"].value("name", "");
  }
  if (j.contains("delegates") && j["delegates"].is_array()) {
    for (const auto& d : j["delegates"]) {
      if (d.is_string()) p.delegates.push_back(d.get<std::string>());
    }
  }
  return p;
}

Result<nlohmann::json> ParseBody(const net::HttpResponse& r) {
  auto j = nlohmann::json::parse(r.body.begin(), r.body.end(), nullptr, false);
  if (j.is_discarded()) return MakeError(ErrorCode::kCorrupt, "pinning service: the answer is not JSON");
  return j;
}

}  // namespace

PinningClient::PinningClient(std::string endpoint, std::string key, net::HttpEngine& engine)
    : endpoint_(std::move(endpoint)), key_(std::move(key)), engine_(engine) {
  while (!endpoint_.empty() && endpoint_.back() == '/') endpoint_.pop_back();
}

Result<net::HttpResponse> PinningClient::Call(const std::string& method, const std::string& path, std::string body) {
  net::HttpRequest request;
  request.method = method;
  request.url = endpoint_ + path;
  request.headers.push_back("Authorization: Bearer " + key_);
  request.headers.push_back("Accept: application/json");
  if (!body.empty()) request.headers.push_back("Content-Type: application/json");
  request.post_body = std::move(body);
  request.max_body_bytes = 8u << 20;
  auto r = engine_.Fetch(std::move(request));
  if (!r) return r;
  if (r->status >= 200 && r->status < 300) return r;
  // Failure: {"error":{"reason":"UPPER_CASE","details":"…"}}.
  std::string why = "HTTP " + std::to_string(r->status);
  auto j = nlohmann::json::parse(r->body.begin(), r->body.end(), nullptr, false);
  if (!j.is_discarded() && j.is_object() && j.contains("error") && j["error"].is_object()) {
    why += " " + j["error"].value("reason", "");
    if (!j["error"].value("details", "").empty()) why += ": " + j["error"].value("details", "");
  }
  if (r->status == 401) why += " (check the service's access token)";
  const ErrorCode code = r->status == 404 ? ErrorCode::kNotFound
                         : r->status >= 500 ? ErrorCode::kUnavailable
                                            : ErrorCode::kInvalidArgument;
  return MakeError(code, method + " " + path.substr(0, path.find('?')) + ": " + why);
}

Result<RemotePin> PinningClient::Add(const std::string& cid, const std::string& name,
                                     const std::vector<std::string>& origins) {
  nlohmann::json pin = {{"cid", cid}};
  if (!name.empty()) pin["name"] = name;
  if (!origins.empty()) pin["origins"] = origins;
  IPFSFS_ASSIGN_OR_RETURN(auto r, Call("POST", "/pins", pin.dump()));
  IPFSFS_ASSIGN_OR_RETURN(auto j, ParseBody(r));
  return ParsePinStatus(j);
}

Result<RemotePin> PinningClient::Replace(const std::string& requestid, const std::string& cid, const std::string& name,
                                         const std::vector<std::string>& origins) {
  nlohmann::json pin = {{"cid", cid}};
  if (!name.empty()) pin["name"] = name;
  if (!origins.empty()) pin["origins"] = origins;
  IPFSFS_ASSIGN_OR_RETURN(auto r, Call("POST", "/pins/" + UrlEncode(requestid), pin.dump()));
  IPFSFS_ASSIGN_OR_RETURN(auto j, ParseBody(r));
  return ParsePinStatus(j);
}

Result<RemotePin> PinningClient::Get(const std::string& requestid) {
  IPFSFS_ASSIGN_OR_RETURN(auto r, Call("GET", "/pins/" + UrlEncode(requestid), ""));
  IPFSFS_ASSIGN_OR_RETURN(auto j, ParseBody(r));
  return ParsePinStatus(j);
}

Result<std::vector<RemotePin>> PinningClient::List(const RemotePinQuery& q) {
  std::string query;
  auto add = [&](const std::string& k, const std::string& v) { query += (query.empty() ? "?" : "&") + k + "=" + UrlEncode(v); };
  if (!q.cids.empty()) add("cid", Join(q.cids));
  if (!q.name.empty()) add("name", q.name);
  if (!q.statuses.empty()) add("status", Join(q.statuses));
  if (q.limit > 0) add("limit", std::to_string(q.limit));
  IPFSFS_ASSIGN_OR_RETURN(auto r, Call("GET", "/pins" + query, ""));
  IPFSFS_ASSIGN_OR_RETURN(auto j, ParseBody(r));
  if (!j.is_object() || !j.contains("results") || !j["results"].is_array()) {
    return MakeError(ErrorCode::kCorrupt, "GET /pins: not a PinResults");
  }
  std::vector<RemotePin> out;
  for (const auto& item : j["results"]) {
    IPFSFS_ASSIGN_OR_RETURN(auto p, ParsePinStatus(item));
    out.push_back(std::move(p));
  }
  return out;
}

Status PinningClient::Remove(const std::string& requestid) {
  IPFSFS_ASSIGN_OR_RETURN(auto r, Call("DELETE", "/pins/" + UrlEncode(requestid), ""));
  (void)r;
  return OkStatus();
}

}  // namespace ipfsfs::publish
