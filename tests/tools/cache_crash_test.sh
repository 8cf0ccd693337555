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

head -c 96000000 /dev/urandom > "$WORK/big.bin"
WANT=$("$IPFSFS" add -Q -n "$WORK/big.bin") || exit 1

pack_bytes() { local n; n=$(du -sb "$CACHE/packs" 2>/dev/null | cut -f1); echo "${n:-0}"; }

# Waits until the cache's packs grow past BYTES (the writes are under way),
# then kills PID with SIGKILL; false when PID ended first.
kill_when_packs_reach() {
  local pid=$1 bytes=$2
  for _ in $(seq 600); do
    kill -0 "$pid" 2>/dev/null || return 1
    [ "$(pack_bytes)" -ge "$bytes" ] && { kill -9 "$pid"; wait "$pid" 2>/dev/null; return 0; }
    sleep 0.05
  done
  kill -9 "$pid"
  return 1
}

verify_clean() {  # verify_clean NAME [MIN_BLOCKS]: nothing damaged among at least MIN_BLOCKS indexed
  expect "$1: cache verify" 0 "$IPFSFS" cache verify --cache-dir "$CACHE" --offline || return
  grep -Eq '^verified [0-9]+ blocks, removed 0 damaged$' <<<"$OUT" || fail "$1: cache verify: $OUT"
  local n; n=$(sed -n 's/^verified \([0-9]*\) blocks.*/\1/p' <<<"$OUT")
  [ "${n:-0}" -ge "${2:-0}" ] || fail "$1: only ${n:-0} blocks indexed, want >= $2"
  echo "   $OUT"
}

round=0
for at in 8000000 30000000 60000000; do
  round=$((round + 1))
  before=$(pack_bytes)
  "$IPFSFS" add -Q --cache-dir "$CACHE" "$WORK/big.bin" >/dev/null 2>"$WORK/add.err" &
  ADD_PID=$!
  if kill_when_packs_reach "$ADD_PID" $((before + at)); then
    echo "ok: add $round killed with $(pack_bytes) bytes in packs"
  else
    fail "add $round ended before it could be killed: $(cat "$WORK/add.err")"
  fi
  ADD_PID=
  # Blocks stored before the last flush (every 16 MiB) stay indexed: from the
  # second kill on, there are some.
  verify_clean "after kill $round" $([ "$round" -gt 1 ] && echo 1 || echo 0)
done

expect "add after the kills" 0 "$IPFSFS" add -Q --cache-dir "$CACHE" "$WORK/big.bin" && check "same CID" "$WANT" "$OUT"
verify_clean "after the add"

if [ "$(id -u)" = 0 ] && [ -c /dev/fuse ]; then
  # A cold read through a mount, from a gateway, killed mid-way.
  "$IPFSFS" add -Q --car "$WORK/big.car" "$WORK/big.bin" >/dev/null || exit 1
  "$GATEWAY" --car "$WORK/big.car" >"$WORK/gw.url" 2>"$WORK/gw.log" &
  GW_PID=$!
  for _ in $(seq 100); do [ -s "$WORK/gw.url" ] && break; sleep 0.05; done
  GW=$(head -1 "$WORK/gw.url")
  CACHE=$WORK/cache2
  expect "mount" 0 "$IPFSFS" mount --gateway "$GW" --cache-dir "$CACHE" --log-file "$WORK/mount.log" "$MNT" || finish
  MOUNT_PID=$("$IPFSFS" status --json "$MNT" | sed 's/.*"pid":\([0-9]*\).*/\1/')
  cat "$MNT/ipfs/$WANT" >/dev/null 2>&1 &
  CAT_PID=$!
  if kill_when_packs_reach "$MOUNT_PID" 40000000; then echo "ok: mount killed mid-read"; else fail "mount was not killed mid-read"; fi
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
