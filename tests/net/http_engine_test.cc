#include "net/http_engine.h"

#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <future>
#include <mutex>
#include <span>
#include <thread>

#include "ipld/car.h"
#include "tests/support/test_dag.h"
#include "tests/support/test_gateway.h"

namespace ipfsfs::net {
namespace {

using testing::Fault;
using testing::MakeRawBlock;
using testing::TestGateway;

std::unique_ptr<HttpEngine> NewEngine(int threads = 1) {
  HttpEngineOptions o;
  o.threads = threads;
  auto e = HttpEngine::Create(o);
  REQUIRE(e);
  return std::move(*e);
}

std::unique_ptr<TestGateway> NewGateway() {
  testing::TestGatewayOptions o;
  o.slow_chunk = 256;
  o.slow_delay = std::chrono::milliseconds(20);
  auto g = TestGateway::Start(o);
  REQUIRE(g);
  return std::move(*g);
}

HttpRequest RawRequest(const TestGateway& gw, const ipld::Cid& cid) {
  HttpRequest r;
  r.url = gw.url() + "/ipfs/" + cid.ToString() + "?format=raw";
  r.headers = {"Accept: application/vnd.ipld.raw"};
  r.timeout = std::chrono::milliseconds(3000);
  return r;
}

// A port nobody listens on: bind, read the port, close.
uint16_t DeadPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

TEST_CASE("a raw block comes back whole with status and content type") {
  auto gw = NewGateway();
  auto engine = NewEngine();
  auto block = MakeRawBlock(100000, 1);
  gw->AddBlock(block.cid, block.data);
  auto r = engine->Fetch(RawRequest(*gw, block.cid));
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->content_type == "application/vnd.ipld.raw");
  CHECK(r->body == block.data);
}

TEST_CASE("http errors are responses, not transport errors") {
  auto gw = NewGateway();
  auto engine = NewEngine();
  auto block = MakeRawBlock(10, 2);
  auto r = engine->Fetch(RawRequest(*gw, block.cid));
  REQUIRE(r);
  CHECK(r->status == 404);
  gw->AddBlock(block.cid, block.data);
  gw->SetFault(Fault::kStatus500);
  r = engine->Fetch(RawRequest(*gw, block.cid));
  REQUIRE(r);
  CHECK(r->status == 500);
  CHECK(AsText(r->body) == "injected failure\n");
}

TEST_CASE("a body over the cap ends the request with kTooLarge") {
  auto gw = NewGateway();
  auto engine = NewEngine();
  auto block = MakeRawBlock(300000, 3);
  gw->AddBlock(block.cid, block.data);
  auto req = RawRequest(*gw, block.cid);
  req.max_body_bytes = 100000;
  auto r = engine->Fetch(req);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::kTooLarge);
}

TEST_CASE("a refused connection is kUnavailable after bounded retries") {
  auto engine = NewEngine();
  HttpRequest req;
  req.url = "http://127.0.0.1:" + std::to_string(DeadPort()) + "/ipfs/x";
  req.max_retries = 2;
  req.retry_backoff = std::chrono::milliseconds(10);
  auto start = std::chrono::steady_clock::now();
  auto r = engine->Fetch(req);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::kUnavailable);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
}

TEST_CASE("a stalled server hits the timeout, not a hang") {
  auto gw = NewGateway();
  auto engine = NewEngine();
  auto block = MakeRawBlock(10, 4);
  gw->AddBlock(block.cid, block.data);
  gw->SetFault(Fault::kStall);
  auto req = RawRequest(*gw, block.cid);
  req.timeout = std::chrono::milliseconds(300);
  auto start = std::chrono::steady_clock::now();
  auto r = engine->Fetch(req);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::kTimeout);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
}

TEST_CASE("cancel answers kCancelled at once") {
  auto gw = NewGateway();
  auto engine = NewEngine();
  auto block = MakeRawBlock(10, 5);
  gw->AddBlock(block.cid, block.data);
  gw->SetFault(Fault::kStall);
  std::promise<Result<HttpResponse>> p;
  auto f = p.get_future();
  auto call = engine->Start(RawRequest(*gw, block.cid), [&](Result<HttpResponse> r) { p.set_value(std::move(r)); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  call->Cancel();
  call->Cancel();  // idempotent
  REQUIRE(f.wait_for(std::chrono::seconds(2)) == std::future_status::ready);
  auto r = f.get();
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::kCancelled);
}

TEST_CASE("on_head can refuse a response unread") {
  auto gw = NewGateway();
  auto engine = NewEngine();
  auto block = MakeRawBlock(10, 6);
  gw->AddBlock(block.cid, block.data);
  gw->SetFault(Fault::kWrongContentType);
  auto req = RawRequest(*gw, block.cid);
  std::string seen;
  req.on_head = [&](long status, std::string_view type) {
    seen = std::to_string(status) + " " + std::string(type);
    return type.rfind("application/vnd.ipld.raw", 0) == 0;
  };
  auto r = engine->Fetch(req);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::kUnavailable);
  CHECK(seen == "200 text/html");
}

TEST_CASE("a streamed CAR arrives in order, with pauses honoured") {
  auto gw = NewGateway();
  auto engine = NewEngine();
  auto dag = testing::MakeFileDag(3 << 20, 256 << 10, 4, 7);
  for (auto& b : dag.blocks) gw->AddBlock(b.cid, b.data);
  HttpRequest req;
  req.url = gw->url() + "/ipfs/" + dag.root.ToString() + "?format=car&dag-scope=all";
  req.headers = {"Accept: application/vnd.ipld.car"};
  Bytes got;
  int pauses = 0;
  std::shared_ptr<HttpCall> call;
  std::mutex mu;
  std::vector<std::thread> resumers;  // loop thread only; joined below
  req.on_data = [&](ByteSpan bytes) {
    // Pause every third chunk, resume from another thread.
    if (++pauses % 3 == 0) {
      resumers.emplace_back([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        std::lock_guard<std::mutex> l(mu);
        call->Resume();
      });
      return false;
    }
    Append(got, bytes);
    return true;
  };
  std::promise<Result<HttpResponse>> p;
  auto f = p.get_future();
  {
    std::lock_guard<std::mutex> l(mu);
    call = engine->Start(req, [&](Result<HttpResponse> r) { p.set_value(std::move(r)); });
  }
  REQUIRE(f.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  for (auto& t : resumers) t.join();
  auto r = f.get();
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body.empty());
  Bytes expected = ipld::EncodeCarV1Header({dag.root});
  for (auto& b : dag.blocks) ipld::AppendCarSection(expected, b.cid, b.data);
  CHECK(got.size() == expected.size());
  CHECK(got == expected);
  CHECK(pauses >= 3);
}

TEST_CASE("many transfers in flight on one loop, connections reused") {
  auto gw = NewGateway();
  auto engine = NewEngine(2);
  std::vector<testing::TestBlock> blocks;
  for (int i = 0; i < 200; ++i) {
    blocks.push_back(MakeRawBlock(1000 + i, 100 + i));
    gw->AddBlock(blocks.back().cid, blocks.back().data);
  }
  std::atomic<int> ok{0};
  std::vector<std::promise<void>> done(blocks.size());
  for (size_t i = 0; i < blocks.size(); ++i) {
    engine->Start(RawRequest(*gw, blocks[i].cid), [&, i](Result<HttpResponse> r) {
      if (r && r->status == 200 && r->body == blocks[i].data) ++ok;
      done[i].set_value();
    });
  }
  for (auto& d : done) REQUIRE(d.get_future().wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  CHECK(ok == 200);
  CHECK(gw->TotalRequests() == 200);
}

TEST_CASE("destroying the engine answers what is in flight") {
  auto gw = NewGateway();
  auto block = MakeRawBlock(10, 8);
  gw->AddBlock(block.cid, block.data);
  gw->SetFault(Fault::kStall);
  std::promise<Result<HttpResponse>> p;
  auto f = p.get_future();
  {
    auto engine = NewEngine();
    engine->Start(RawRequest(*gw, block.cid), [&](Result<HttpResponse> r) { p.set_value(std::move(r)); });
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
  }
  REQUIRE(f.wait_for(std::chrono::seconds(1)) == std::future_status::ready);
  auto r = f.get();
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::kCancelled);
}

// One connection: reads a request (a chunked body decoded), answers 200 with
// "<method> <chunked?>\n" + the body it got, and closes.
class EchoServer {
 public:
  EchoServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    REQUIRE(::listen(fd_, 4) == 0);
    thread_ = std::thread([this] { Serve(); });
  }
  ~EchoServer() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/x"; }

 private:
  void Serve() {
    int c = ::accept(fd_, nullptr, nullptr);
    if (c < 0) return;
    std::string in;
    char buf[65536];
    auto more = [&] {
      ssize_t n = ::read(c, buf, sizeof buf);
      if (n > 0) in.append(buf, static_cast<size_t>(n));
      return n > 0;
    };
    while (in.find("\r\n\r\n") == std::string::npos && more()) {
    }
    const size_t head_end = in.find("\r\n\r\n");
    const std::string head = in.substr(0, head_end);
    const bool chunked = head.find("Transfer-Encoding: chunked") != std::string::npos;
    std::string body;
    size_t pos = head_end + 4;
    while (chunked) {  // size CRLF data CRLF ... 0 CRLF CRLF
      size_t eol;
      while ((eol = in.find("\r\n", pos)) == std::string::npos && more()) {
      }
      if (eol == std::string::npos) break;
      size_t size = std::stoul(in.substr(pos, eol - pos), nullptr, 16);
      while (in.size() < eol + 2 + size + 2 && more()) {
      }
      if (size == 0) break;
      body += in.substr(eol + 2, size);
      pos = eol + 2 + size + 2;
    }
    const std::string reply = head.substr(0, head.find(' ')) + (chunked ? " chunked" : "") + "\n" + body;
    const std::string out = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " +
                            std::to_string(reply.size()) + "\r\nConnection: close\r\n\r\n" + reply;
    (void)!::write(c, out.data(), out.size());
    ::close(c);
  }
  int fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
};

TEST_CASE("a streamed request body goes out chunked, whole and in order, with waits resumed") {
  EchoServer server;
  auto engine = NewEngine();
  // 3 MiB in 1000-byte pieces from a producer thread; the source waits when none is ready.
  std::string sent;
  for (int i = 0; i < 3 * 1024 * 1024; ++i) sent += static_cast<char>('a' + (i * 7) % 26);
  std::mutex mu;
  size_t ready = 0, offset = 0;
  std::shared_ptr<HttpCall> call;
  bool waiting = false;
  std::atomic<int> waits{0};
  HttpRequest req;
  req.method = "POST";
  req.url = server.url();
  req.max_body_bytes = 8u << 20;
  req.body_source = [&](std::span<std::byte> out) -> long {
    std::lock_guard lock(mu);
    if (offset == sent.size()) return 0;
    if (offset == ready) {
      waiting = true;
      ++waits;
      return HttpRequest::kBodyWait;
    }
    size_t n = std::min(out.size(), ready - offset);
    std::memcpy(out.data(), sent.data() + offset, n);
    offset += n;
    return static_cast<long>(n);
  };
  std::promise<Result<HttpResponse>> done;
  auto answer = done.get_future();
  auto c = engine->Start(req, [&](Result<HttpResponse> r) { done.set_value(std::move(r)); });
  {
    std::lock_guard lock(mu);
    call = c;
  }
  std::thread producer([&] {
    while (true) {
      std::shared_ptr<HttpCall> resume;
      {
        std::lock_guard lock(mu);
        if (ready == sent.size()) break;
        ready = std::min(sent.size(), ready + 1000);
        if (waiting && call) {
          waiting = false;
          resume = call;
        }
      }
      if (resume) resume->Resume();
      std::this_thread::yield();
    }
    std::lock_guard lock(mu);
    if (waiting && call) call->Resume();
  });
  auto r = answer.get();
  producer.join();
  REQUIRE(r);
  CHECK(r->status == 200);
  std::string body(reinterpret_cast<const char*>(r->body.data()), r->body.size());
  REQUIRE(body.size() == sent.size() + std::string("POST chunked\n").size());
  CHECK(body.substr(0, 13) == "POST chunked\n");
  CHECK(body.substr(13) == sent);
}

TEST_CASE("a body source that aborts fails the request, never retried") {
  EchoServer server;
  auto engine = NewEngine();
  HttpRequest req;
  req.method = "POST";
  req.url = server.url();
  std::atomic<int> calls{0};
  req.body_source = [&](std::span<std::byte>) -> long {
    ++calls;
    return HttpRequest::kBodyAbort;
  };
  auto r = engine->Fetch(req);
  REQUIRE_FALSE(r);
  CHECK(calls == 1);
}

TEST_CASE("DELETE is sent as DELETE") {
  EchoServer server;
  auto engine = NewEngine();
  HttpRequest req;
  req.method = "DELETE";
  req.url = server.url();
  auto r = engine->Fetch(req);
  REQUIRE(r);
  CHECK(std::string(reinterpret_cast<const char*>(r->body.data()), r->body.size()) == "DELETE\n");
}

}  // namespace
}  // namespace ipfsfs::net
