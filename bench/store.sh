#!/usr/bin/env bash
# bench/store.sh [SIZE] [FILES]: the block store (issue 18), against baselines
# measured in the same run:
#
#   cold read of a SIZE file from the loopback gateway: the mount daemon's CPU
#     ÷ `openssl dgst -sha256` CPU on the same bytes (the hashing floor)
#   peak RSS of the mount daemon while streaming it
#   warm read (blocks cached, page cache dropped) ÷ `cat` of a local copy, best of 3 each
#   FILES files of SIZE/FILES read at once, warm ÷ the same local reads at once, best of 3
#   fio random 4 KiB reads (direct) ÷ the same on the local copy
#   opening a cache of N blocks (store_open_bench, N=OPEN_BLOCKS, default 1,000,000; 0: skipped)
#
# Needs root (drop_caches, FUSE), GNU time, fio. BUILD as in bench/lib.sh.
set -euo pipefail

SIZE=${1:-1G}
FILES=${2:-4}
OPEN_BLOCKS=${OPEN_BLOCKS:-1000000}
. "$(dirname "$0")/lib.sh"
bench_init store

echo "== setup: one $SIZE file and $FILES files of SIZE/$FILES (in $WORK)"
mkdir -p "$WORK/data/big" "$WORK/data/multi"
head -c "$SIZE" /dev/urandom > "$WORK/data/big/file.bin"
BYTES=$(stat -c %s "$WORK/data/big/file.bin")
for i in $(seq "$FILES"); do head -c $((BYTES / FILES)) /dev/urandom > "$WORK/data/multi/f$i.bin"; done
# ADD_ARGS: how the files are imported (default: kubo's, CIDv0 with dag-pb
# leaves; "--cid-version 1" for raw leaves). MOUNT_ARGS: more mount flags
# ("-o max_read=1048576": replies too large to splice, copied instead).
BIG=$("$IPFSFS" add -Q ${ADD_ARGS:-} --car "$WORK/big.car" "$WORK/data/big/file.bin")
MULTI=$("$IPFSFS" add -r -Q ${ADD_ARGS:-} --car "$WORK/multi.car" "$WORK/data/multi")
start_gateway --car "$WORK/big.car" --car "$WORK/multi.car"

mount_fs() {  # mount_fs CACHE_DIR
  "$IPFSFS" mount --gateway "$GW" --cache-dir "$1" --cache-size 40G --log-file "$WORK/mount.log" ${MOUNT_ARGS:-} "$MNT"
  MOUNT_PID=$("$IPFSFS" status --json "$MNT" | sed 's/.*"pid":\([0-9]*\).*/\1/')
}
umount_fs() { "$IPFSFS" umount "$MNT"; for _ in $(seq 50); do kill -0 "$MOUNT_PID" 2>/dev/null || break; sleep 0.1; done; }
cpu_secs() { echo "scale=2; $(awk '{print $14 + $15}' "/proc/$1/stat") / $(getconf CLK_TCK)" | bc; }
best3() {  # best3 CMD...: the shortest of 3 runs, page cache dropped before each
  local best= t
  for _ in 1 2 3; do
    drop
    t=$(timed "$@")
    if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
  done
  echo "$best"
}
cat_all() { for f in "$@"; do cat "$f" >/dev/null & done; wait; }

echo "== cold read: the daemon's CPU ÷ sha256's"
cat "$WORK/data/big/file.bin" >/dev/null
SHA_CPU=$(/usr/bin/time -f "%U %S" openssl dgst -sha256 "$WORK/data/big/file.bin" 2>&1 >/dev/null | awk '{print $1 + $2}')
mount_fs "$WORK/cache"
drop
c0=$(cpu_secs "$MOUNT_PID")
T_COLD=$(timed cat "$MNT/ipfs/$BIG")
c1=$(cpu_secs "$MOUNT_PID")
RSS_KB=$(grep VmHWM "/proc/$MOUNT_PID/status" | awk '{print $2}')
COLD_CPU=$(echo "$c1 - $c0" | bc)
echo "   openssl dgst -sha256: $SHA_CPU CPU-s; the mount: $COLD_CPU CPU-s for $(mibs "$BYTES" "$T_COLD") MiB/s" \
     " -> ratio $(ratio "$COLD_CPU" "$SHA_CPU") (goal <= 2)"
echo "   peak RSS of the mount while streaming: $((RSS_KB / 1024)) MiB (goal <= 100)"
cat "$MNT/ipfs/$MULTI"/* >/dev/null  # the FILES files into the cache too
umount_fs

echo "== warm read: blocks cached, page cache dropped (best of 3 each)"
mount_fs "$WORK/cache"
T_LOCAL=$(best3 cat "$WORK/data/big/file.bin")
c0=$(cpu_secs "$MOUNT_PID")
T_WARM=$(best3 cat "$MNT/ipfs/$BIG")
c1=$(cpu_secs "$MOUNT_PID")
echo "   local $(mibs "$BYTES" "$T_LOCAL") MiB/s, mount $(mibs "$BYTES" "$T_WARM") MiB/s" \
     " -> ratio $(ratio "$T_LOCAL" "$T_WARM") (goal >= 0.8); daemon CPU for 3 reads $(echo "$c1 - $c0" | bc) s"
L_MULTI=$(best3 cat_all "$WORK"/data/multi/*)
M_MULTI=$(best3 cat_all "$MNT/ipfs/$MULTI"/*)
echo "   $FILES files at once: local $(mibs "$BYTES" "$L_MULTI") MiB/s, mount $(mibs "$BYTES" "$M_MULTI") MiB/s" \
     " -> ratio $(ratio "$L_MULTI" "$M_MULTI")"

if command -v fio >/dev/null; then
  FIO_SIZE=$((BYTES / 1048576 * 1048576))
  fio_bw() {  # fio_bw FILE -> KiB/s of direct random 4 KiB reads
    fio --name=b --filename="$1" --readonly --rw=randread --bs=4k --size="$FIO_SIZE" --direct=1 --ioengine=psync \
        --runtime=10 --time_based=0 --output-format=terse 2>/dev/null | awk -F';' '{print $7}'
  }
  drop; L=$(fio_bw "$WORK/data/big/file.bin")
  drop; M=$(fio_bw "$MNT/ipfs/$BIG")
  echo "   fio randread 4k (direct): local $((L / 1024)) MiB/s, mount $((M / 1024)) MiB/s -> ratio $(ratio "$M" "$L")"
fi
umount_fs

if [ "$OPEN_BLOCKS" != 0 ] && [ -x "$BUILD/bench/store_open_bench" ]; then
  echo "== opening a cache of $OPEN_BLOCKS blocks"
  "$BUILD/bench/store_open_bench" "$WORK/open-cache" "$OPEN_BLOCKS"
fi
