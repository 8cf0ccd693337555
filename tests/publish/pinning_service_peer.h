// PinningServicePeer: mock-ipfs-pinning-service (tests/peers/publish, with
// pinning_service.cjs: request log, status progression, 409/500 faults) on
// loopback for the remote target's tests; stopped by the destructor. Without
// node or the package the calling test skips (77).
#ifndef IPFSFS_TESTS_PUBLISH_PINNING_SERVICE_PEER_H_
#define IPFSFS_TESTS_PUBLISH_PINNING_SERVICE_PEER_H_

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/publish/fixture.h"
#include "tests/support/skip.h"

namespace ipfsfs::publish::testing {

class PinningServicePeer {
 public:
  static std::unique_ptr<PinningServicePeer> StartOrSkip(const std::string& peers_dir, const std::string& token) {
    if (Shell("node --version >/dev/null 2>&1").status != 0) ipfsfs::testing::Skip("node is not installed");
    if (!fs::exists(peers_dir + "/node_modules/mock-ipfs-pinning-service/package.json")) {
      ipfsfs::testing::Skip("mock-ipfs-pinning-service is not installed: npm ci --prefix tests/peers/publish");
    }
    auto peer = std::unique_ptr<PinningServicePeer>(new PinningServicePeer());
    peer->log_ = peer->dir_.path + "/requests.jsonl";
    const std::string out = peer->dir_.path + "/out";
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::setpgid(0, 0);
      FILE* f = std::freopen(out.c_str(), "w", stdout);
      (void)f;
      ::dup2(1, 2);
      const std::string script = peers_dir + "/pinning_service.cjs";
      ::execlp("node", "node", script.c_str(), token.c_str(), peer->log_.c_str(), static_cast<char*>(nullptr));
      std::_Exit(127);
    }
    peer->pid_ = pid;
    for (int i = 0; i < 1200; ++i) {  // only against a hang
      std::string text = ReadFile(out);
      if (auto at = text.find("listening "); at != std::string::npos && text.find('\n', at) != std::string::npos) {
        peer->url_ = "http://127.0.0.1:" + text.substr(at + 10, text.find('\n', at) - at - 10);
        return peer;
      }
      if (::waitpid(pid, nullptr, WNOHANG) == pid) {
        peer->pid_ = -1;
        std::fprintf(stderr, "%s\n", ReadFile(out).c_str());
        ipfsfs::testing::Skip("the mock pinning service exited (output above)");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ipfsfs::testing::Skip("the mock pinning service did not start");
  }
  ~PinningServicePeer() {
    if (pid_ <= 0) return;
    ::kill(-pid_, SIGTERM);
    for (int i = 0; i < 100; ++i) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ::kill(-pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  const std::string& url() const { return url_; }
  // Every request so far: {method, url, authorization, contentType, body}.
  std::vector<nlohmann::json> Requests() const {
    std::vector<nlohmann::json> out;
    std::istringstream lines(ReadFile(log_));
    for (std::string line; std::getline(lines, line);) out.push_back(nlohmann::json::parse(line));
    return out;
  }

 private:
  PinningServicePeer() = default;
  TempDir dir_;
  std::string log_, url_;
  pid_t pid_ = -1;
};

}  // namespace ipfsfs::publish::testing

#endif  // IPFSFS_TESTS_PUBLISH_PINNING_SERVICE_PEER_H_
