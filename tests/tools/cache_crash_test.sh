#!/usr/bin/env bash
# A kill -9 while blocks pour into the cache leaves every indexed block whole:
# `ipfsfs add` killed mid-import (three times, at different points), then a
# mount killed mid-way through a cold read from the test gateway; after each,
# `cache verify` re-hashes everything and removes nothing, and the cache keeps
# working (the add completes with the same CID, the file reads right).
#
#   cache_crash_test.sh IPFSFS TEST_GATEWAY
#
# The add rounds need nothing special; the mount round needs root and
# /dev/fuse (else it is left out, with a note).
set -u
IPFSFS=$(realpath "$1")
GATEWAY=$(realpath "$2")
source "$(dirname "$0")/lib.sh"
make_work cache-crash
unset IPFS_GATEWAY
export IPFS_PATH=$WORK/no-ipfs
CACHE=$WORK/cache
GW_PID= ADD_PID=
on_exit '[ -n "$ADD_PID" ] && kill -9 "$ADD_PID"'
on_exit '[ -n "$GW_PID" ] && kill "$GW_PID"'

head -c 48M /dev/urandom > "$WORK/big.bin"
WANT=$("$IPFSFS" add -Q -n "$WORK/big.bin") || exit 1

# Bytes PID has written (pwrite into packs, mostly): /proc/PID/io's wchar.
written() { awk '/^wchar:/ {print $2}' "/proc/$1/io" 2>/dev/null || echo 0; }

# Waits until PID has written BYTES (the writes are under way), then kills it
# with SIGKILL; false when PID ended first.
kill_when_written() {
  local pid=$1 bytes=$2 w
  for _ in $(seq 1200); do
    kill -0 "$pid" 2>/dev/null || return 1
    w=$(written "$pid")
    [ "${w:-0}" -ge "$bytes" ] && { kill -9 "$pid"; wait "$pid" 2>/dev/null; return 0; }
    sleep 0.02
  done
  kill -9 "$pid"
  return 1
}

# The file at about 50 MB/s, so a kill lands within a few MB of its mark.
feed() { for i in $(seq 0 47); do dd if="$WORK/big.bin" bs=1M skip="$i" count=1 status=none; sleep 0.02; done; }

verify_clean() {  # verify_clean NAME [MIN_BLOCKS]: nothing damaged among at least MIN_BLOCKS indexed
  expect "$1: cache verify" 0 "$IPFSFS" cache verify --cache-dir "$CACHE" --offline || return
  grep -Eq '^verified [0-9]+ blocks, removed 0 damaged$' <<<"$OUT" || fail "$1: cache verify: $OUT"
  local n; n=$(sed -n 's/^verified \([0-9]*\) blocks.*/\1/p' <<<"$OUT")
  [ "${n:-0}" -ge "${2:-0}" ] || fail "$1: only ${n:-0} blocks indexed, want >= $2"
  echo "   $OUT"
}

# Kill marks: before any index flush (every 16 MiB of blocks), after one,
# and in a run that adds only what the earlier ones left out.
round=0
for at in 6000000 20000000 10000000; do
  round=$((round + 1))
  "$IPFSFS" add -Q --cache-dir "$CACHE" < <(feed) >/dev/null 2>"$WORK/add.err" &
  ADD_PID=$!
  if kill_when_written "$ADD_PID" "$at"; then
    echo "ok: add $round killed after writing $at bytes"
  else
    fail "add $round ended before it could be killed: $(cat "$WORK/add.err")"
  fi
  ADD_PID=
  # From the second kill on, some blocks were flushed to the index.
  verify_clean "after kill $round" $([ "$round" -gt 1 ] && echo 1 || echo 0)
done

expect "add after the kills" 0 "$IPFSFS" add -Q --cache-dir "$CACHE" "$WORK/big.bin" && check "same CID" "$WANT" "$OUT"
verify_clean "after the add"

if [ "$(id -u)" = 0 ] && [ -c /dev/fuse ]; then
  # A cold read through a mount, from a gateway, killed mid-way (its writes:
  # the FUSE replies and the packs, about half each).
  "$IPFSFS" add -Q --car "$WORK/big.car" "$WORK/big.bin" >/dev/null || exit 1
  "$GATEWAY" --car "$WORK/big.car" --rate-mib 40 >"$WORK/gw.url" 2>"$WORK/gw.log" &
  GW_PID=$!
  for _ in $(seq 100); do [ -s "$WORK/gw.url" ] && break; sleep 0.05; done
  GW=$(head -1 "$WORK/gw.url")
  CACHE=$WORK/cache2
  expect "mount" 0 "$IPFSFS" mount --gateway "$GW" --cache-dir "$CACHE" --log-file "$WORK/mount.log" "$MNT" || finish
  MOUNT_PID=$("$IPFSFS" status --json "$MNT" | sed 's/.*"pid":\([0-9]*\).*/\1/')
  cat "$MNT/ipfs/$WANT" >/dev/null 2>&1 &
  CAT_PID=$!
  if kill_when_written "$MOUNT_PID" 56000000; then echo "ok: mount killed mid-read"; else fail "mount was not killed mid-read"; fi
  wait "$CAT_PID" 2>/dev/null
  umount -l "$MNT" 2>/dev/null
  verify_clean "after the mount's kill" 1
  expect "remount" 0 "$IPFSFS" mount --gateway "$GW" --cache-dir "$CACHE" --log-file "$WORK/mount.log" "$MNT" &&
    { cmp -s "$MNT/ipfs/$WANT" "$WORK/big.bin" && echo "ok: reads right after the kill" || fail "content differs after the kill"; }
  "$IPFSFS" umount "$MNT" >/dev/null 2>&1
  verify_clean "after the remount"
else
  echo "note: no root or /dev/fuse: the mount round is not run"
fi
finish "$WORK/mount.log"
