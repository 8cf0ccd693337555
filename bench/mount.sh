#!/usr/bin/env bash
# bench/mount.sh [SIZE]: the mount against baselines measured in the same run.
#
#   cold sequential read through the mount  ÷ curl of the same DAG (CAR) from the same loopback gateway
#   warm read (blocks cached, page cache dropped) ÷ cat of a local copy (page cache dropped)
#   re-read with page cache warm            ÷ local re-read
#   ls -l of a 10,000-entry sharded dir, cold and warm; find over a 10,000-file tree, cold and warm
#   peak RSS of the mount daemon while streaming
#   fio (if installed) sequential 1 MiB and random 4 KiB reads, mount vs local file
#
# SIZE: of the big file (default 256M; 1G..4G for the issue's figures).
# Needs root (drop_caches, FUSE). BUILD=build dir with ipfsfs and
# ipfsfs-test-gateway (default: build-mount). Ratios are throughput ratios
# (mount ÷ baseline): 1.0 means as fast as the baseline.
set -euo pipefail

SIZE=${1:-256M}
. "$(dirname "$0")/lib.sh"
bench_init mount

echo "== setup: $SIZE file, 10,000-entry sharded dir, 10,000-file tree (in $WORK)"
mkdir -p "$WORK/data/big" "$WORK/data/flat"
head -c "$SIZE" /dev/urandom > "$WORK/data/big/file.bin"
BYTES=$(stat -c %s "$WORK/data/big/file.bin")
# Distinct small files, so every entry is its own block.
(cd "$WORK/data/flat" && seq 0 9999 | awk '{f = sprintf("entry-%05d.txt", $1); print "flat " $1 > f; close(f)}')
mkdir -p "$WORK/data/tree"
(cd "$WORK/data/tree" && seq -w 0 99 | xargs mkdir && seq 0 9999 | \
  awk '{f = sprintf("%02d/f%03d", int($1 / 100), $1 % 100); print "tree " $1 > f; close(f)}')
BIG=$("$IPFSFS" add -Q --car "$WORK/big.car" "$WORK/data/big/file.bin")
FLAT=$("$IPFSFS" add -r -Q --car "$WORK/flat.car" "$WORK/data/flat")
TREE=$("$IPFSFS" add -r -Q --car "$WORK/tree.car" "$WORK/data/tree")
start_gateway --car "$WORK/big.car" --car "$WORK/flat.car" --car "$WORK/tree.car"
echo "   file $BIG ($BYTES bytes), sharded dir $FLAT, tree $TREE, gateway $GW"

mount_fs() {  # mount_fs CACHE_DIR
  "$IPFSFS" mount --gateway "$GW" --cache-dir "$1" --cache-size 20G --log-file "$WORK/mount.log" "$MNT"
  MOUNT_PID=$("$IPFSFS" status --json "$MNT" | sed 's/.*"pid":\([0-9]*\).*/\1/')
}
umount_fs() { "$IPFSFS" umount "$MNT"; for _ in $(seq 50); do kill -0 "$MOUNT_PID" 2>/dev/null || break; sleep 0.1; done; }

echo "== cold sequential read"
T_CURL=$(timed curl -sf -o /dev/null "$GW/ipfs/$BIG?format=car&dag-scope=entity")
mount_fs "$WORK/cache"
drop
T_COLD=$(timed cat "$MNT/ipfs/$BIG")
RSS_KB=$(grep VmHWM "/proc/$MOUNT_PID/status" | awk '{print $2}')
cmp -s "$MNT/ipfs/$BIG" "$WORK/data/big/file.bin" && echo "   content matches" || { echo "   CONTENT MISMATCH"; exit 1; }
echo "   curl (CAR) $(mibs "$BYTES" "$T_CURL") MiB/s, mount $(mibs "$BYTES" "$T_COLD") MiB/s" \
     " -> ratio $(ratio "$T_CURL" "$T_COLD") (goal >= 0.9)"
echo "   peak RSS of the mount while streaming: $((RSS_KB / 1024)) MiB (goal <= 100)"

echo "== re-read, page cache warm (best of 3 each: a 1 GiB re-read takes ~50 ms, near the timer's noise)"
best3() { local best= t; for _ in 1 2 3; do t=$(timed "$@"); if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi; done; echo "$best"; }
cat "$WORK/data/big/file.bin" > /dev/null
T_LOCAL_WARM=$(best3 cat "$WORK/data/big/file.bin")
T_MOUNT_WARM=$(best3 cat "$MNT/ipfs/$BIG")
echo "   local $(mibs "$BYTES" "$T_LOCAL_WARM") MiB/s, mount $(mibs "$BYTES" "$T_MOUNT_WARM") MiB/s" \
     " -> ratio $(ratio "$T_LOCAL_WARM" "$T_MOUNT_WARM") (goal >= 0.95)"

echo "== warm read: blocks cached, page cache dropped (best of 3 each, interleaved: this VM's disk is"
echo "   backed by the host's page cache, so one local cold read takes anywhere from 0.35 to 1.9 s)"
umount_fs
mount_fs "$WORK/cache"
cpu_ticks() { awk '{print $14 + $15}' "/proc/$MOUNT_PID/stat"; }
T_LOCAL= T_WARM= WARM_TICKS=
for _ in 1 2 3; do
  drop; t=$(timed cat "$WORK/data/big/file.bin")
  if [ -z "$T_LOCAL" ] || [ "$(echo "$t < $T_LOCAL" | bc -l)" = 1 ]; then T_LOCAL=$t; fi
  drop; c0=$(cpu_ticks); t=$(timed cat "$MNT/ipfs/$BIG"); c1=$(cpu_ticks)
  if [ -z "$T_WARM" ] || [ "$(echo "$t < $T_WARM" | bc -l)" = 1 ]; then T_WARM=$t WARM_TICKS=$((c1 - c0)); fi
done
echo "   local cold $(mibs "$BYTES" "$T_LOCAL") MiB/s, mount $(mibs "$BYTES" "$T_WARM") MiB/s" \
     " -> ratio $(ratio "$T_LOCAL" "$T_WARM") (goal >= 0.7)"
echo "   the mount daemon's CPU in that read: $(echo "scale=2; $WARM_TICKS / $(getconf CLK_TCK)" | bc) s"

# Why re-reads trail a local file: the size of the page-cache folios each one
# fills (FUSE got only 4 KiB folios before Linux's "fuse: enable large folios").
if command -v perf >/dev/null && perf list tracepoint 2>/dev/null | grep mm_filemap_add_to_page_cache >/dev/null; then
  echo "== page-cache folios filled by one cold read (perf tracepoint filemap:mm_filemap_add_to_page_cache)"
  folios() {  # folios FILE -> "N folios of order K, ..." for the file's device
    local dev; dev=$(stat -c '%Hd:%Ld' "$1")
    drop
    perf record -q -a -e filemap:mm_filemap_add_to_page_cache -o "$WORK/perf.data" -- cat "$1" >/dev/null 2>&1
    perf script -i "$WORK/perf.data" 2>/dev/null | grep -F " dev $dev " | grep -o 'order=[0-9]*' | sort | uniq -c | \
      sort -rn | head -3 | awk '{printf "%s%d of %s", (NR > 1 ? ", " : ""), $1, $2}'
    rm -f "$WORK/perf.data"
  }
  echo "   local file: $(folios "$WORK/data/big/file.bin")"
  echo "   mount:      $(folios "$MNT/ipfs/$BIG")"
fi

if command -v fio >/dev/null; then
  echo "== fio ($(fio --version)): mount (blocks cached) vs local file, page cache bypassed (direct=1)"
  FIO_SIZE=$((BYTES / 1048576 * 1048576))
  fio_bw() {  # fio_bw FILE RW BS -> KiB/s
    fio --name=b --filename="$1" --readonly --rw="$2" --bs="$3" --size="$FIO_SIZE" --direct=1 --ioengine=psync \
        --runtime=10 --time_based=0 --output-format=terse 2>/dev/null | awk -F';' '{print $7}'
  }
  for spec in "read 1M" "randread 4k"; do
    set -- $spec
    L=$(fio_bw "$WORK/data/big/file.bin" "$1" "$2")
    M=$(fio_bw "$MNT/ipfs/$BIG" "$1" "$2")
    echo "   $1 $2: local $((L / 1024)) MiB/s, mount $((M / 1024)) MiB/s -> ratio $(ratio "$M" "$L")"
  done
fi
umount_fs

echo "== ls -l of a 10,000-entry sharded directory, find over a 10,000-file tree"
LOCAL_LS=$(timed ls -l "$WORK/data/flat")
LOCAL_FIND=$(timed find "$WORK/data/tree")
mount_fs "$WORK/cache2"
T_LS_COLD=$(timed ls -l "$MNT/ipfs/$FLAT")
T_FIND_COLD=$(timed find "$MNT/ipfs/$TREE")
N=$(ls "$MNT/ipfs/$FLAT" | wc -l)
F=$(find "$MNT/ipfs/$TREE" -type f | wc -l)
umount_fs
mount_fs "$WORK/cache2"
T_LS_WARM=$(timed ls -l "$MNT/ipfs/$FLAT")
T_FIND_WARM=$(timed find "$MNT/ipfs/$TREE")
umount_fs
printf "   ls -l (%d entries): cold %.3f s, warm %.3f s, local %.3f s\n" "$N" "$T_LS_COLD" "$T_LS_WARM" "$LOCAL_LS"
printf "   find (%d files):    cold %.3f s, warm %.3f s, local %.3f s\n" "$F" "$T_FIND_COLD" "$T_FIND_WARM" "$LOCAL_FIND"
