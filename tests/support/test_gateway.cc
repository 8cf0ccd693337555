#include "tests/support/test_gateway.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "ipld/car.h"
#include "ipld/dag_pb.h"
#include "ipld/ipns_name.h"
#include "ipld/ipns_validation.h"
#include "ipld/multibase.h"
#include "ipld/unixfs.h"

namespace ipfsfs::testing {
namespace {

using ipld::Cid;
using ipld::Multihash;

struct Request {
  std::string method;
  std::string path;
  std::map<std::string, std::string> query;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string UrlDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i] == '+' ? ' ' : s[i]);
    }
  }
  return out;
}

class Gateway : public TestGateway {
 public:
  explicit Gateway(TestGatewayOptions options) : options_(options), flaky_percent_(options.flaky_percent) {}

  ~Gateway() override {
    stop_ = true;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
    }
    if (acceptor_.joinable()) acceptor_.join();
    std::vector<std::thread> threads;
    {
      std::lock_guard<std::mutex> lock(mu_);
      threads.swap(threads_);
    }
    for (auto& t : threads) t.join();
    if (listen_fd_ >= 0) ::close(listen_fd_);
  }

  Status Listen() {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listen_fd_ < 0) return MakeError(ErrorCode::kInternal, "socket: " + std::string(strerror(errno)));
    int one = 1;
    setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(options_.port);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0 || ::listen(listen_fd_, 128) < 0) {
      return MakeError(ErrorCode::kUnavailable, "bind/listen: " + std::string(strerror(errno)));
    }
    socklen_t len = sizeof addr;
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { Accept(); });
    return OkStatus();
  }

  std::string url() const override { return "http://127.0.0.1:" + std::to_string(port_); }

  void AddBlock(const Cid& cid, Bytes data) override {
    std::lock_guard<std::mutex> lock(mu_);
    blocks_[cid.hash()] = std::make_shared<const Bytes>(std::move(data));
  }
  void SetIpnsRecord(const std::string& name, Bytes record) override {
    auto mh = ipld::ParseIpnsName(name);
    std::lock_guard<std::mutex> lock(mu_);
    records_[mh ? ipld::FormatIpnsName(*mh) : name] = std::make_shared<const Bytes>(std::move(record));
  }
  void SetIpnsRecordFile(const std::string& name, const std::string& path) override {
    auto mh = ipld::ParseIpnsName(name);
    std::lock_guard<std::mutex> lock(mu_);
    record_files_[mh ? ipld::FormatIpnsName(*mh) : name] = path;
  }
  void RemoveIpnsRecord(const std::string& name) override {
    auto mh = ipld::ParseIpnsName(name);
    std::lock_guard<std::mutex> lock(mu_);
    records_.erase(mh ? ipld::FormatIpnsName(*mh) : name);
    record_files_.erase(mh ? ipld::FormatIpnsName(*mh) : name);
  }
  uint64_t IpnsRecordRequests() const override { return record_requests_; }
  void SetProviders(std::vector<std::string> gateway_urls) override {
    std::lock_guard<std::mutex> lock(mu_);
    providers_ = std::move(gateway_urls);
  }
  uint64_t ProviderRequests() const override { return provider_requests_; }
  uint64_t IpnsRecordPuts() const override { return record_puts_; }

  void RemoveBlock(const Cid& cid) override {
    std::lock_guard<std::mutex> lock(mu_);
    blocks_.erase(cid.hash());
  }
  Result<std::vector<Cid>> AddCar(const std::string& path) override {
    std::ifstream in(path, std::ios::binary);
    if (!in) return MakeError(ErrorCode::kNotFound, "cannot open " + path);
    ipld::CarParser parser;
    std::vector<char> buf(1 << 20);
    std::vector<Cid> roots;
    while (true) {
      in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
      std::streamsize n = in.gcount();
      if (n > 0) parser.Feed(ByteSpan(reinterpret_cast<const std::byte*>(buf.data()), static_cast<size_t>(n)));
      if (n <= 0) parser.Finish();
      while (true) {
        IPFSFS_ASSIGN_OR_RETURN(auto block, parser.Next());
        if (!block) break;
        AddBlock(block->cid, std::move(block->data));
      }
      if (parser.at_end()) break;
      if (n <= 0) return MakeError(ErrorCode::kCorrupt, path + ": truncated CAR");
    }
    if (parser.header()) roots = parser.header()->roots;
    return roots;
  }

  void SetFault(Fault fault) override {
    std::lock_guard<std::mutex> lock(mu_);
    global_fault_ = fault;
  }
  void SetFault(const Cid& cid, Fault fault) override {
    std::lock_guard<std::mutex> lock(mu_);
    faults_[cid.hash()] = fault;
  }
  void ClearFaults() override {
    std::lock_guard<std::mutex> lock(mu_);
    faults_.clear();
    global_fault_ = Fault::kNone;
  }
  void SetFlaky(unsigned percent) override {
    std::lock_guard<std::mutex> lock(mu_);
    flaky_percent_ = percent;
  }
  uint64_t RequestCount(const Cid& cid) const override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = counts_.find(cid.hash());
    return it == counts_.end() ? 0 : it->second;
  }
  uint64_t TotalRequests() const override { return total_.load(); }
  uint64_t BytesSent() const override { return bytes_sent_.load(); }
  void ResetCounts() override {
    std::lock_guard<std::mutex> lock(mu_);
    counts_.clear();
    total_ = 0;
    bytes_sent_ = 0;
  }

 private:
  void Accept() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      std::lock_guard<std::mutex> lock(mu_);
      open_fds_.insert(fd);
      threads_.emplace_back([this, fd] {
        Serve(fd);
        std::lock_guard<std::mutex> l(mu_);
        open_fds_.erase(fd);
        ::close(fd);
      });
    }
  }

  // Reads until "\r\n\r\n" (and a Content-Length body); false on close or stop.
  bool ReadRequest(int fd, std::string& pending, Request& req) {
    size_t end;
    while ((end = pending.find("\r\n\r\n")) == std::string::npos) {
      if (!ReadMore(fd, pending)) return false;
    }
    std::string head = pending.substr(0, end);
    pending.erase(0, end + 4);
    size_t line_end = head.find("\r\n");
    std::string line = head.substr(0, line_end);
    size_t sp1 = line.find(' '), sp2 = line.rfind(' ');
    if (sp1 == std::string::npos || sp2 == sp1) return false;
    req.method = line.substr(0, sp1);
    std::string target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    size_t q = target.find('?');
    req.path = UrlDecode(target.substr(0, q));
    if (q != std::string::npos) {
      std::string query = target.substr(q + 1);
      size_t pos = 0;
      while (pos <= query.size()) {
        size_t amp = query.find('&', pos);
        std::string kv = query.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
        size_t eq = kv.find('=');
        if (!kv.empty()) req.query[UrlDecode(kv.substr(0, eq))] = eq == std::string::npos ? "" : UrlDecode(kv.substr(eq + 1));
        if (amp == std::string::npos) break;
        pos = amp + 1;
      }
    }
    size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
    while (pos < head.size()) {
      size_t e = head.find("\r\n", pos);
      if (e == std::string::npos) e = head.size();
      std::string h = head.substr(pos, e - pos);
      size_t colon = h.find(':');
      if (colon != std::string::npos) {
        std::string value = h.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.erase(0, 1);
        req.headers[Lower(h.substr(0, colon))] = value;
      }
      pos = e + 2;
    }
    if (auto it = req.headers.find("content-length"); it != req.headers.end()) {
      size_t len = std::stoul(it->second);
      if (req.headers.count("expect") && Lower(req.headers.at("expect")) == "100-continue") {
        if (!Send(fd, "HTTP/1.1 100 Continue\r\n\r\n")) return false;
      }
      while (pending.size() < len) {
        if (!ReadMore(fd, pending)) return false;
      }
      req.body = pending.substr(0, len);
      pending.erase(0, len);
    }
    return true;
  }

  bool ReadMore(int fd, std::string& pending) {
    char buf[8192];
    while (!stop_) {
      pollfd p{fd, POLLIN, 0};
      int r = ::poll(&p, 1, 50);
      if (r == 0) continue;
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return false;
      pending.append(buf, static_cast<size_t>(n));
      return true;
    }
    return false;
  }

  // Waits for the cap's turn of `n` bytes: one schedule for all connections.
  void Pace(size_t n) {
    if (options_.rate_bytes_per_second == 0) return;
    std::chrono::steady_clock::time_point at;
    {
      std::lock_guard<std::mutex> lock(pace_mu_);
      auto now = std::chrono::steady_clock::now();
      if (pace_next_ < now) pace_next_ = now;
      at = pace_next_;
      pace_next_ += std::chrono::nanoseconds(n * 1'000'000'000ull / options_.rate_bytes_per_second);
    }
    std::this_thread::sleep_until(at);
  }

  bool Send(int fd, std::string_view data) {
    while (!data.empty()) {
      if (stop_) return false;
      size_t piece = options_.rate_bytes_per_second ? std::min<size_t>(data.size(), 64u << 10) : data.size();
      Pace(piece);
      ssize_t n = ::send(fd, data.data(), piece, MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes_sent_ += static_cast<uint64_t>(n);
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Waits until the client hangs up or the server stops.
  void Stall(int fd) {
    char buf[4096];
    while (!stop_) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 50) > 0) {
        if (::recv(fd, buf, sizeof buf, 0) <= 0) return;
      }
    }
  }

  bool Respond(int fd, int status, std::string_view reason, std::string_view type, std::string_view body,
               bool head_only = false) {
    std::string h = "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) + "\r\nContent-Type: " +
                    std::string(type) + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n";
    if (!Send(fd, h)) return false;
    return head_only || Send(fd, body);
  }

  Fault FaultFor(const Multihash& mh) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = faults_.find(mh);
    Fault fault = it != faults_.end() ? it->second : global_fault_;
    if (fault == Fault::kNone && flaky_percent_ > 0 && flaky_rng_() % 100 < flaky_percent_) {
      return Fault::kStatus500;
    }
    return fault;
  }

  std::shared_ptr<const Bytes> Find(const Multihash& mh) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = blocks_.find(mh);
    return it == blocks_.end() ? nullptr : it->second;
  }

  // The bytes a faulty gateway would send for `mh`.
  Bytes Damage(const Multihash& mh, const Bytes& data, Fault fault) {
    Bytes out = data;
    if (fault == Fault::kCorrupt) {
      if (out.empty()) out.push_back(std::byte{0x42});
      else out[out.size() / 2] ^= std::byte{0x01};
    } else if (fault == Fault::kWrongBlock) {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto& [other, bytes] : blocks_) {
        if (!(other == mh) && *bytes != data) return *bytes;
      }
      out.push_back(std::byte{0});
    }
    return out;
  }

  void Serve(int fd) {
    std::string pending;
    while (!stop_) {
      Request req;
      if (!ReadRequest(fd, pending, req)) return;
      ++total_;
      if (!Handle(fd, req)) return;
    }
  }

  // False when the connection must close.
  bool Handle(int fd, const Request& req) {
    bool head_only = req.method == "HEAD";
    std::string cid_text;
    std::string format;
    std::string scope = "all";
    std::optional<std::pair<uint64_t, uint64_t>> bytes;  // entity-bytes, inclusive; UINT64_MAX for *
    bool kubo = false;
    if (options_.latency.count() > 0) std::this_thread::sleep_for(options_.latency);
    if (req.path.rfind("/ipfs/", 0) == 0 && (req.method == "GET" || head_only)) {
      cid_text = req.path.substr(6);
      if (auto slash = cid_text.find('/'); slash != std::string::npos) cid_text.resize(slash);
      if (auto it = req.query.find("format"); it != req.query.end()) format = it->second;
      std::string accept = req.headers.count("accept") ? req.headers.at("accept") : "";
      if (format.empty() && accept.find("application/vnd.ipld.raw") != std::string::npos) format = "raw";
      if (format.empty() && accept.find("application/vnd.ipld.car") != std::string::npos) format = "car";
      if (auto it = req.query.find("dag-scope"); it != req.query.end()) scope = it->second;
      if (auto it = req.query.find("entity-bytes"); it != req.query.end()) {
        // FROM:TO with TO inclusive or "*" (negative offsets are not served here).
        const std::string& v = it->second;
        auto colon = v.find(':');
        char* end = nullptr;
        uint64_t from = colon == std::string::npos ? 0 : std::strtoull(v.c_str(), &end, 10);
        if (colon == std::string::npos || end != v.c_str() + colon || v[0] == '-') {
          return Respond(fd, 400, "Bad Request", "text/plain", "bad entity-bytes\n");
        }
        std::string to_text = v.substr(colon + 1);
        uint64_t to = UINT64_MAX;
        if (to_text != "*") {
          to = std::strtoull(to_text.c_str(), &end, 10);
          if (to_text.empty() || *end != '\0' || to_text[0] == '-' || to < from) {
            return Respond(fd, 400, "Bad Request", "text/plain", "bad entity-bytes\n");
          }
        }
        bytes = std::pair{from, to};
        scope = "entity";
      }
    } else if (req.path == "/api/v0/block/get" && req.method == "POST") {
      kubo = true;
      format = "raw";
      cid_text = req.query.count("arg") ? req.query.at("arg") : "";
    } else if (req.path == "/api/v0/dag/export" && req.method == "POST") {
      kubo = true;
      format = "car";
      cid_text = req.query.count("arg") ? req.query.at("arg") : "";
    } else if (req.path.rfind("/ipns/", 0) == 0 && (req.method == "GET" || head_only)) {
      // Only a client asking for a record gets one (a deserializing gateway would send content).
      std::string accept = req.headers.count("accept") ? req.headers.at("accept") : "";
      if (accept.find("application/vnd.ipfs.ipns-record") == std::string::npos &&
          (req.query.count("format") == 0 || req.query.at("format") != "ipns-record")) {
        return Respond(fd, 501, "Not Implemented", "text/plain", "only ipns-record responses\n");
      }
      return SendRecord(fd, req.path.substr(6), head_only, false);
    } else if (req.path.rfind("/routing/v1/ipns/", 0) == 0 && (req.method == "GET" || head_only)) {
      return SendRecord(fd, req.path.substr(17), head_only, false);
    } else if (req.path.rfind("/routing/v1/providers/", 0) == 0 && req.method == "GET") {
      return SendProviders(fd);
    } else if (req.path.rfind("/routing/v1/ipns/", 0) == 0 && req.method == "PUT") {
      return PutRecord(fd, req.path.substr(17), req);
    } else if (req.path == "/api/v0/routing/put" && req.method == "POST") {
      return KuboPutRecord(fd, req);
    } else if (req.path == "/api/v0/routing/get" && req.method == "POST") {
      std::string arg = req.query.count("arg") ? req.query.at("arg") : "";
      if (arg.rfind("/ipns/", 0) != 0) return Respond(fd, 400, "Bad Request", "text/plain", "not /ipns/\n");
      return SendRecord(fd, arg.substr(6), false, true);
    } else if (req.path == "/debug/counts" && req.method == "GET") {
      // Read before this answer is sent: it is not counted in itself.
      std::string body = "{\"requests\": " + std::to_string(total_.load()) +
                         ", \"bytes_sent\": " + std::to_string(bytes_sent_.load()) + "}\n";
      return Respond(fd, 200, "OK", "application/json", body);
    } else {
      return Respond(fd, 404, "Not Found", "text/plain", "no such endpoint\n");
    }
    auto cid = Cid::Parse(cid_text);
    if (!cid) return Respond(fd, 400, "Bad Request", "text/plain", cid.error().message + "\n");
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++counts_[cid->hash()];
    }
    if (format == "car" && !options_.serve_cars) {
      return Respond(fd, 501, "Not Implemented", "text/plain", "no CAR responses here\n");
    }
    if (format != "raw" && format != "car") {
      return Respond(fd, 400, "Bad Request", "text/plain", "trustless gateway: format=raw or format=car needed\n");
    }
    Fault fault = FaultFor(cid->hash());
    switch (fault) {
      case Fault::kStatus500:
        return Respond(fd, 500, "Internal Server Error", "text/plain", "injected failure\n");
      case Fault::kStatus404:
        return Respond(fd, 404, "Not Found", "text/plain", "injected: not found\n");
      case Fault::kStall:
        Stall(fd);
        return false;
      case Fault::kWrongContentType:
        return Respond(fd, 200, "OK", "text/html", "<!doctype html><html><body>hello</body></html>\n");
      default:
        break;
    }
    auto data = Find(cid->hash());
    if (!data) {
      if (kubo) {
        return Respond(fd, 500, "Internal Server Error", "application/json",
                       "{\"Message\":\"block was not found locally (offline): ipld: could not find " +
                           cid->ToString() + "\",\"Code\":0,\"Type\":\"error\"}\n");
      }
      return Respond(fd, 404, "Not Found", "text/plain", "ipfs: block not found\n");
    }
    if (format == "raw") return SendRaw(fd, *cid, *data, fault, head_only, kubo);
    return SendCar(fd, *cid, scope, bytes, fault, head_only);
  }

  // Delegated routing PUT as boxo's server checks it (publish.md §3.1): the
  // content type (406), the name a CIDv1 libp2p-key (400), the record at most
  // 10 KiB and valid for that name (400); then it is served back.
  bool PutRecord(int fd, const std::string& name_text, const Request& req) {
    std::string type = req.headers.count("content-type") ? req.headers.at("content-type") : "";
    if (type != "application/vnd.ipfs.ipns-record") {
      return Respond(fd, 406, "Not Acceptable", "text/plain", "content type must be application/vnd.ipfs.ipns-record\n");
    }
    auto cid = Cid::Parse(name_text);
    if (!cid || cid->version() != 1 || cid->codec() != 0x72) {
      return Respond(fd, 400, "Bad Request", "text/plain", "name must be a CIDv1 with the libp2p-key codec\n");
    }
    return StoreRecord(fd, cid->hash(), req.body, false);
  }

  // kubo's routing/put: arg=/ipns/<name>, the record as a multipart file.
  bool KuboPutRecord(int fd, const Request& req) {
    std::string arg = req.query.count("arg") ? req.query.at("arg") : "";
    auto fail = [&](const std::string& why) {
      return Respond(fd, 500, "Internal Server Error", "application/json",
                     R"({"Message":")" + why + R"(","Code":0,"Type":"error"})" "\n");
    };
    if (arg.rfind("/ipns/", 0) != 0) return fail("invalid key");
    auto name = ipld::ParseIpnsName(arg.substr(6));
    if (!name) return fail("invalid key");
    if (!req.query.count("allow-offline") || req.query.at("allow-offline") != "true") {
      return fail("can't put while offline: pass --allow-offline to override");
    }
    std::string type = req.headers.count("content-type") ? req.headers.at("content-type") : "";
    auto b = type.find("boundary=");
    if (type.rfind("multipart/form-data", 0) != 0 || b == std::string::npos) return fail("no multipart body");
    std::string boundary = "--" + type.substr(b + 9);
    size_t start = req.body.find(boundary);
    size_t head_end = start == std::string::npos ? start : req.body.find("\r\n\r\n", start);
    size_t end = head_end == std::string::npos ? head_end : req.body.find("\r\n" + boundary, head_end + 4);
    if (end == std::string::npos) return fail("malformed multipart body");
    return StoreRecord(fd, *name, req.body.substr(head_end + 4, end - head_end - 4), true);
  }

  bool StoreRecord(int fd, const Multihash& name, const std::string& body, bool kubo) {
    auto now = ipld::Timestamp::FromTimePoint(std::chrono::system_clock::now());
    auto record = ipld::VerifyIpnsRecord(AsBytes(body), name, now);
    if (!record) {
      if (kubo) {
        return Respond(fd, 500, "Internal Server Error", "application/json",
                       R"({"Message":"invalid record","Code":0,"Type":"error"})" "\n");
      }
      return Respond(fd, 400, "Bad Request", "text/plain", record.error().message + "\n");
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      records_[ipld::FormatIpnsName(name)] = std::make_shared<const Bytes>(ToBytes(body));
    }
    ++record_puts_;
    if (kubo) {
      return Respond(fd, 200, "OK", "application/json",
                     R"({"ID":")" + ipld::FormatPeerIdBase58(name) + R"(","Type":5,"Responses":null,"Extra":""})" "\n");
    }
    return Respond(fd, 200, "OK", "text/plain", "");
  }

  bool SendRecord(int fd, const std::string& name_text, bool head_only, bool kubo) {
    auto name = ipld::ParseIpnsName(name_text);
    if (!name) return Respond(fd, 400, "Bad Request", "text/plain", name.error().message + "\n");
    ++record_requests_;
    std::shared_ptr<const Bytes> record;
    std::string file;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = records_.find(ipld::FormatIpnsName(*name));
      if (it != records_.end()) record = it->second;
      auto f = record_files_.find(ipld::FormatIpnsName(*name));
      if (f != record_files_.end()) file = f->second;
    }
    if (!file.empty()) {
      std::ifstream in(file, std::ios::binary);
      if (in) {
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        record = std::make_shared<const Bytes>(ToBytes(text));
      }
    }
    if (!record) {
      if (kubo) {
        return Respond(fd, 500, "Internal Server Error", "application/json",
                       R"({"Message":"routing: not found","Code":0,"Type":"error"})"
                       "\n");
      }
      return Respond(fd, 404, "Not Found", "text/plain", "ipns record not found\n", head_only);
    }
    if (kubo) {
      std::string extra = ipld::EncodeWithoutPrefix(ipld::Multibase::kBase64Pad, *record);
      return Respond(fd, 200, "OK", "application/json",
                     R"({"Extra":")" + extra +
                         R"(","ID":"","Responses":null,"Type":5})"
                         "\n");
    }
    return Respond(fd, 200, "OK", "application/vnd.ipfs.ipns-record", AsText(*record), head_only);
  }

  bool SendRaw(int fd, const Cid& cid, const Bytes& data, Fault fault, bool head_only, bool kubo) {
    Bytes body = Damage(cid.hash(), data, fault);
    std::string type = kubo ? "text/plain" : "application/vnd.ipld.raw";
    std::string h = "HTTP/1.1 200 OK\r\nContent-Type: " + type + "\r\nContent-Length: " + std::to_string(body.size()) +
                    "\r\nCache-Control: public, max-age=29030400, immutable\r\n\r\n";
    if (!Send(fd, h)) return false;
    if (head_only) return true;
    std::string_view text = AsText(body);
    if (fault == Fault::kTruncate) {
      Send(fd, text.substr(0, text.size() / 2));
      return false;
    }
    if (fault == Fault::kSlow) return SendSlow(fd, text);
    return Send(fd, text);
  }

  bool SendSlow(int fd, std::string_view text) {
    while (!text.empty()) {
      size_t n = std::min(text.size(), options_.slow_chunk);
      if (!Send(fd, text.substr(0, n))) return false;
      text.remove_prefix(n);
      std::this_thread::sleep_for(options_.slow_delay);
    }
    return true;
  }

  // The DFS order of blocks a CAR of `scope` under `root` holds; stops at the
  // first missing block (the response then ends early, as the spec allows).
  // With `bytes` (entity-bytes, inclusive), a file's children outside the
  // range are left out; `base` is the file offset where this node's bytes start.
  void Walk(const Cid& cid, const std::string& scope, bool is_root, std::set<Multihash>& seen,
            std::vector<std::pair<Cid, std::shared_ptr<const Bytes>>>& out, bool& missing,
            const std::optional<std::pair<uint64_t, uint64_t>>& bytes = std::nullopt, uint64_t base = 0) {
    if (missing || seen.count(cid.hash())) return;
    auto data = Find(cid.hash());
    if (!data) {
      missing = true;
      return;
    }
    seen.insert(cid.hash());
    out.emplace_back(cid, data);
    if (scope == "block" || cid.codec() != static_cast<uint64_t>(ipld::Codec::kDagPb)) return;
    auto node = ipld::DecodePbNode(*data);
    if (!node) return;
    bool follow = true;
    bool hamt = false;
    std::optional<ipld::UnixfsData> file;
    if (scope == "entity" && node->data) {
      auto fs = ipld::DecodeUnixfsData(*node->data);
      if (fs && fs->type == ipld::UnixfsType::kDirectory) follow = false;
      if (fs && fs->type == ipld::UnixfsType::kHamtShard) hamt = true;
      if (fs && (fs->type == ipld::UnixfsType::kFile || fs->type == ipld::UnixfsType::kRaw)) file = std::move(*fs);
    }
    if (!follow) return;
    (void)is_root;
    uint64_t pos = base + (file && file->data ? file->data->size() : 0);
    for (size_t i = 0; i < node->links.size(); ++i) {
      const auto& link = node->links[i];
      // Inside a HAMT entity only the shard's own internal nodes (bare-prefix names).
      if (hamt && link.name && link.name->size() > 2) continue;
      uint64_t start = pos;
      if (file && i < file->blocksizes.size()) pos += file->blocksizes[i];
      if (bytes && file && i < file->blocksizes.size()) {
        if (pos <= bytes->first || start > bytes->second) continue;  // holds none of the asked bytes
      }
      Walk(link.hash, scope, false, seen, out, missing, bytes, start);
    }
  }

  bool SendChunk(int fd, std::string_view data) {
    if (data.empty()) return true;
    char size[32];
    snprintf(size, sizeof size, "%zx\r\n", data.size());
    return Send(fd, size) && Send(fd, data) && Send(fd, "\r\n");
  }

  bool SendCar(int fd, const Cid& root, const std::string& scope,
               const std::optional<std::pair<uint64_t, uint64_t>>& bytes, Fault fault, bool head_only) {
    std::string h =
        "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.ipld.car; version=1; order=dfs; dups=n\r\n"
        "Transfer-Encoding: chunked\r\n\r\n";
    if (!Send(fd, h)) return false;
    if (head_only) return SendChunk(fd, "") && Send(fd, "0\r\n\r\n");
    std::set<Multihash> seen;
    std::vector<std::pair<Cid, std::shared_ptr<const Bytes>>> order;
    bool missing = false;
    Walk(root, scope, true, seen, order, missing, bytes);
    Bytes buf = ipld::EncodeCarV1Header({root});
    uint64_t total = buf.size();
    for (auto& [cid, data] : order) total += data->size() + 64;
    uint64_t sent = 0;
    for (auto& [cid, data] : order) {
      Fault f = FaultFor(cid.hash());
      if (f == Fault::kCorrupt || f == Fault::kWrongBlock) {
        Bytes bad = Damage(cid.hash(), *data, f);
        ipld::AppendCarSection(buf, cid, bad);
      } else {
        ipld::AppendCarSection(buf, cid, *data);
      }
      if (buf.size() >= (256u << 10)) {
        if (fault == Fault::kTruncate && sent + buf.size() > total / 2) {
          SendChunk(fd, AsText(buf).substr(0, buf.size() / 2));
          return false;
        }
        bool ok = fault == Fault::kSlow ? SendSlowChunk(fd, AsText(buf)) : SendChunk(fd, AsText(buf));
        if (!ok) return false;
        sent += buf.size();
        buf.clear();
      }
    }
    if (fault == Fault::kTruncate || missing) {
      SendChunk(fd, AsText(buf).substr(0, fault == Fault::kTruncate ? buf.size() / 2 : buf.size()));
      return false;  // no terminating chunk: the client sees an incomplete body
    }
    bool ok = fault == Fault::kSlow ? SendSlowChunk(fd, AsText(buf)) : SendChunk(fd, AsText(buf));
    return ok && Send(fd, "0\r\n\r\n");
  }

  bool SendSlowChunk(int fd, std::string_view data) {
    while (!data.empty()) {
      size_t n = std::min(data.size(), options_.slow_chunk);
      if (!SendChunk(fd, data.substr(0, n))) return false;
      data.remove_prefix(n);
      std::this_thread::sleep_for(options_.slow_delay);
    }
    return true;
  }

  TestGatewayOptions options_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread acceptor_;
  std::atomic<uint64_t> total_{0};
  bool SendProviders(int fd) {
    ++provider_requests_;
    std::vector<std::string> urls;
    {
      std::lock_guard<std::mutex> lock(mu_);
      urls = providers_;
    }
    if (urls.empty()) return Respond(fd, 404, "Not Found", "text/plain", "no providers\n");
    std::string body = R"({"Providers":[{"Schema":"peer","ID":"12D3KooWBitswapOnly","Addrs":["/ip4/127.0.0.1/tcp/4001"],)"
                       R"("Protocols":["transport-bitswap"]})";
    for (const auto& url : urls) {
      std::string hostport = url.substr(url.find("//") + 2);
      std::string host = hostport.substr(0, hostport.rfind(':')), port = hostport.substr(hostport.rfind(':') + 1);
      body += R"(,{"Schema":"peer","ID":"12D3KooWGateway)" + port + R"(","Addrs":["/ip4/)" + host + "/tcp/" + port +
              R"(/http"],"Protocols":["transport-ipfs-gateway-http"]})";
    }
    body += "]}";
    return Respond(fd, 200, "OK", "application/json", body);
  }

  std::mutex pace_mu_;
  std::chrono::steady_clock::time_point pace_next_{};  // GUARDED_BY(pace_mu_)
  std::atomic<uint64_t> bytes_sent_{0};
  mutable std::mutex mu_;
  std::vector<std::string> providers_;                               // GUARDED_BY(mu_)
  std::atomic<uint64_t> provider_requests_{0};
  std::vector<std::thread> threads_;                                 // GUARDED_BY(mu_)
  std::set<int> open_fds_;                                           // GUARDED_BY(mu_)
  std::map<Multihash, std::shared_ptr<const Bytes>> blocks_;         // GUARDED_BY(mu_)
  std::map<Multihash, Fault> faults_;                                // GUARDED_BY(mu_)
  std::map<std::string, std::shared_ptr<const Bytes>> records_;      // GUARDED_BY(mu_): canonical name → record
  std::map<std::string, std::string> record_files_;                  // GUARDED_BY(mu_): canonical name → file
  std::atomic<uint64_t> record_requests_{0};
  std::atomic<uint64_t> record_puts_{0};
  Fault global_fault_ = Fault::kNone;                                // GUARDED_BY(mu_)
  unsigned flaky_percent_ = 0;                                       // GUARDED_BY(mu_)
  std::minstd_rand flaky_rng_{12345};                                // GUARDED_BY(mu_)
  std::map<Multihash, uint64_t> counts_;                             // GUARDED_BY(mu_)
};

constexpr std::pair<Fault, std::string_view> kFaultNames[] = {
    {Fault::kNone, "none"},
    {Fault::kCorrupt, "corrupt"},
    {Fault::kWrongBlock, "wrong-block"},
    {Fault::kTruncate, "truncate"},
    {Fault::kStatus500, "500"},
    {Fault::kStatus404, "404"},
    {Fault::kStall, "stall"},
    {Fault::kSlow, "slow"},
    {Fault::kWrongContentType, "wrong-content-type"},
};

}  // namespace

std::optional<Fault> FaultFromName(std::string_view name) {
  for (auto& [f, n] : kFaultNames) {
    if (n == name) return f;
  }
  return std::nullopt;
}

std::string_view FaultName(Fault fault) {
  for (auto& [f, n] : kFaultNames) {
    if (f == fault) return n;
  }
  return "?";
}

Result<std::unique_ptr<TestGateway>> TestGateway::Start(TestGatewayOptions options) {
  auto gw = std::make_unique<Gateway>(options);
  IPFSFS_RETURN_IF_ERROR(gw->Listen());
  return std::unique_ptr<TestGateway>(std::move(gw));
}

}  // namespace ipfsfs::testing
