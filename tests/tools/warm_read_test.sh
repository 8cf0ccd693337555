#!/usr/bin/env bash
# Cached files read back through a real mount, page cache dropped: the blocks
# come from the packs as file ranges that libfuse splices to the kernel (not
# copied through the daemon), and every byte is the file's — raw and dag-pb
# leaves, leaves not a multiple of a page, reads at odd offsets, small leaves
# read into memory beside them, and reads too large to splice (copied).
#
#   warm_read_test.sh IPFSFS TEST_GATEWAY
#
# Real FUSE: needs root and /dev/fuse, else exits 77 (skipped).
set -u

IPFSFS=$(realpath "$1")
GATEWAY=$(realpath "$2")
source "$(dirname "$0")/lib.sh"
need_fuse
make_work warm-read
GW_PID=
on_exit '[ -n "$GW_PID" ] && kill "$GW_PID"'

mkdir -p "$WORK/src"
head -c 3000777 /dev/urandom > "$WORK/src/data.bin"
head -c 5000 /dev/urandom > "$WORK/src/small.bin"
V0=$("$IPFSFS" add -Q --car "$WORK/v0.car" "$WORK/src/data.bin") || exit 1
V1=$("$IPFSFS" add -Q --cid-version 1 --car "$WORK/v1.car" "$WORK/src/data.bin") || exit 1
ODD=$("$IPFSFS" add -Q -s size-100000 --car "$WORK/odd.car" "$WORK/src/data.bin") || exit 1
# Leaves of 8 KiB: read into memory (too small to be worth a splice).
SMALL=$("$IPFSFS" add -Q -s size-8192 --car "$WORK/small.car" "$WORK/src/data.bin") || exit 1
"$GATEWAY" --car "$WORK/v0.car" --car "$WORK/v1.car" --car "$WORK/odd.car" --car "$WORK/small.car" \
  >"$WORK/gw.url" 2>"$WORK/gw.log" &
GW_PID=$!
for _ in $(seq 100); do [ -s "$WORK/gw.url" ] && break; sleep 0.05; done
GW=$(head -1 "$WORK/gw.url")
[ -n "$GW" ] || { echo "FAIL: the test gateway did not start: $(cat "$WORK/gw.log")"; exit 1; }

drop() { sync; echo 3 > /proc/sys/vm/drop_caches; }
rchar() { awk '/^rchar/ {print $2}' "/proc/$MOUNT_PID/io"; }
mount_fs() {  # mount_fs ARGS...
  expect "mount $*" 0 "$IPFSFS" mount --cache-dir "$WORK/cache" --log-file "$WORK/mount.log" "$@" "$MNT" || exit 1
  MOUNT_PID=$("$IPFSFS" status --json "$MNT" | sed 's/.*"pid":\([0-9]*\).*/\1/')
}
same_all() {  # same_all WHAT: every file whole, and pieces at odd offsets
  local cid
  for cid in "$V0" "$V1" "$ODD" "$SMALL"; do
    cmp -s "$MNT/ipfs/$cid" "$WORK/src/data.bin" && echo "ok: $1: ${cid:0:8}… whole" ||
      fail "$1: ${cid:0:8}… differs from the file"
    for at in 1 99 255 1000; do  # 4 KiB pieces: at 4 KiB, 396 KiB, 1020 KiB, ~3.9 MB (past the end: short)
      cmp -s <(dd if="$MNT/ipfs/$cid" bs=4096 skip="$at" count=3 iflag=direct 2>/dev/null) \
             <(dd if="$WORK/src/data.bin" bs=4096 skip="$at" count=3 2>/dev/null) ||
        fail "$1: ${cid:0:8}… bytes at block $at differ"
    done
  done
}

# Cold: from the gateway into the cache; then read again from the packs
# while the mount still appends to them.
mount_fs --gateway "$GW"
same_all "cold"
drop
same_all "warm, same mount"
"$IPFSFS" umount "$MNT" || fail "umount"

# A new mount, offline: every block from the packs.
mount_fs --offline
drop
before=$(rchar)
for cid in "$V0" "$V1" "$ODD"; do cat "$MNT/ipfs/$cid" > /dev/null; done
read_bytes=$(( $(rchar) - before ))
# Spliced, the daemon reads only requests and leaf headers: far less than the
# 9 MB it serves (a copy through it reads all of them).
if [ "$read_bytes" -lt 3000000 ]; then
  echo "ok: 9 MB served, the daemon read $read_bytes bytes (spliced)"
else
  fail "9 MB served, but the daemon read $read_bytes bytes: the ranges were copied, not spliced"
fi
drop
same_all "warm, new mount"
"$IPFSFS" umount "$MNT" || fail "umount"

# Reads whose reply is larger than libfuse's pipe: copied instead, same bytes.
mount_fs --offline -o max_read=1048576
drop
same_all "warm, 1 MiB reads"
"$IPFSFS" umount "$MNT" || fail "umount"
finish "$WORK/mount.log"
