#!/bin/sh
# Block-layer benchmarks, ratios measured in one run (issue 4):
#  1. prefetch of every block of a DAG from a loopback test gateway through
#     BlockCache (CAR mode and block-by-block mode, RocksDB cache)
#     ÷ curl downloading the same DAG as one CAR            (goal >= 0.8)
#  2. cache-hit get() MB/s ÷ reading the same bytes from a local file
#
#   bench/fetch.sh [SIZE] [BUILD_DIR]     SIZE in MiB, default 256 (1024 for 1 GiB)
set -eu
SIZE_MIB=${1:-256}
BUILD=${2:-$(dirname "$0")/../build}
BENCH=$BUILD/bench/fetch_bench
GATEWAY=$BUILD/tests/support/ipfsfs-test-gateway
for p in "$BENCH" "$GATEWAY"; do
  [ -x "$p" ] || { echo "fetch.sh: $p not built (targets fetch_bench, ipfsfs-test-gateway)" >&2; exit 1; }
done
command -v curl >/dev/null || { echo "fetch.sh: curl needed" >&2; exit 1; }

WORK=$(mktemp -d /tmp/ipfsfs-fetch-bench.XXXXXX)
GW_PID=
cleanup() { [ -n "$GW_PID" ] && kill "$GW_PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT INT TERM

BYTES=$((SIZE_MIB * 1048576))
ROOT=$("$BENCH" gen "$BYTES" "$WORK/dag.car")
echo "DAG: $SIZE_MIB MiB, root $ROOT"

"$GATEWAY" --car "$WORK/dag.car" > "$WORK/url" &
GW_PID=$!
i=0
while [ ! -s "$WORK/url" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
URL=$(head -n1 "$WORK/url")
[ -n "$URL" ] || { echo "fetch.sh: gateway did not start" >&2; exit 1; }

now() { date +%s.%N; }
best_curl=
for run in 1 2 3; do
  t0=$(now)
  curl -sf -o /dev/null -H 'Accept: application/vnd.ipld.car' "$URL/ipfs/$ROOT?format=car&dag-scope=all"
  t=$(echo "$(now) - $t0" | bc -l)
  if [ -z "$best_curl" ] || [ "$(echo "$t < $best_curl" | bc -l)" = 1 ]; then best_curl=$t; fi
done
printf 'curl, one CAR:              %6.3f s  %7.1f MB/s\n' "$best_curl" "$(echo "$BYTES / $best_curl / 1000000" | bc -l)"

for mode in car blocks; do
  best=
  for run in 1 2; do
    rm -rf "$WORK/cache"
    set -- $("$BENCH" fetch "$URL" "$ROOT" "$mode" "$WORK/cache")
    if [ -z "$best" ] || [ "$(echo "$1 < $best" | bc -l)" = 1 ]; then best=$1; fi
  done
  printf 'prefetch (%-6s, RocksDB):  %6.3f s  %7.1f MB/s  ratio vs curl %.2f\n' "$mode" "$best" \
    "$(echo "$BYTES / $best / 1000000" | bc -l)" "$(echo "$best_curl / $best" | bc -l)"
done
for mode in car blocks; do
  set -- $("$BENCH" fetch "$URL" "$ROOT" "$mode")
  printf 'prefetch (%-6s, memory):   %6.3f s  %7.1f MB/s  ratio vs curl %.2f\n' "$mode" "$1" \
    "$(echo "$BYTES / $1 / 1000000" | bc -l)" "$(echo "$best_curl / $1" | bc -l)"
done

# Cache hits: the RocksDB cache filled by the last block-mode run above. Each block
# is read once untimed, then twice timed; with the memory tier off every hit reads
# RocksDB and re-hashes the block.
set -- $("$BENCH" hit "$WORK/cache" "$ROOT" "$WORK/dag.car" 0)
printf 'cache-hit get(), disk tier:   %7.1f MB/s; local file read %7.1f MB/s; ratio %.2f\n' "$1" "$2" "$3"
set -- $("$BENCH" hit "$WORK/cache" "$ROOT" "$WORK/dag.car" $((BYTES + 67108864)))
printf 'cache-hit get(), memory tier: %7.1f MB/s; local file read %7.1f MB/s; ratio %.2f\n' "$1" "$2" "$3"
