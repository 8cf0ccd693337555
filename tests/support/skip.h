// Skipping honestly: a test that cannot run here exits with 77, which CTest
// reports as *skipped* (SKIP_RETURN_CODE, set for every test by
// ipfsfs_add_test), never as passed. catch_discover_tests runs each case in
// its own process, so only the case that calls it is skipped.
#ifndef IPFSFS_TESTS_SUPPORT_SKIP_H_
#define IPFSFS_TESTS_SUPPORT_SKIP_H_

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace ipfsfs::testing {

inline constexpr int kSkipExitCode = 77;

[[noreturn]] inline void Skip(const char* why) {
  std::fprintf(stderr, "skipped: %s\n", why);
  std::fflush(stderr);
  std::fflush(stdout);
  std::_Exit(kSkipExitCode);
}

// Real FUSE mounts need root and /dev/fuse.
inline bool CanMountFuse() { return geteuid() == 0 && access("/dev/fuse", R_OK | W_OK) == 0; }

inline void SkipUnlessFuse() {
  if (!CanMountFuse()) Skip("needs root and /dev/fuse for a real FUSE mount");
}

}  // namespace ipfsfs::testing

#endif  // IPFSFS_TESTS_SUPPORT_SKIP_H_
