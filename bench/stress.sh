#!/usr/bin/env bash
# bench/stress.sh [SECONDS]: many readers at random offsets through a real
# `ipfsfs mount` whose cache is too small for the files (constant eviction),
# over the loopback test gateway that is slow, fails now and then, and for
# stretches is dead. Every byte read is compared with the local copy.
#
# SECONDS: how long the readers run (default 600). READERS (default 16),
# CACHE_SIZE (default 24M, against ~72 MiB of files), LATENCY_MS (default 2).
# Needs root (FUSE, drop_caches) and python3. BUILD=build dir with ipfsfs and
# ipfsfs-test-gateway (default: build-mount). Not run by CI.
#
# Result line: reads, bytes, wrong bytes (must be 0), short reads, EIOs and
# how many fell inside a window in which this run made the gateway failing or
# dead (each EIO, and each short read, which is a buffered read that failed
# partway, is printed with its cause). Exits 1 on any wrong byte, unexplained short
# read, unexplained EIO or other error.
set -euo pipefail

SECONDS_TO_RUN=${1:-600}
READERS=${READERS:-16}
CACHE_SIZE=${CACHE_SIZE:-24M}
LATENCY_MS=${LATENCY_MS:-2}
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || { echo "bench/stress.sh needs python3" >&2; exit 1; }
bench_init stress

echo "== setup (in $WORK)"
mkdir -p "$WORK/data/sub"
head -c $((40 << 20)) /dev/urandom > "$WORK/data/large.bin"
head -c $(((17 << 20) + 4097)) /dev/urandom > "$WORK/data/sub/medium.bin"
head -c $(((6 << 20) + 1)) /dev/urandom > "$WORK/data/sub/odd.bin"
head -c $((5 << 20)) /dev/urandom > "$WORK/data/five.bin"
head -c 300000 /dev/urandom > "$WORK/data/small.bin"
(cd "$WORK/data" && sha256sum large.bin sub/medium.bin sub/odd.bin five.bin small.bin > "$WORK/sha256")
ROOT=$("$IPFSFS" add -r -Q --car "$WORK/tree.car" "$WORK/data")
start_gateway --car "$WORK/tree.car" --latency-ms "$LATENCY_MS" --failing-percent 15 --dead-fault stall
echo "   tree $ROOT, gateway $GW (pid $GW_PID), cache $CACHE_SIZE, $READERS readers, ${SECONDS_TO_RUN}s"

# Short timeouts, as the e2e tests use: a dead gateway turns into EIO in seconds.
echo '{"fetch_timeout": "3s", "request_timeout": "1s"}' > "$WORK/config.json"
"$IPFSFS" mount --gateway "$GW" --cache-dir "$WORK/cache" --cache-size "$CACHE_SIZE" \
  --config "$WORK/config.json" --log-file "$WORK/mount.log" "$MNT"
(cd "$MNT/ipfs/$ROOT" && sha256sum -c --quiet "$WORK/sha256") || { echo "first read: content differs"; exit 1; }

status=0
python3 "$(dirname "$0")/stress_reader.py" --top "$MNT/ipfs/$ROOT" --src "$WORK/data" --gateway-pid "$GW_PID" \
  --duration "$SECONDS_TO_RUN" --readers "$READERS" --log "$WORK/events.log" || status=$?
echo "== the mount's view"
"$IPFSFS" status "$MNT" || true
echo "   mount log: $(grep -c . "$WORK/mount.log" || true) lines, $(grep -ci 'error\|EIO' "$WORK/mount.log" || true) naming an error"
if [ "$status" != 0 ]; then
  cp "$WORK/mount.log" "$WORK/events.log" /tmp/ 2>/dev/null && echo "   kept /tmp/mount.log and /tmp/events.log"
fi
exit "$status"
