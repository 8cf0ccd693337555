# bench/lib.sh: what the mount benchmarks share. Source it after `set -euo pipefail`:
#   bench_init NAME   checks the binaries and root, makes $WORK and $MNT, and
#                     unmounts, stops the gateway and removes $WORK on exit
#   start_gateway [ARGS…]  the loopback test gateway; sets $GW (its URL)
# and the timing helpers now, secs, timed, ratio, mibs, drop.
# BUILD=build dir with ipfsfs and ipfsfs-test-gateway (default: build-mount).

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$ROOT/build-mount}
IPFSFS=$BUILD/tools/ipfsfs
GATEWAY=$BUILD/tests/support/ipfsfs-test-gateway
GW_PID=

bench_init() {  # bench_init NAME
  for b in "$IPFSFS" "$GATEWAY"; do
    [ -x "$b" ] || { echo "missing $b (build targets ipfsfs and ipfsfs-test-gateway)" >&2; exit 1; }
  done
  [ "$(id -u)" = 0 ] || { echo "bench/$1.sh needs root (drop_caches, FUSE)" >&2; exit 1; }
  WORK=$(mktemp -d "/tmp/ipfsfs-$1-XXXXXX")
  MNT=$WORK/mnt
  mkdir -p "$MNT"
  trap bench_cleanup EXIT
}

bench_cleanup() {
  "$IPFSFS" umount "$MNT" >/dev/null 2>&1 || umount -l "$MNT" >/dev/null 2>&1 || true
  [ -n "$GW_PID" ] && kill "$GW_PID" 2>/dev/null || true
  rm -rf "$WORK"
}

start_gateway() {  # start_gateway [ARGS…]
  "$GATEWAY" "$@" > "$WORK/gw.url" 2>"$WORK/gw.log" &
  GW_PID=$!
  for _ in $(seq 1200); do [ -s "$WORK/gw.url" ] && break; sleep 0.1; done  # big CARs take a while to index
  GW=$(head -1 "$WORK/gw.url")
  [ -n "$GW" ] || { echo "the test gateway did not start (see $WORK/gw.log)" >&2; exit 1; }
}

now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc -l; }
ratio() { echo "scale=3; $1 / $2" | bc -l; }
mibs() { echo "scale=1; $1 / 1048576 / $2" | bc -l; }
drop() { sync; echo 3 > /proc/sys/vm/drop_caches; }
timed() { local t0; t0=$(now); "$@" >/dev/null; secs "$t0" "$(now)"; }
