// names_bench: how long a cached name takes to resolve inside the process
// (issue 14's goal: under 50 µs), against the baseline of one uncached
// resolve (fetch from a fake in-memory source + signature verification).
//
//   names_bench [ITERATIONS]   (default 200000)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include "ipld/ipns_name.h"
#include "resolver/ipns_record_resolver.h"
#include "resolver/name_store.h"
#include "resolver/names.h"
#include "tests/ipld/ipns_test_keys.h"
#include "tests/support/fake_record_source.h"

using namespace ipfsfs;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  long iterations = argc > 1 ? std::atol(argv[1]) : 200000;
  auto key = testing::TestKey::Ed25519("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
  ipld::IpnsData d = testing::SampleData();
  d.value = ToBytes("/ipfs/bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354");
  testing::FakeRecordSource source("memory");
  source.Set(key.name(), key.MakeRecord(d, true, false));
  auto store = resolver::NewMemoryNameStore();
  resolver::IpnsRecordResolver ipns({&source}, *store);
  std::string name = ipld::FormatIpnsName(key.name()) + "/some/path";

  // Baseline: uncached resolves (a fresh Names each time: fetch + verify).
  const int cold_runs = 200;
  auto t0 = Clock::now();
  for (int i = 0; i < cold_runs; ++i) {
    resolver::Names names(&ipns, nullptr);
    bool ok = false;
    names.Resolve(name, [&](Result<resolver::NameResolution> r) { ok = r.has_value(); });
    if (!ok) return std::fprintf(stderr, "names_bench: cold resolve failed\n"), 1;
  }
  double cold_us = std::chrono::duration<double, std::micro>(Clock::now() - t0).count() / cold_runs;

  resolver::Names names(&ipns, nullptr);
  names.Resolve(name, [](Result<resolver::NameResolution>) {});
  size_t chars = 0;
  auto t1 = Clock::now();
  for (long i = 0; i < iterations; ++i) {
    names.Resolve(name, [&](Result<resolver::NameResolution> r) { chars += r ? r->path.size() : 0; });
  }
  double warm_us =
      std::chrono::duration<double, std::micro>(Clock::now() - t1).count() / static_cast<double>(iterations);
  if (source.requests != cold_runs + 1) return std::fprintf(stderr, "names_bench: the cache asked the source\n"), 1;
  std::printf("uncached resolve (fetch from memory + verify): %.2f us\n", cold_us);
  std::printf("cached resolve: %.3f us over %ld calls (goal < 50 us) %s\n", warm_us, iterations,
              warm_us < 50 ? "ok" : "OVER");
  std::printf("ratio cached/uncached: %.4f\n", warm_us / cold_us);
  return chars == 0;
}
