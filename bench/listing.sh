#!/usr/bin/env bash
# bench/listing.sh [ENTRIES] [LARGE_FILES] [LARGE_MIB]: cold listings of big directories (issue 20).
#
#   cold `ls -l` of an ENTRIES-entry HAMT directory of small files (default 10,000)  ÷ curl of that
#   cold `find` of the same directory                                               ÷ directory as one
#                                                                  dag-scope=all CAR from the same gateway
#   bytes the gateway sent for a cold `ls -l` of a directory of LARGE_FILES files of LARGE_MIB MiB
#   (default 4 × 16) ÷ (the directory's own block + its children's root blocks)
#
# Each cold listing runs on a fresh cache with the page cache dropped; warm ones on that cache through
# a new mount; local ones on the source directory (the floor: ls -l itself stats and sorts). Goals: ≤ 2 and ≤ 1.5. Bytes sent are
# counted by the gateway (GET /debug/counts: headers, and all a cancelled stream pushed into the socket,
# count too). LATENCY_MS=N makes every gateway answer N ms late.
# Needs root (drop_caches, FUSE). BUILD=build dir (default: build-mount).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
ENTRIES=${1:-10000}
LARGE_FILES=${2:-4}
LARGE_MIB=${3:-16}
bench_init listing

echo "== setup: $ENTRIES-entry sharded dir, $LARGE_FILES files of $LARGE_MIB MiB (in $WORK)"
mkdir -p "$WORK/data/flat" "$WORK/data/large"
(cd "$WORK/data/flat" && seq 0 $((ENTRIES - 1)) | awk '{f = sprintf("entry-%05d.txt", $1); print "flat " $1 > f; close(f)}')
for ((i = 0; i < LARGE_FILES; i++)); do head -c "${LARGE_MIB}M" /dev/urandom > "$WORK/data/large/file-$i.bin"; done
FLAT=$("$IPFSFS" add -r -Q --car "$WORK/flat.car" "$WORK/data/flat")
LARGE=$("$IPFSFS" add -r -Q --car "$WORK/large.car" "$WORK/data/large")
start_gateway --car "$WORK/flat.car" --car "$WORK/large.car" ${LATENCY_MS:+--latency-ms "$LATENCY_MS"}
echo "   sharded dir $FLAT, large-file dir $LARGE, gateway $GW"

best3() { local best= t; for _ in 1 2 3; do t=$(timed "$@"); if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi; done; echo "$best"; }
CAR_BYTES=$(curl -sf "$GW/ipfs/$FLAT?format=car&dag-scope=all" | wc -c)
T_CURL=$(best3 curl -sf -o /dev/null "$GW/ipfs/$FLAT?format=car&dag-scope=all")

N=0
mount_cold() {  # a fresh cache each time, page cache dropped
  N=$((N + 1))
  "$IPFSFS" mount --gateway "$GW" --cache-dir "$WORK/cache$N" --log-file "$WORK/mount.log" "$MNT"
  drop
}
umount_fs() { "$IPFSFS" umount "$MNT"; }
status() { "$IPFSFS" status --json "$MNT"; }
settle() {  # until no fetch is in flight (the warmer's tail), twice in a row
  local idle=0
  for _ in $(seq 300); do
    if [ "$(status | jq '.in_flight_fetches')" = 0 ]; then idle=$((idle + 1)); [ $idle -ge 3 ] && return; else idle=0; fi
    sleep 0.1
  done
}
requests() { status | jq '[.sources[].requests] | add'; }  # the mount's requests, CARs counted once

echo "== cold ls -l and find of the sharded dir (and warm: the same cache, a new mount; and local)"
mount_warm() { "$IPFSFS" mount --gateway "$GW" --cache-dir "$WORK/cache$N" --log-file "$WORK/mount.log" "$MNT"; drop; }
mount_cold
T_LS=$(timed ls -l "$MNT/ipfs/$FLAT")
R_LS=$(requests)
LINES=$(ls -l "$MNT/ipfs/$FLAT" | tail -n +2 | wc -l)
[ "$LINES" = "$ENTRIES" ] || { echo "ls -l listed $LINES entries, not $ENTRIES" >&2; exit 1; }
umount_fs
mount_warm
T_LS_WARM=$(timed ls -l "$MNT/ipfs/$FLAT")
umount_fs
mount_cold
T_FIND=$(timed find "$MNT/ipfs/$FLAT")
R_FIND=$(requests)
umount_fs
mount_warm
T_FIND_WARM=$(timed find "$MNT/ipfs/$FLAT")
umount_fs
drop
T_LS_LOCAL=$(timed ls -l "$WORK/data/flat")
drop
T_FIND_LOCAL=$(timed find "$WORK/data/flat")
printf "   curl of the dag-scope=all CAR (%d bytes): %.3f s (best of 3)\n" "$CAR_BYTES" "$T_CURL"
printf "   ls -l: cold %.3f s, %d requests -> ratio %s (goal <= 2); warm %.3f s, local %.3f s\n" \
       "$T_LS" "$R_LS" "$(ratio "$T_LS" "$T_CURL")" "$T_LS_WARM" "$T_LS_LOCAL"
printf "   find:  cold %.3f s, %d requests -> ratio %s (goal <= 2); warm %.3f s, local %.3f s\n" \
       "$T_FIND" "$R_FIND" "$(ratio "$T_FIND" "$T_CURL")" "$T_FIND_WARM" "$T_FIND_LOCAL"
printf "   cold - warm (what the network part costs) ÷ curl: ls -l %s, find %s\n" \
       "$(ratio "$(secs "$T_LS_WARM" "$T_LS")" "$T_CURL")" "$(ratio "$(secs "$T_FIND_WARM" "$T_FIND")" "$T_CURL")"

echo "== bytes for a cold ls -l of the large-file dir"
raw_size() { curl -sf -o /dev/null -w '%{size_download}' "$GW/ipfs/$1?format=raw"; }
wchar() { curl -sf "$GW/debug/counts" | jq '.bytes_sent'; }
mount_cold
W0=$(wchar)
ls -l "$MNT/ipfs/$LARGE" > /dev/null
settle
W1=$(wchar)
R_LARGE=$(requests)
NEED=$(raw_size "$LARGE")
for f in "$MNT/ipfs/$LARGE"/*; do
  NEED=$((NEED + $(raw_size "$(getfattr --absolute-names --only-values -n user.ipfs.cid "$f")")))
done
umount_fs
SENT=$((W1 - W0))
echo "   gateway sent $SENT bytes in $R_LARGE requests; own block + children's roots: $NEED bytes" \
     " -> ratio $(ratio "$SENT" "$NEED") (goal <= 1.5)"
