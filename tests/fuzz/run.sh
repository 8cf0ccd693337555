#!/usr/bin/env bash
# Runs every libFuzzer target for SECONDS on a scratch copy of its seed corpus.
#   tests/fuzz/run.sh BUILD_DIR SECONDS
# BUILD_DIR was configured with CC=clang CXX=clang++ -DIPFSFS_FUZZ=ON and the
# fuzz_* targets built. Prints executions per target; exits non-zero if any
# target crashed (reproducers are copied to BUILD_DIR/fuzz-crashes/).
set -u
if [ $# -ne 2 ]; then
  echo "usage: $0 BUILD_DIR SECONDS" >&2
  exit 2
fi
build=$(cd "$1" && pwd) || exit 2
seconds=$2
here=$(cd "$(dirname "$0")" && pwd)
targets="fuzz_cid fuzz_dag_pb fuzz_unixfs fuzz_car fuzz_multibase fuzz_ipns fuzz_private_key fuzz_dns fuzz_dnslink"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
crashes=$build/fuzz-crashes
failed=0

printf '%-16s %12s %10s  %s\n' target executions exec/s result
for t in $targets; do
  bin=$build/tests/fuzz/$t
  if [ ! -x "$bin" ]; then
    printf '%-16s %12s %10s  %s\n' "$t" - - "MISSING ($bin)"
    failed=1
    continue
  fi
  mkdir -p "$work/$t/corpus" "$work/$t/artifacts"
  cp "$here/corpus/$t"/* "$work/$t/corpus/" 2>/dev/null || true
  # -jobs=1 runs the fuzzer in one worker whose log is fuzz-0.log in the cwd.
  (cd "$work/$t" && "$bin" -max_total_time="$seconds" -jobs=1 -print_final_stats=1 \
     -artifact_prefix="$work/$t/artifacts/" corpus >launcher.log 2>&1)
  rc=$?
  log=$work/$t/fuzz-0.log
  [ -f "$log" ] || log=$work/$t/launcher.log
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -1 | awk '{print $2}')
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | tail -1 | awk '{print $2}')
  artifacts=$(ls "$work/$t/artifacts" 2>/dev/null)
  if [ $rc -ne 0 ] || [ -n "$artifacts" ] || grep -qE 'ERROR: (libFuzzer|AddressSanitizer)|runtime error' "$log"; then
    result="CRASH (rc $rc)"
    failed=1
    mkdir -p "$crashes"
    for a in $artifacts; do cp "$work/$t/artifacts/$a" "$crashes/$t-$a"; done
    cp "$log" "$crashes/$t.log"
    grep -m5 -E 'ERROR|runtime error|check failed|SUMMARY' "$log" | sed 's/^/    /'
  else
    result=ok
  fi
  printf '%-16s %12s %10s  %s\n' "$t" "${execs:-?}" "${rate:-?}" "$result"
done
[ $failed -eq 0 ] || echo "crash reproducers and logs: $crashes" >&2
exit $failed
