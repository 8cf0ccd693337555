#!/usr/bin/env bash
# bench/stripe.sh [SIZE] [RATE_MIB]: striping (issue 17). Three loopback test
# gateways, each capped at RATE_MIB MiB/s; a cold sequential read of one file
# through a mount that has all three, against curl of the same file as one CAR
# from one of them (the best one gateway can do). Prints the ratio (goal >= 2.5)
# and each gateway's share of the bytes.
#
# SIZE: default 128M. RATE_MIB: default 20. Needs root (FUSE).
# BUILD=build dir with ipfsfs and ipfsfs-test-gateway (default: build-mount).
set -euo pipefail

SIZE=${1:-128M}
RATE=${2:-20}
. "$(dirname "$0")/lib.sh"
bench_init stripe
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; bench_cleanup' EXIT

head -c "$SIZE" /dev/urandom > "$WORK/file.bin"
BYTES=$(stat -c %s "$WORK/file.bin")
CID=$("$IPFSFS" add -Q --car "$WORK/file.car" "$WORK/file.bin")
GWS=()
for i in 1 2 3; do
  "$GATEWAY" --car "$WORK/file.car" --rate-mib "$RATE" > "$WORK/gw$i.url" 2>"$WORK/gw$i.log" &
  PIDS+=($!)
  for _ in $(seq 1200); do [ -s "$WORK/gw$i.url" ] && break; sleep 0.1; done
  GWS+=("$(head -1 "$WORK/gw$i.url")")
done
echo "== $SIZE file $CID, three gateways capped at $RATE MiB/s each"

T_CURL=$(timed curl -sf -o /dev/null "${GWS[0]}/ipfs/$CID?format=car&dag-scope=entity")
echo "   curl, one CAR from one gateway: $(mibs "$BYTES" "$T_CURL") MiB/s"

flags=()
for g in "${GWS[@]}"; do flags+=(--gateway "$g"); done
"$IPFSFS" mount "${flags[@]}" --cache-dir "$WORK/cache" --log-file "$WORK/mount.log" "$MNT"
drop
T=$(timed cat "$MNT/ipfs/$CID")
cmp -s "$MNT/ipfs/$CID" "$WORK/file.bin" || { echo "   CONTENT MISMATCH"; exit 1; }
"$IPFSFS" status --json "$MNT" > "$WORK/status.json"
"$IPFSFS" umount "$MNT"
echo "   mount, three gateways: $(mibs "$BYTES" "$T") MiB/s -> ratio to curl $(ratio "$T_CURL" "$T") (goal >= 2.5)"
python3 - "$WORK/status.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["sources"]
total = sum(x["bytes"] for x in s) or 1
for x in s:
    print(f"   {x['name']}: {100 * x['bytes'] / total:.0f}% of the bytes, {x['requests']} requests, "
          f"{x.get('throughput', 0) / 1048576:.1f} MiB/s per stream")
PY
