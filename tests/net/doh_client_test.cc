// The DNS-over-HTTPS client against a small RFC 8484 front (plain HTTP on
// loopback) that relays each query to dnsmasq over UDP.
#include "net/doh_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <atomic>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/dnsmasq.h"

namespace ipfsfs::net {
namespace {

// One connection at a time, one request per connection. Mode "ok" relays;
// "500" and "html" answer wrongly.
class DohFront {
 public:
  DohFront(int dns_port, std::string mode) : dns_port_(dns_port), mode_(std::move(mode)) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a = Loopback(0);
    socklen_t len = sizeof a;
    REQUIRE(bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(listen(listen_fd_, 8) == 0);
    REQUIRE(getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~DohFront() {
    shutdown(listen_fd_, SHUT_RDWR);
    thread_.join();
    close(listen_fd_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/dns-query"; }
  std::string last_request_head() const { return head_; }

 private:
  static sockaddr_in Loopback(int port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port));
    return a;
  }

  std::string Relay(const std::string& query) {
    int udp = socket(AF_INET, SOCK_DGRAM, 0);
    timeval tv{2, 0};
    setsockopt(udp, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in a = Loopback(dns_port_);
    sendto(udp, query.data(), query.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
    char buf[65536];
    ssize_t n = recv(udp, buf, sizeof buf, 0);
    close(udp);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
  }

  void Serve() {
    for (;;) {
      int c = accept(listen_fd_, nullptr, nullptr);
      if (c < 0) return;
      std::string req;
      char buf[4096];
      size_t body_at = std::string::npos;
      size_t want = 0;
      while (body_at == std::string::npos || req.size() < body_at + want) {
        ssize_t n = read(c, buf, sizeof buf);
        if (n <= 0) break;
        req.append(buf, static_cast<size_t>(n));
        if (body_at == std::string::npos && (body_at = req.find("\r\n\r\n")) != std::string::npos) {
          body_at += 4;
          size_t cl = req.find("Content-Length: ");
          want = cl == std::string::npos ? 0 : std::stoul(req.substr(cl + 16));
        }
      }
      head_ = req.substr(0, body_at);
      std::string body = mode_ == "html" ? "<html></html>" : Relay(req.substr(body_at));
      std::string status = mode_ == "500" ? "500 Internal Server Error" : "200 OK";
      std::string type = mode_ == "html" ? "text/html" : "application/dns-message";
      std::string resp = "HTTP/1.1 " + status + "\r\nContent-Type: " + type +
                         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
      ssize_t w = write(c, resp.data(), resp.size());
      (void)w;
      close(c);
    }
  }

  int dns_port_;
  std::string mode_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::string head_;  // written by the server thread, read after a reply
  std::thread thread_;
};

Result<TxtAnswer> Lookup(DnsClient& dns, const std::string& name) {
  std::promise<Result<TxtAnswer>> p;
  auto f = p.get_future();
  dns.LookupTxt(name, [&p](Result<TxtAnswer> r) { p.set_value(std::move(r)); });
  return f.get();
}

const std::vector<std::string> kZone = {
    "--txt-record=_dnslink.example.test,dnslink=/ipfs/bafkqaaa",
    "--cname=_dnslink.alias.test,_dnslink.example.test",
};

TEST_CASE("dns-over-https: POSTed wire queries, answers with CNAMEs and TTL") {
  testing::Dnsmasq server(kZone);
  REQUIRE(server.ok());
  DohFront front(server.port(), "ok");
  auto http = HttpEngine::Create();
  REQUIRE(http);
  auto dns = CreateDohClient(**http, DohClientOptions{front.url()});
  REQUIRE(dns);

  auto a = Lookup(**dns, "_dnslink.alias.test");
  REQUIRE(a);
  CHECK(a->cnames == std::vector<std::string>{"_dnslink.example.test"});
  CHECK(a->records == std::vector<std::string>{"dnslink=/ipfs/bafkqaaa"});
  CHECK(a->ttl == std::chrono::seconds(60));
  CHECK(front.last_request_head().rfind("POST /dns-query HTTP/1.1", 0) == 0);
  CHECK(front.last_request_head().find("Content-Type: application/dns-message") != std::string::npos);

  auto missing = Lookup(**dns, "_dnslink.missing.test");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == ErrorCode::kNotFound);
}

TEST_CASE("dns-over-https: a wrong status or content type is kUnavailable") {
  testing::Dnsmasq server(kZone);
  REQUIRE(server.ok());
  auto http = HttpEngine::Create();
  REQUIRE(http);
  for (const char* mode : {"500", "html"}) {
    DohFront front(server.port(), mode);
    auto dns = CreateDohClient(**http, DohClientOptions{front.url()});
    REQUIRE(dns);
    auto r = Lookup(**dns, "_dnslink.example.test");
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::kUnavailable);
  }
  CHECK(CreateDohClient(**http, DohClientOptions{"127.0.0.1:53"}).error().code == ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace ipfsfs::net
