// JsIpfsNode: js-ipfs 0.66.1 (tests/peers/publish, `npm ci` there) as a real
// kubo-RPC node for the publish tests: an offline daemon on loopback with a
// temporary repo, stopped (its process group) by the destructor. Without node,
// the package, or a daemon that comes up, the calling test skips (77).
#ifndef IPFSFS_TESTS_PUBLISH_JS_IPFS_NODE_H_
#define IPFSFS_TESTS_PUBLISH_JS_IPFS_NODE_H_

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "tests/publish/fixture.h"
#include "tests/support/peer_process.h"
#include "tests/support/skip.h"

namespace ipfsfs::publish::testing {

class JsIpfsNode {
 public:
  static std::unique_ptr<JsIpfsNode> StartOrSkip(const std::string& peers_dir) {
    if (Shell("node --version >/dev/null 2>&1").status != 0) ipfsfs::testing::Skip("node is not installed");
    if (!fs::exists(peers_dir + "/node_modules/ipfs/src/cli.js")) {
      ipfsfs::testing::Skip("js-ipfs is not installed: npm ci --prefix tests/peers/publish");
    }
    auto node = std::unique_ptr<JsIpfsNode>(new JsIpfsNode());
    node->repo_ = node->dir_.path + "/repo";
    const std::string log = node->dir_.path + "/daemon.log";
    REQUIRE(node->process_.Start({"sh", peers_dir + "/jsipfs_daemon.sh", node->repo_}, log));
    // Generous: a loaded CI machine under sanitizers; this only avoids a hang.
    for (int i = 0; i < 1800; ++i) {
      std::string api = ReadFile(node->repo_ + "/api");
      if (!api.empty() && api.find("/tcp/") != std::string::npos) {
        std::string port = api.substr(api.find("/tcp/") + 5);
        port = port.substr(0, port.find('/'));
        node->url_ = "http://127.0.0.1:" + port;
        return node;
      }
      if (node->process_.Exited()) {
        std::fprintf(stderr, "%s\n", ReadFile(log).c_str());
        ipfsfs::testing::Skip("the js-ipfs daemon exited before listening (log above)");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ipfsfs::testing::Skip("the js-ipfs daemon did not start listening");
  }

  const std::string& url() const { return url_; }
  const std::string& repo() const { return repo_; }

  // POST /api/v0/<command>?<query> with curl: the body (and the exit status).
  Run Rpc(const std::string& command_and_query) const {
    return Shell("curl -sS -X POST " + Quote(url_ + "/api/v0/" + command_and_query));
  }

 private:
  JsIpfsNode() = default;
  TempDir dir_;
  std::string repo_;
  std::string url_;
  ipfsfs::testing::PeerProcess process_;  // last: stopped before dir_ goes
};

}  // namespace ipfsfs::publish::testing

#endif  // IPFSFS_TESTS_PUBLISH_JS_IPFS_NODE_H_
