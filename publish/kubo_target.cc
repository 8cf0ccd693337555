#include "publish/kubo_target.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <sstream>

#include "ipld/car.h"
#include "ipld/multibase.h"
#include "publish/internal/body_pipe.h"
#include "publish/internal/dag_walk.h"

namespace ipfsfs::publish {
namespace {

constexpr std::string_view kBoundary = "ipfsfs-car-upload-7d3f9a61c2";
constexpr size_t kMiB = size_t{1} << 20;

std::string Base64(std::string_view text) { return ipld::EncodeWithoutPrefix(ipld::Multibase::kBase64Pad, AsBytes(text)); }

std::string FirstLine(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\n' || text.front() == '\r')) text.remove_prefix(1);
  std::string line(text.substr(0, text.find('\n')));
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  if (line.size() > 300) line = line.substr(0, 300) + "…";
  return line;
}

// kubo's ways of failing (publish.md §1.1): JSON {"Message"} (500, 400),
// plain text (400, 403, 404, 405), or a 200 whose X-Stream-Error says why.
Error KuboError(const std::string& command, const net::HttpResponse& r) {
  const std::string body(reinterpret_cast<const char*>(r.body.data()), r.body.size());
  std::string why;
  auto json = nlohmann::json::parse(body, nullptr, false);
  if (!json.is_discarded() && json.is_object() && json.contains("Message") && json["Message"].is_string()) {
    why = json["Message"].get<std::string>();
  } else {
    why = FirstLine(body);
  }
  if (r.status == 200) why = r.stream_error;
  std::string text = command + ": ";
  if (r.status == 403) text += "access denied (check --api-auth): ";
  else if (r.status != 200 && r.status != 500) text += "HTTP " + std::to_string(r.status) + ": ";
  text += why.empty() ? "HTTP " + std::to_string(r.status) : why;
  // A refused request needs the user; a failing node may recover.
  const bool refused = r.status >= 400 && r.status < 500;
  return Error{refused ? ErrorCode::kInvalidArgument : ErrorCode::kUnavailable, text};
}

struct PinState {
  nlohmann::json doc = nlohmann::json::object();

  static PinState Load(const std::string& path) {
    PinState s;
    std::ifstream in(path);
    if (!in) return s;
    std::stringstream text;
    text << in.rdbuf();
    auto doc = nlohmann::json::parse(text.str(), nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) {
      spdlog::warn("{}: unreadable, ignored (pins it lists are left alone)", path);
      return s;
    }
    s.doc = std::move(doc);
    return s;
  }
  std::vector<std::string> Pinned(const std::string& peer) const {
    std::vector<std::string> out;
    if (!doc.contains("nodes") || !doc["nodes"].contains(peer)) return out;
    for (const auto& c : doc["nodes"][peer].value("pinned", nlohmann::json::array())) {
      if (c.is_string()) out.push_back(c.get<std::string>());
    }
    return out;
  }
  void Set(const std::string& peer, const std::string& api, const std::vector<std::string>& pinned) {
    doc["nodes"][peer] = {{"api", api}, {"pinned", pinned}};
  }
  Status Save(const std::string& path) const {
    const std::string temp = path + ".tmp";
    {
      std::ofstream out(temp, std::ios::trunc);
      out << doc.dump(2) << "\n";
      out.flush();
      if (!out) return MakeError(ErrorCode::kUnavailable, "cannot write " + temp);
    }
    if (std::rename(temp.c_str(), path.c_str()) != 0) {
      return MakeError(ErrorCode::kUnavailable, "cannot rename " + temp + " to " + path);
    }
    return OkStatus();
  }
};

}  // namespace

Result<std::string> KuboAuthorization(std::string_view secret) {
  if (secret.rfind("basic:", 0) == 0) {
    std::string_view rest = secret.substr(6);
    if (rest.empty()) return MakeError(ErrorCode::kInvalidArgument, "api auth: basic: needs user:password");
    if (rest.find(':') != std::string_view::npos) return "Basic " + Base64(rest);
    return "Basic " + std::string(rest);
  }
  if (secret.rfind("bearer:", 0) == 0) secret = secret.substr(7);
  if (secret.empty()) return MakeError(ErrorCode::kInvalidArgument, "api auth: empty secret");
  return "Bearer " + std::string(secret);
}

Result<std::string> KuboTarget::Call(const std::string& command, const std::string& query) {
  net::HttpRequest request;
  request.method = "POST";
  request.url = options_.api_url + "/api/v0/" + command + (query.empty() ? "" : "?" + query);
  if (!options_.authorization.empty()) request.headers.push_back("Authorization: " + options_.authorization);
  request.timeout = options_.call_timeout;
  request.max_body_bytes = 4 * kMiB;
  auto r = engine_.Fetch(std::move(request));
  if (!r) return tl::unexpected(r.error().Wrap(command));
  if (r->status != 200 || !r->stream_error.empty()) return tl::unexpected(KuboError(command, *r));
  return std::string(reinterpret_cast<const char*>(r->body.data()), r->body.size());
}

Result<KuboNode> KuboTarget::Identify() {
  IPFSFS_ASSIGN_OR_RETURN(auto body, Call("id", ""));
  auto json = nlohmann::json::parse(body, nullptr, false);
  if (json.is_discarded() || !json.is_object() || !json.contains("ID") || !json["ID"].is_string()) {
    return MakeError(ErrorCode::kCorrupt, "id: unexpected answer " + FirstLine(body));
  }
  KuboNode node;
  node.peer_id = json["ID"].get<std::string>();
  if (json.contains("Addresses") && json["Addresses"].is_array()) {
    for (const auto& a : json["Addresses"]) {
      if (a.is_string()) node.addresses.push_back(a.get<std::string>());
    }
  }
  return node;
}

Result<size_t> KuboTarget::BlockLimit() {
  IPFSFS_ASSIGN_OR_RETURN(auto body, Call("version", ""));
  auto json = nlohmann::json::parse(body, nullptr, false);
  // Only Go kubo names its Golang; 0.40 raised the limit to 2 MiB (publish.md §1.2).
  if (json.is_discarded() || !json.is_object() || !json.contains("Golang")) return kMiB;
  unsigned major = 0, minor = 0;
  if (std::sscanf(json.value("Version", "").c_str(), "%u.%u", &major, &minor) != 2) return kMiB;
  return (major > 0 || minor >= 40) ? 2 * kMiB : kMiB;
}

Result<std::string> KuboTarget::Import(const ipld::Cid& root, const std::optional<ipld::Cid>& have,
                                       size_t block_limit, uint64_t& blocks, uint64_t& bytes) {
  std::set<ipld::Multihash> present;
  if (have) present = internal::LocalDagHashes(cache_, *have);

  auto pipe = std::make_shared<internal::BodyPipe>(8 * kMiB);
  net::HttpRequest request;
  request.method = "POST";
  request.url = options_.api_url + "/api/v0/dag/import?pin-roots=true";
  request.headers.push_back("Content-Type: multipart/form-data; boundary=" + std::string(kBoundary));
  if (!options_.authorization.empty()) request.headers.push_back("Authorization: " + options_.authorization);
  request.timeout = std::chrono::milliseconds(0);  // a large DAG takes what it takes; stalls end below
  request.low_speed_bytes_per_second = 1;
  request.low_speed_time = std::chrono::seconds(120);
  request.max_body_bytes = 4 * kMiB;
  request.body_source = [pipe](std::span<std::byte> out) { return pipe->Read(out); };
  auto done = std::make_shared<std::promise<Result<net::HttpResponse>>>();
  auto answer = done->get_future();
  auto call = engine_.Start(std::move(request), [pipe, done](Result<net::HttpResponse> r) {
    pipe->Abort();
    done->set_value(std::move(r));
  });
  pipe->SetCall(call);

  std::string head = "--" + std::string(kBoundary) +
                     "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"ipfsfs.car\"\r\n"
                     "Content-Type: application/octet-stream\r\n\r\n";
  Bytes first(reinterpret_cast<const std::byte*>(head.data()), reinterpret_cast<const std::byte*>(head.data()) + head.size());
  Append(first, ipld::EncodeCarV1Header({root}));
  pipe->Write(std::move(first));  // false (the node already answered) ends the walk at its first block
  Bytes section;
  auto walked = internal::WalkDepthFirst(
      cache_, root, [&](const ipld::Cid& cid) { return !(cid == root) && present.count(cid.hash()) > 0; },
      [&](const ipld::Cid& cid, const blockcache::Block& block) -> Status {
        if (block.size() > block_limit) {
          return MakeError(ErrorCode::kTooLarge, "block " + cid.ToString() + " is " + std::to_string(block.size()) +
                                                     " bytes, over the node's limit of " +
                                                     std::to_string(block_limit) + " (sync with smaller chunks)");
        }
        section.clear();
        ipld::AppendCarSection(section, cid, block.bytes());
        // The node answered before the end (an error): stop reading blocks.
        if (!pipe->Write(std::move(section))) return MakeError(ErrorCode::kCancelled, "the upload ended early");
        section = Bytes();
        return OkStatus();
      });
  if (!walked) {
    pipe->Abort();
    call->Cancel();
    auto r = answer.get();  // the node's own reason, when it gave one, says more
    if (r && (r->status != 200 || !r->stream_error.empty())) return tl::unexpected(KuboError("dag/import", *r));
    return tl::unexpected(walked.error());
  }
  blocks = walked->blocks;
  bytes = walked->bytes;
  std::string tail = "\r\n--" + std::string(kBoundary) + "--\r\n";
  pipe->Write(Bytes(reinterpret_cast<const std::byte*>(tail.data()), reinterpret_cast<const std::byte*>(tail.data()) + tail.size()));
  pipe->Close();
  auto r = answer.get();
  if (!r) return tl::unexpected(r.error().Wrap("dag/import"));
  if (r->status != 200 || !r->stream_error.empty()) return tl::unexpected(KuboError("dag/import", *r));
  return std::string(reinterpret_cast<const char*>(r->body.data()), r->body.size());
}

Result<std::string> KuboTarget::Publish(const PublishRequest& request) {
  const std::string root = request.root.ToString();
  IPFSFS_ASSIGN_OR_RETURN(size_t limit, BlockLimit());
  IPFSFS_ASSIGN_OR_RETURN(auto node, Identify());
  PinState state = PinState::Load(options_.state_file);
  std::vector<std::string> pinned = state.Pinned(node.peer_id);

  // What the node holds for sure: the root ipfsfs pinned there last, if still pinned.
  std::optional<ipld::Cid> have;
  if (!pinned.empty() && pinned.back() != root) {
    if (Call("pin/ls", "arg=" + pinned.back() + "&type=recursive")) {
      if (auto cid = ipld::Cid::Parse(pinned.back())) have = *cid;
    }
  }
  uint64_t blocks = 0, bytes = 0;
  IPFSFS_ASSIGN_OR_RETURN(auto answer, Import(request.root, have, limit, blocks, bytes));
  // One JSON value per line: {"Root":{"Cid":{"/":…},"PinErrorMsg":…}}, maybe {"Stats":…}.
  bool root_seen = false;
  std::istringstream lines(answer);
  for (std::string line; std::getline(lines, line);) {
    auto json = nlohmann::json::parse(line, nullptr, false);
    if (json.is_discarded() || !json.is_object() || !json.contains("Root")) continue;
    const auto& r = json["Root"];
    std::string pin_error = r.value("PinErrorMsg", "");
    if (!pin_error.empty()) return MakeError(ErrorCode::kUnavailable, "pinning " + root + " failed: " + pin_error);
    if (r.contains("Cid") && r["Cid"].is_object() && r["Cid"].value("/", "") == root) root_seen = true;
  }
  if (!root_seen) return MakeError(ErrorCode::kUnavailable, "dag/import did not report " + root + " pinned");

  std::vector<std::string> kept{root};
  std::string unpinned;
  std::string unpin_error;
  for (const auto& old : pinned) {
    if (old == root) continue;
    auto r = Call("pin/rm", "arg=" + old);
    if (r || r.error().message.find("not pinned") != std::string::npos) {
      unpinned += (unpinned.empty() ? "" : ", ") + old;
    } else {
      kept.insert(kept.begin(), old);  // tried again after the next sync
      unpin_error = r.error().message;
    }
  }
  state.Set(node.peer_id, options_.api_url, kept);
  IPFSFS_RETURN_IF_ERROR(state.Save(options_.state_file));
  std::string line = std::to_string(blocks) + " blocks (" + std::to_string(bytes) + " bytes) sent to " +
                     options_.api_url + ", pinned " + root;
  if (have) line += ", " + have->ToString() + "'s blocks skipped";
  if (!unpinned.empty()) line += ", unpinned " + unpinned;
  if (!unpin_error.empty()) line += " (unpinning the old root failed: " + unpin_error + ")";
  return line;
}

}  // namespace ipfsfs::publish
