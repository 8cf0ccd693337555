#!/usr/bin/env bash
# bench/ipns_ls.sh [FILES] [RUNS]: `ls -lR` of ipns/<name>/ once cached, ÷ the
# same listing under ipfs/<cid>/ (issue 14's goal: ≤ 1.10). A tree of FILES
# files (default 5000) in directories of 100; the name's TTL is 1 h so every
# run is served from the names cache; both listings are warmed once, then each
# is timed RUNS times (default 20) alternately. Needs node (tests/peers) for
# the record. BUILD=build dir (default: build-mount).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
FILES=${1:-5000}
RUNS=${2:-20}
bench_init ipns_ls
mkdir -p "$WORK/tree"
for ((i = 0; i < FILES; i++)); do
  d=$WORK/tree/d$((i / 100))
  [ -d "$d" ] || mkdir -p "$d"
  echo "file $i" > "$d/f$i.txt"
done
CID=$("$IPFSFS" add -r -Q --car "$WORK/tree.car" "$WORK/tree")
KEY=$(node "$ROOT/tests/peers/ipns_record.mjs" 9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60 \
      "/ipfs/$CID" 1 3600 "$WORK/record")
start_gateway --car "$WORK/tree.car" --ipns "$KEY=$WORK/record"
"$IPFSFS" mount --gateway "$GW" --cache-dir "$WORK/cache" --log-file "$WORK/mount.log" "$MNT"
ls -lR "$MNT/ipfs/$CID" >/dev/null
ls -lR "$MNT/ipns/$KEY" >/dev/null
t_ipfs=0
t_ipns=0
for ((r = 0; r < RUNS; r++)); do
  t_ipfs=$(echo "$t_ipfs + $(timed ls -lR "$MNT/ipfs/$CID")" | bc -l)
  t_ipns=$(echo "$t_ipns + $(timed ls -lR "$MNT/ipns/$KEY")" | bc -l)
done
[ "$(ls -lR "$MNT/ipns/$KEY" | wc -l)" = "$(ls -lR "$MNT/ipfs/$CID" | wc -l)" ] || { echo "listings differ" >&2; exit 1; }
echo "ls -lR of $FILES files, $RUNS runs each, cached"
echo "ipfs/<cid>:  $(echo "scale=4; $t_ipfs / $RUNS" | bc -l) s"
echo "ipns/<name>: $(echo "scale=4; $t_ipns / $RUNS" | bc -l) s"
echo "ratio ipns/ipfs: $(ratio "$t_ipns" "$t_ipfs") (goal <= 1.10)"
