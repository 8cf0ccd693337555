// ipfsfs-test-gateway: the test gateway as a program, for FUSE tests and benches.
//
//   ipfsfs-test-gateway --car FILE [--car FILE…] [--port N] [--fault KIND[:CID]]…
//                       [--slow-delay-ms N] [--slow-chunk N] [--latency-ms N]
//
// Prints its URL ("http://127.0.0.1:PORT") on one line, then serves until
// SIGINT or SIGTERM. KIND: corrupt, wrong-block, truncate, 500, 404, stall,
// slow, wrong-content-type; without ":CID" the fault applies to every CID.
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "tests/support/test_gateway.h"

int main(int argc, char** argv) {
  using namespace ipfsfs;
  testing::TestGatewayOptions options;
  std::vector<std::string> cars;
  std::vector<std::string> faults;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        fprintf(stderr, "ipfsfs-test-gateway: %s needs a value\n", arg.c_str());
        exit(2);
      }
      return argv[++i];
    };
    if (arg == "--car") {
      cars.push_back(value());
    } else if (arg == "--port") {
      options.port = static_cast<uint16_t>(std::stoi(value()));
    } else if (arg == "--fault") {
      faults.push_back(value());
    } else if (arg == "--latency-ms") {
      options.latency = std::chrono::milliseconds(std::stoi(value()));
    } else if (arg == "--slow-delay-ms") {
      options.slow_delay = std::chrono::milliseconds(std::stoi(value()));
    } else if (arg == "--slow-chunk") {
      options.slow_chunk = std::stoul(value());
    } else {
      fprintf(stderr, "usage: ipfsfs-test-gateway --car FILE [--port N] [--fault KIND[:CID]]...\n");
      return 2;
    }
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before any thread starts

  auto gw = testing::TestGateway::Start(options);
  if (!gw) {
    fprintf(stderr, "ipfsfs-test-gateway: %s\n", gw.error().message.c_str());
    return 1;
  }
  for (const auto& car : cars) {
    auto roots = (*gw)->AddCar(car);
    if (!roots) {
      fprintf(stderr, "ipfsfs-test-gateway: %s: %s\n", car.c_str(), roots.error().message.c_str());
      return 1;
    }
  }
  for (const auto& f : faults) {
    auto colon = f.find(':');
    auto kind = testing::FaultFromName(f.substr(0, colon));
    if (!kind) {
      fprintf(stderr, "ipfsfs-test-gateway: unknown fault %s\n", f.c_str());
      return 2;
    }
    if (colon == std::string::npos) {
      (*gw)->SetFault(*kind);
    } else {
      auto cid = ipld::Cid::Parse(f.substr(colon + 1));
      if (!cid) {
        fprintf(stderr, "ipfsfs-test-gateway: %s\n", cid.error().message.c_str());
        return 2;
      }
      (*gw)->SetFault(*cid, *kind);
    }
  }
  printf("%s\n", (*gw)->url().c_str());
  fflush(stdout);
  int sig = 0;
  sigwait(&signals, &sig);
  return 0;
}
