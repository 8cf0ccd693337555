// The kubo target without a node: its Authorization header and its errors
// when the node is not there (the js-ipfs node tests are in publish_peer_test).
#include "publish/kubo_target.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <functional>
#include <thread>

#include "tests/publish/fixture.h"
#include "writeback/cache_sink.h"
#include "writeback/importer.h"

namespace ipfsfs::publish {
namespace {

TEST_CASE("kubo auth: the header kubo derives from an API.Authorizations secret", "[publish]") {
  CHECK(*KuboAuthorization("basic:alice:secret") == "Basic YWxpY2U6c2VjcmV0");
  CHECK(*KuboAuthorization("basic:YWxpY2U6c2VjcmV0") == "Basic YWxpY2U6c2VjcmV0");
  CHECK(*KuboAuthorization("bearer:tok") == "Bearer tok");
  CHECK(*KuboAuthorization("tok") == "Bearer tok");
  CHECK_FALSE(KuboAuthorization(""));
  CHECK_FALSE(KuboAuthorization("basic:"));
  CHECK_FALSE(KuboAuthorization("bearer:"));
}

TEST_CASE("kubo target: a node that is not there is one clear, retryable error", "[publish]") {
  testing::TempDir t;
  auto cache = testing::MemoryCache();
  auto engine = net::HttpEngine::Create();
  REQUIRE(engine);
  // Port 9 (discard) on loopback: nothing listens there.
  KuboTarget target({"http://127.0.0.1:9", "", t.path + "/pins.json"}, **engine, *cache);
  auto r = target.Publish({ipld::Cid::V1(ipld::Codec::kRaw, ipld::Multihash::Sha256(AsBytes("x"))), std::nullopt});
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::kUnavailable);
  CHECK(r.error().message.rfind("version: http://127.0.0.1:9/api/v0/version: ", 0) == 0);
  CHECK(r.error().message.find('\n') == std::string::npos);
}

// A kubo RPC that fails the way kubo does (publish.md §1.1): version and id
// answer; dag/import reads part of the upload, then answers `import` (raw
// HTTP) and closes. One connection at a time; a thread, stopped by the destructor.
class FailingKubo {
 public:
  explicit FailingKubo(std::string import_answer,
                       std::string version = R"({"Version":"0.40.0","Golang":"go1.24"})")
      : import_answer_(std::move(import_answer)), version_(std::move(version)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    REQUIRE(::listen(fd_, 8) == 0);
    thread_ = std::thread([this] { Serve(); });
  }
  ~FailingKubo() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  uint64_t import_bytes() const { return import_bytes_; }

  static std::string Reply(const std::string& status, const std::string& type, const std::string& body) {
    return "HTTP/1.1 " + status + "\r\nContent-Type: " + type + "\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\nConnection: close\r\n\r\n" + body;
  }
 private:
  void Serve() {
    while (!stop_) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::string request;
      char buf[65536];
      while (request.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = ::read(c, buf, sizeof buf);
        if (n <= 0) break;
        request.append(buf, static_cast<size_t>(n));
      }
      std::string answer;
      if (request.rfind("POST /api/v0/version", 0) == 0) {
        answer = Reply("200 OK", "application/json", version_);
      } else if (request.rfind("POST /api/v0/id", 0) == 0) {
        answer = Reply("200 OK", "application/json", R"({"ID":"12D3KooWtest","Addresses":[]})");
      } else if (request.rfind("POST /api/v0/dag/import", 0) == 0) {
        // Some of the upload first: the failure comes mid-stream.
        uint64_t got = request.size() - request.find("\r\n\r\n") - 4;
        while (got < 100000) {
          ssize_t n = ::read(c, buf, sizeof buf);
          if (n <= 0) break;
          got += static_cast<uint64_t>(n);
        }
        import_bytes_ = got;
        answer = import_answer_;
      } else {
        answer = Reply("404 Not Found", "text/plain", "404 page not found");
      }
      (void)!::write(c, answer.data(), answer.size());
      ::shutdown(c, SHUT_WR);
      while (::read(c, buf, sizeof buf) > 0) {
      }
      ::close(c);
    }
  }
  std::string import_answer_;
  std::string version_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> import_bytes_{0};
  std::thread thread_;
};

ipld::Cid ImportTree(blockcache::BlockCache& cache, const testing::TempDir& t) {
  testing::MakeTree(t.path + "/site");
  return testing::Import(cache, t.path + "/site");
}

TEST_CASE("kubo target: a 500 with kubo's JSON error mid-upload is one line, nothing recorded as pinned", "[publish]") {
  testing::TempDir t;
  auto cache = testing::MemoryCache();
  const ipld::Cid root = ImportTree(*cache, t);
  FailingKubo node(FailingKubo::Reply(
      "500 Internal Server Error", "application/json",
      R"({"Message":"import failed at block \"bafy\": produced block is over 2MiB","Code":0,"Type":"error"})" "\n"));
  auto engine = net::HttpEngine::Create();
  REQUIRE(engine);
  KuboTarget target({node.url(), "", t.path + "/pins.json"}, **engine, *cache);
  auto r = target.Publish({root, std::nullopt});
  REQUIRE_FALSE(r);
  CHECK(node.import_bytes() >= 100000);  // the upload had begun
  CHECK(r.error().code == ErrorCode::kUnavailable);
  CHECK(r.error().message == "dag/import: import failed at block \"bafy\": produced block is over 2MiB");
  CHECK_FALSE(testing::fs::exists(t.path + "/pins.json"));
}

TEST_CASE("kubo target: a 403 (RPC auth) is plain text and names --api-auth", "[publish]") {
  testing::TempDir t;
  auto cache = testing::MemoryCache();
  const ipld::Cid root = ImportTree(*cache, t);
  FailingKubo node(
      FailingKubo::Reply("403 Forbidden", "text/plain", "Kubo RPC Access Denied: Please provide auth\n"));
  auto engine = net::HttpEngine::Create();
  REQUIRE(engine);
  KuboTarget target({node.url(), "Bearer wrong", t.path + "/pins.json"}, **engine, *cache);
  auto r = target.Publish({root, std::nullopt});
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::kInvalidArgument);
  CHECK(r.error().message ==
        "dag/import: access denied (check --api-auth): Kubo RPC Access Denied: Please provide auth");
}

TEST_CASE("kubo target: a failure after the answer began (X-Stream-Error trailer) is the error", "[publish]") {
  testing::TempDir t;
  auto cache = testing::MemoryCache();
  const ipld::Cid root = ImportTree(*cache, t);
  FailingKubo node("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
                   "Trailer: X-Stream-Error\r\nX-Chunked-Output: 1\r\nConnection: close\r\n\r\n"
                   "0\r\nX-Stream-Error: pinning failed: repo closed\r\n\r\n");
  auto engine = net::HttpEngine::Create();
  REQUIRE(engine);
  KuboTarget target({node.url(), "", t.path + "/pins.json"}, **engine, *cache);
  auto r = target.Publish({root, std::nullopt});
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "dag/import: pinning failed: repo closed");
}

TEST_CASE("kubo target: a block over the node's limit (1 MiB before kubo 0.40, 2 MiB since) fails before the node refuses it", "[publish]") {
  testing::TempDir t;
  auto cache = testing::MemoryCache();
  // One raw leaf of 1.5 MiB: over 0.39's limit, under 0.40's.
  testing::WriteFile(t.path + "/big.bin", std::string(1536 * 1024, 'x'));
  writeback::ImportOptions options;
  options.cid_version = 1;
  options.chunker = "size-1572864";
  writeback::CacheSink sink(*cache);
  auto importer = writeback::Importer::Create(options, sink);
  REQUIRE(importer);
  auto roots = (*importer)->AddPaths({t.path + "/big.bin"}, false, nullptr);
  REQUIRE(roots);
  const ipld::Cid root = roots->back().cid;
  REQUIRE(sink.Finish({root}));
  auto engine = net::HttpEngine::Create();
  REQUIRE(engine);

  FailingKubo old_kubo(FailingKubo::Reply("500 Internal Server Error", "application/json", "{}"),
                       R"({"Version":"0.39.0","Golang":"go1.24"})");
  KuboTarget to_old({old_kubo.url(), "", t.path + "/pins.json"}, **engine, *cache);
  auto r = to_old.Publish({root, std::nullopt});
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::kTooLarge);
  CHECK(r.error().message == "block " + root.ToString() +
                                 " is 1572864 bytes, over the node's limit of 1048576 (sync with smaller chunks)");

  // A kubo >= 0.40 takes it: the upload is made (this fake then fails it).
  FailingKubo new_kubo(FailingKubo::Reply("500 Internal Server Error", "application/json", R"({"Message":"later"})"));
  KuboTarget to_new({new_kubo.url(), "", t.path + "/pins.json"}, **engine, *cache);
  auto r2 = to_new.Publish({root, std::nullopt});
  REQUIRE_FALSE(r2);
  CHECK(r2.error().message == "dag/import: later");
  CHECK(new_kubo.import_bytes() >= 100000);
}

}  // namespace
}  // namespace ipfsfs::publish
