// The standalone ipfsfs-test-gateway, as the mount's FUSE tests and the benches use it.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <string>
#include <vector>

#include "blockcache/block_cache.h"
#include "blockcache/dag_tools.h"
#include "ipld/car.h"

namespace ipfsfs::blockcache {
namespace {

struct GatewayProcess {
  pid_t pid = -1;
  std::string url;

  explicit GatewayProcess(std::vector<std::string> args) {
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      dup2(fds[1], STDOUT_FILENO);
      close(fds[0]);
      close(fds[1]);
      std::vector<char*> argv;
      args.insert(args.begin(), IPFSFS_TEST_GATEWAY_EXE);
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(fds[1]);
    char c;
    while (read(fds[0], &c, 1) == 1 && c != '\n') url.push_back(c);
    close(fds[0]);
  }
  ~GatewayProcess() {
    if (pid > 0) {
      kill(pid, SIGTERM);
      int status = 0;
      waitpid(pid, &status, 0);
    }
  }
};

Bytes ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return ToBytes(s);
}

TEST_CASE("ipfsfs-test-gateway serves a CAR file and injects faults from flags") {
  std::string car = std::string(IPFSFS_TESTDATA_DIR) + "/car/carv2-basic.car";
  auto contents = ipld::ReadCar(ReadFile(car));
  REQUIRE(contents);
  const ipld::Cid root = contents->header.roots.at(0);
  const ipld::CarBlock* root_block = nullptr;
  for (const auto& b : contents->blocks) {
    if (b.cid.hash() == root.hash()) root_block = &b;
  }
  REQUIRE(root_block);

  {
    GatewayProcess gw({"--car", car});
    REQUIRE(gw.url.rfind("http://127.0.0.1:", 0) == 0);
    BlockCacheOptions o;
    o.sources.push_back({SourceSpec::Kind::kGateway, gw.url});
    auto cache = BlockCache::Open(o);
    REQUIRE(cache);
    auto r = (*cache)->GetBlocking(root);
    REQUIRE(r);
    CHECK(std::equal(r->bytes().begin(), r->bytes().end(), root_block->data.begin(), root_block->data.end()));
    auto f = FetchDag(**cache, root, true);
    REQUIRE(f);
    CHECK(f->blocks >= 2);
  }
  {
    GatewayProcess gw({"--car", car, "--fault", "404:" + root.ToString()});
    BlockCacheOptions o;
    o.fetch_timeout = std::chrono::milliseconds(2000);
    o.sources.push_back({SourceSpec::Kind::kGateway, gw.url});
    auto cache = BlockCache::Open(o);
    REQUIRE(cache);
    auto r = (*cache)->GetBlocking(root);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::kNotFound);
  }
}

}  // namespace
}  // namespace ipfsfs::blockcache
