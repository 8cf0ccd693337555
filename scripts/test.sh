#!/usr/bin/env bash
# Builds ipfsfs and runs every test: the unit, conformance and FUSE suites
# (CTest), the unit suites again under ASan+UBSan, and each fuzz target.
# Usage: scripts/test.sh [--quick]   (--quick: the main build and CTest only)
# Env: FUZZ_SECONDS (default 60) per fuzz target; JOBS (default: nproc).
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-$(nproc)}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}

step() { printf '\n==> %s\n' "$*"; }

step "layering (DESIGN.md arrows)"
bash scripts/check_layers.sh

step "build (RelWithDebInfo) in build/"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$JOBS"

step "tests: ctest"
ctest --test-dir build --output-on-failure -j"$JOBS" --timeout 600

[ "${1:-}" = "--quick" ] && exit 0

step "unit tests under ASan+UBSan in build-asan/"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DIPFSFS_SANITIZE=ON -DIPFSFS_BENCH=OFF >/dev/null
cmake --build build-asan -j"$JOBS"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure -j"$JOBS" -L unit --timeout 600

if [ -f tests/fuzz/run.sh ]; then
  step "fuzz targets (clang libFuzzer), ${FUZZ_SECONDS}s each, in build-fuzz/"
  CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DIPFSFS_FUZZ=ON \
    -DIPFSFS_BENCH=OFF >/dev/null
  targets=$(sed -n 's/^targets="\(.*\)"$/\1/p' tests/fuzz/run.sh)  # the list run.sh runs
  # shellcheck disable=SC2086
  cmake --build build-fuzz -j"$JOBS" --target $targets
  ctest --test-dir build-fuzz -R '^fuzz_' --output-on-failure   # seeds and saved reproducers, once each
  bash tests/fuzz/run.sh build-fuzz "$FUZZ_SECONDS"
fi
step "all tests passed"
