#!/usr/bin/env bash
# bench/latency.sh [SIZE] [LATENCY_MS]: a cold sequential read through the mount
# from a distant gateway (the loopback test gateway answering every request
# LATENCY_MS late), block by block (--car-range 0) and with ranged CARs (the
# default), against curl of the same bytes as one CAR from the same gateway.
#
# SIZE: of the file (default 256M). LATENCY_MS: default 20. Needs root (FUSE).
# BUILD=build dir with ipfsfs and ipfsfs-test-gateway (default: build-mount).
set -euo pipefail

SIZE=${1:-256M}
LATENCY=${2:-20}
. "$(dirname "$0")/lib.sh"
bench_init latency

head -c "$SIZE" /dev/urandom > "$WORK/file.bin"
BYTES=$(stat -c %s "$WORK/file.bin")
CID=$("$IPFSFS" add -Q --car "$WORK/file.car" "$WORK/file.bin")
start_gateway --car "$WORK/file.car" --latency-ms "$LATENCY"
echo "== $SIZE file $CID, gateway $GW answering every request ${LATENCY} ms late"

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
