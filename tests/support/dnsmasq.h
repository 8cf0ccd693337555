// Dnsmasq: a real DNS server on 127.0.0.1:<free port> for one test, serving
// the TXT and CNAME records given as dnsmasq flags (specs/ipns.md §7.1).
//
// The constructor skips the test (exit 77) when /usr/sbin/dnsmasq (Debian
// dnsmasq-base) is missing, starts it with no upstream (`--no-resolv`),
// answers NXDOMAIN for unknown names under `.test` (`--local=/test/`), TTL 60,
// and returns once it accepts TCP connections. The destructor kills it and
// reaps it, whatever the test did; PR_SET_PDEATHSIG kills it if the test
// process dies first. Owned by one test thread; not thread-safe.
#ifndef IPFSFS_TESTS_SUPPORT_DNSMASQ_H_
#define IPFSFS_TESTS_SUPPORT_DNSMASQ_H_

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/skip.h"

namespace ipfsfs::testing {

inline constexpr const char* kDnsmasqBinary = "/usr/sbin/dnsmasq";

class Dnsmasq {
 public:
  explicit Dnsmasq(std::vector<std::string> records) {
    if (access(kDnsmasqBinary, X_OK) != 0) Skip("dnsmasq not installed (Debian dnsmasq-base)");
    for (int attempt = 0; attempt < 5 && pid_ <= 0; ++attempt) Start(records);
  }
  ~Dnsmasq() { Stop(); }
  Dnsmasq(const Dnsmasq&) = delete;
  Dnsmasq& operator=(const Dnsmasq&) = delete;

  bool ok() const { return pid_ > 0; }
  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

  void Stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  // A port free for both UDP and TCP right now (dnsmasq binds both).
  static int FreePort() {
    int udp = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    int port = 0;
    if (bind(udp, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
        getsockname(udp, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
      int tcp = socket(AF_INET, SOCK_STREAM, 0);
      if (bind(tcp, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) port = ntohs(a.sin_port);
      close(tcp);
    }
    close(udp);
    return port;
  }

  bool Accepts() const {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port_));
    bool ok = connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    close(s);
    return ok;
  }

  void Start(const std::vector<std::string>& records) {
    port_ = FreePort();
    if (port_ == 0) return;
    std::vector<std::string> args = {kDnsmasqBinary,   "--keep-in-foreground", "--conf-file=/dev/null",
                                     "--no-resolv",    "--no-hosts",           "--pid-file=",
                                     "--user=",        "--group=",             "--port=" + std::to_string(port_),
                                     "--listen-address=127.0.0.1", "--bind-interfaces", "--local=/test/",
                                     "--local-ttl=60", "--log-facility=-"};
    args.insert(args.end(), records.begin(), records.end());
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t parent = getpid();
    pid_ = fork();
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(1);
      int null = open("/dev/null", O_WRONLY);
      dup2(null, STDOUT_FILENO);
      dup2(null, STDERR_FILENO);
      execv(argv[0], argv.data());
      _exit(127);
    }
    if (pid_ < 0) return;
    // Polls for readiness (or an early exit: the port was taken meanwhile).
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      if (Accepts()) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    Stop();
  }

  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace ipfsfs::testing

#endif  // IPFSFS_TESTS_SUPPORT_DNSMASQ_H_
