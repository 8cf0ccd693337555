// ipfsfs-test-gateway: the test gateway as a program, for FUSE tests and benches.
//
//   ipfsfs-test-gateway --car FILE [--car FILE…] [--port N] [--fault KIND[:CID]]…
//                       [--slow-delay-ms N] [--slow-chunk N] [--latency-ms N]
//                       [--flaky-percent N] [--failing-percent N] [--dead-fault KIND]
//                       [--ipns NAME=FILE]… [--providers GATEWAY_URL]… [--rate-mib MIB_PER_S] [--no-car]
//
// Prints its URL ("http://127.0.0.1:PORT") on one line, then serves until
// SIGINT or SIGTERM. KIND: corrupt, wrong-block, truncate, 500, 404, stall,
// slow, wrong-content-type; without ":CID" the fault applies to every CID.
// --flaky-percent: that share of requests answers 500 from the start (a
// gateway that fails now and then). Signals switch it while it runs
// (bench/stress.sh does): SIGUSR1 dead (every CID gets --dead-fault, default
// stall), SIGHUP failing (--failing-percent of requests answer 500, default
// 20), SIGUSR2 healthy again (the faults and flaky share it started with).
// --ipns serves FILE as the IPNS record of NAME (gateway, routing v1 and kubo
// routing/get), read at each request (tests replace it to publish anew).
// --providers makes it a delegated router too: /routing/v1/providers/{cid}
// names those gateways as providers of every CID.
// --no-car: a gateway that answers format=car with 501 (blocks only).
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
  std::vector<std::string> providers;
  std::vector<std::string> faults;
  std::vector<std::pair<std::string, std::string>> records;  // name, file
  testing::Fault dead_fault = testing::Fault::kStall;
  unsigned failing_percent = 20;
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
    } else if (arg == "--ipns") {
      std::string v = value();
      auto eq = v.find('=');
      if (eq == std::string::npos) {
        fprintf(stderr, "ipfsfs-test-gateway: --ipns NAME=FILE\n");
        return 2;
      }
      records.emplace_back(v.substr(0, eq), v.substr(eq + 1));
    } else if (arg == "--rate-mib") {
      options.rate_bytes_per_second = static_cast<uint64_t>(std::stod(value()) * 1048576);
    } else if (arg == "--providers") {
      providers.push_back(value());
    } else if (arg == "--port") {
      options.port = static_cast<uint16_t>(std::stoi(value()));
    } else if (arg == "--fault") {
      faults.push_back(value());
    } else if (arg == "--no-car") {
      options.serve_cars = false;
    } else if (arg == "--latency-ms") {
      options.latency = std::chrono::milliseconds(std::stoi(value()));
    } else if (arg == "--slow-delay-ms") {
      options.slow_delay = std::chrono::milliseconds(std::stoi(value()));
    } else if (arg == "--slow-chunk") {
      options.slow_chunk = std::stoul(value());
    } else if (arg == "--flaky-percent") {
      options.flaky_percent = static_cast<unsigned>(std::stoul(value()));
    } else if (arg == "--failing-percent") {
      failing_percent = static_cast<unsigned>(std::stoul(value()));
    } else if (arg == "--dead-fault") {
      std::string name = value();
      auto kind = testing::FaultFromName(name);
      if (!kind) {
        fprintf(stderr, "ipfsfs-test-gateway: unknown fault %s\n", name.c_str());
        return 2;
      }
      dead_fault = *kind;
    } else {
      fprintf(stderr, "usage: ipfsfs-test-gateway --car FILE [--port N] [--fault KIND[:CID]]... (see the source)\n");
      return 2;
    }
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGUSR1);
  sigaddset(&signals, SIGUSR2);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before any thread starts

  auto gw = testing::TestGateway::Start(options);
  if (!gw) {
    fprintf(stderr, "ipfsfs-test-gateway: %s\n", gw.error().message.c_str());
    return 1;
  }
  if (!providers.empty()) (*gw)->SetProviders(providers);
  for (const auto& car : cars) {
    auto roots = (*gw)->AddCar(car);
    if (!roots) {
      fprintf(stderr, "ipfsfs-test-gateway: %s: %s\n", car.c_str(), roots.error().message.c_str());
      return 1;
    }
  }
  // The faults given on the command line; SIGUSR2 puts them back.
  auto apply_startup_faults = [&]() -> bool {
    (*gw)->ClearFaults();
    (*gw)->SetFlaky(options.flaky_percent);
    for (const auto& f : faults) {
      auto colon = f.find(':');
      auto kind = testing::FaultFromName(f.substr(0, colon));
      if (!kind) {
        fprintf(stderr, "ipfsfs-test-gateway: unknown fault %s\n", f.c_str());
        return false;
      }
      if (colon == std::string::npos) {
        (*gw)->SetFault(*kind);
      } else {
        auto cid = ipld::Cid::Parse(f.substr(colon + 1));
        if (!cid) {
          fprintf(stderr, "ipfsfs-test-gateway: %s\n", cid.error().message.c_str());
          return false;
        }
        (*gw)->SetFault(*cid, *kind);
      }
    }
    return true;
  };
  if (!apply_startup_faults()) return 2;
  // Each record file's last seen state; a change is served from the next request on.
  for (const auto& [name, file] : records) (*gw)->SetIpnsRecordFile(name, file);
  printf("%s\n", (*gw)->url().c_str());
  fflush(stdout);
  while (true) {
    int sig = 0;
    sigwait(&signals, &sig);
    if (sig == SIGUSR1) {
      (*gw)->SetFault(dead_fault);
    } else if (sig == SIGHUP) {
      (*gw)->SetFlaky(failing_percent);
    } else if (sig == SIGUSR2) {
      apply_startup_faults();
    } else {
      return 0;
    }
  }
}
