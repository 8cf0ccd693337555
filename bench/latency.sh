#!/usr/bin/env bash
# bench/latency.sh [SIZE] [LATENCY_MS] [RATE_MIB]: a cold sequential read through the mount
# from a distant gateway (the loopback test gateway answering every request
# LATENCY_MS late, and capped at RATE_MIB MiB/s), block by block (--car-range 0)
# and with ranged CARs (the default), against curl of the same bytes as one CAR
# from the same gateway; then the time to the first byte of a cold file against
# curl's time to its first byte (issue 17: goals >= 0.95 and <= 1.2).
#
# SIZE: of the file (default 256M). LATENCY_MS: default 20. RATE_MIB: default 0
# (no cap; the issue's figure uses 100). Needs root (FUSE).
# BUILD=build dir with ipfsfs and ipfsfs-test-gateway (default: build-mount).
set -euo pipefail

SIZE=${1:-256M}
LATENCY=${2:-20}
RATE=${3:-0}
. "$(dirname "$0")/lib.sh"
bench_init latency

head -c "$SIZE" /dev/urandom > "$WORK/file.bin"
BYTES=$(stat -c %s "$WORK/file.bin")
CID=$("$IPFSFS" add -Q --car "$WORK/file.car" "$WORK/file.bin")
start_gateway --car "$WORK/file.car" --latency-ms "$LATENCY" --rate-mib "$RATE"
echo "== $SIZE file $CID, gateway $GW answering every request ${LATENCY} ms late, capped at ${RATE} MiB/s (0: none)"

T_CURL=$(timed curl -sf -o /dev/null "$GW/ipfs/$CID?format=car&dag-scope=entity")
echo "   curl, one CAR: $(mibs "$BYTES" "$T_CURL") MiB/s"
for mode in "block by block:--car-range 0" "ranged CARs (default):"; do
  name=${mode%%:*}
  flags=${mode#*:}
  rm -rf "$WORK/cache"
  # shellcheck disable=SC2086
  "$IPFSFS" mount --gateway "$GW" --cache-dir "$WORK/cache" --log-file "$WORK/mount.log" $flags "$MNT"
  T=$(timed cat "$MNT/ipfs/$CID")
  cmp -s "$MNT/ipfs/$CID" "$WORK/file.bin" || { echo "   CONTENT MISMATCH ($name)"; exit 1; }
  REQ=$("$IPFSFS" status --json "$MNT" | sed 's/.*"requests":\([0-9]*\).*/\1/')
  "$IPFSFS" umount "$MNT"
  echo "   mount, $name: $(mibs "$BYTES" "$T") MiB/s, $REQ requests -> ratio to curl $(ratio "$T_CURL" "$T")"
done

# Time to the first byte of a cold file: curl's, and the mount's (open + first
# read of one byte, timed inside one process: no fork in the figure), each the
# median of 5 cold tries (a fresh cache and mount each).
first_byte() {  # prints seconds from open() to the first byte read
  python3 - "$1" <<'PY'
import os, sys, time
t = time.monotonic()
fd = os.open(sys.argv[1], os.O_RDONLY)
os.read(fd, 1)
print(f"{time.monotonic() - t:.6f}")
PY
}
median() { sort -n | sed -n 3p; }
TTFB_CURL=$(for _ in 1 2 3 4 5; do
  curl -sf -o /dev/null -w '%{time_starttransfer}\n' "$GW/ipfs/$CID?format=car&dag-scope=entity"
done | median)
TTFB=$(for _ in 1 2 3 4 5; do
  rm -rf "$WORK/cache"
  "$IPFSFS" mount --gateway "$GW" --cache-dir "$WORK/cache" --log-file "$WORK/mount.log" "$MNT"
  stat "$MNT/ipfs" >/dev/null
  first_byte "$MNT/ipfs/$CID"
  "$IPFSFS" umount "$MNT"
done | median)
echo "   first byte (median of 5): curl ${TTFB_CURL} s, mount ${TTFB} s -> ratio $(ratio "$TTFB" "$TTFB_CURL") (goal <= 1.2)"
