// A property check for fuzz targets: prints what broke and aborts, so libFuzzer
// records the input as a crash. Header-only, used by tests/fuzz/*.cc only.
#ifndef IPFSFS_TESTS_FUZZ_FUZZ_CHECK_H_
#define IPFSFS_TESTS_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond)                                                   \
  do {                                                                     \
    if (!(cond)) {                                                         \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, \
                   #cond);                                                 \
      std::abort();                                                        \
    }                                                                      \
  } while (0)

#endif  // IPFSFS_TESTS_FUZZ_FUZZ_CHECK_H_
