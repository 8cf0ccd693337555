// PinningServicePeer: mock-ipfs-pinning-service (tests/peers/publish, with
// pinning_service.cjs: request log, status progression, 409/500 faults) on
// loopback for the remote target's tests; stopped by the destructor. Without
// node or the package the calling test skips (77).
#ifndef IPFSFS_TESTS_PUBLISH_PINNING_SERVICE_PEER_H_
#define IPFSFS_TESTS_PUBLISH_PINNING_SERVICE_PEER_H_

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/publish/fixture.h"
#include "tests/support/peer_process.h"
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
    REQUIRE(peer->process_.Start({"node", peers_dir + "/pinning_service.cjs", token, peer->log_}, out));
    for (int i = 0; i < 1200; ++i) {  // only against a hang
      std::string text = ReadFile(out);
      if (auto at = text.find("listening "); at != std::string::npos && text.find('\n', at) != std::string::npos) {
        peer->url_ = "http://127.0.0.1:" + text.substr(at + 10, text.find('\n', at) - at - 10);
        return peer;
      }
      if (peer->process_.Exited()) {
        std::fprintf(stderr, "%s\n", ReadFile(out).c_str());
        ipfsfs::testing::Skip("the mock pinning service exited (output above)");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ipfsfs::testing::Skip("the mock pinning service did not start");
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
  ipfsfs::testing::PeerProcess process_;  // last: stopped before dir_ goes
};

}  // namespace ipfsfs::publish::testing

#endif  // IPFSFS_TESTS_PUBLISH_PINNING_SERVICE_PEER_H_
