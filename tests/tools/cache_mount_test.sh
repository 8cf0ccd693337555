#!/usr/bin/env bash
# `ipfsfs cache …` while a mount holds the cache: the command is run by the
# mount over its control socket and prints what it prints locally.
#
#   cache_mount_test.sh IPFSFS TEST_GATEWAY
#
# Real FUSE: needs root and /dev/fuse, else exits 77 (skipped).
set -u  # no pipefail: grep -q may end a pipe early

IPFSFS=$(realpath "$1")
GATEWAY=$(realpath "$2")
source "$(dirname "$0")/lib.sh"
need_fuse
make_work cache-mount
CACHE=$WORK/cache
GW_PID=
PF_PID=
PF_PIDS=()
on_exit '[ -n "$PF_PID" ] && kill "$PF_PID"'
on_exit 'for p in "${PF_PIDS[@]}"; do kill "$p"; done'
on_exit '[ -n "$GW_PID" ] && kill "$GW_PID"'

mkdir -p "$MNT" "$WORK/served" "$WORK/local" "$WORK/slow" "$WORK/cache2"
echo "served by the gateway" > "$WORK/served/a.txt"
echo "only in a CAR imported while mounted" > "$WORK/local/only-local.txt"
head -c 200000 /dev/urandom > "$WORK/local/random.bin"
head -c 150000 /dev/urandom > "$WORK/slow/slow.bin"
SERVED=$("$IPFSFS" add -r -Q --car "$WORK/served.car" "$WORK/served") || exit 1
LOCAL=$("$IPFSFS" add -r -Q --car "$WORK/local.car" "$WORK/local") || exit 1
SLOW=$("$IPFSFS" add -Q --car "$WORK/slow.car" "$WORK/slow/slow.bin") || exit 1
MISSING=$(head -c 1000 /dev/urandom | "$IPFSFS" add -Q --only-hash) || exit 1

# The slow DAG trickles in at 512 bytes per 20 ms: its prefetch takes ~6 s.
"$GATEWAY" --car "$WORK/served.car" --car "$WORK/slow.car" --fault "slow:$SLOW" >"$WORK/gw.url" 2>"$WORK/gw.log" &
GW_PID=$!
for _ in $(seq 100); do [ -s "$WORK/gw.url" ] && break; sleep 0.05; done
GW=$(head -1 "$WORK/gw.url")
[ -n "$GW" ] || { echo "FAIL: the test gateway did not start: $(cat "$WORK/gw.log")"; exit 1; }

# A relative cache dir is the caller's, though the daemon runs in /.
cd "$WORK" || exit 1
expect "mount" 0 "$IPFSFS" mount --gateway "$GW" --cache-dir cache --log-file "$WORK/mount.log" "$MNT" || exit 1
MOUNT_PID=$("$IPFSFS" status --json "$MNT" | sed 's/.*"pid":\([0-9]*\).*/\1/')

# The pointer: owner-only, naming the mount's pid and socket.
if [ -f "$CACHE/mount.json" ]; then
  [ "$(stat -c %a "$CACHE/mount.json")" = 600 ] || fail "mount.json mode $(stat -c %a "$CACHE/mount.json"), want 600"
  grep -q "\"pid\":$MOUNT_PID[,}]" "$CACHE/mount.json" || fail "mount.json does not name pid $MOUNT_PID: $(cat "$CACHE/mount.json")"
  SOCK=$(sed 's/.*"socket":"\([^"]*\)".*/\1/' "$CACHE/mount.json")
  [ "$(stat -c %a "$SOCK")" = 600 ] || fail "control socket mode $(stat -c %a "$SOCK"), want 600"
else
  fail "no $CACHE/mount.json while mounted"
fi

# stat: the mount's cache, as JSON.
cat "$MNT/ipfs/$SERVED/a.txt" >/dev/null
if expect "cache stat --json" 0 "$IPFSFS" cache stat --cache-dir "$CACHE" --json; then
  grep -Eq '^\{"blocks":[1-9][0-9]*,"bytes":[0-9]+,"max_bytes":[0-9]+,"pinned_blocks":0,"pinned_roots":0\}$' <<<"$OUT" ||
    fail "cache stat --json: $OUT"
fi

# import, by a relative path (the mount runs in /): pinned, then readable through the mount.
if expect "cache import (relative path)" 0 "$IPFSFS" cache import local.car --cache-dir cache; then
  [ "$OUT" = "imported and pinned $LOCAL" ] || fail "cache import printed: $OUT"
fi
expect "cache pin ls" 0 "$IPFSFS" cache pin ls --cache-dir "$CACHE" && {
  [ "$OUT" = "$LOCAL recursive" ] || fail "cache pin ls: $OUT"
  PINS_MOUNTED=$OUT
}
# The gateway never had it: only the cache can answer.
cmp -s "$MNT/ipfs/$LOCAL/random.bin" "$WORK/local/random.bin" || fail "imported file unreadable through the mount"
[ "$(cat "$MNT/ipfs/$LOCAL/only-local.txt" 2>&1)" = "only in a CAR imported while mounted" ] ||
  fail "only-local.txt through the mount"

# export to a relative path, then check it holds the whole DAG: imported into
# another cache offline, it exports again byte for byte.
if expect "cache export (relative path)" 0 "$IPFSFS" cache export "$LOCAL" out.car --cache-dir cache; then
  [ -s "$WORK/out.car" ] || fail "cache export wrote no $WORK/out.car"
  expect "import the export elsewhere" 0 "$IPFSFS" cache import "$WORK/out.car" --cache-dir "$WORK/cache2" --offline &&
    expect "export it again offline" 0 "$IPFSFS" cache export "$LOCAL" "$WORK/out2.car" --cache-dir "$WORK/cache2" --offline &&
    { cmp -s "$WORK/out.car" "$WORK/out2.car" || fail "the exported CAR does not hold the whole DAG"; }
fi

# gc: unpinned blocks go, pinned ones stay.
expect "cache gc --all" 0 "$IPFSFS" cache gc --all --cache-dir "$CACHE" --json && {
  grep -Eq '^\{"evicted_blocks":[1-9][0-9]*,"evicted_bytes":[1-9][0-9]*\}$' <<<"$OUT" || fail "cache gc --all --json: $OUT"
}
expect "cache stat after gc" 0 "$IPFSFS" cache stat --cache-dir "$CACHE" && {
  grep -q "pinned, under 1 roots" <<<"$OUT" || fail "cache stat after gc: $OUT"
}

# verify.
expect "cache verify" 0 "$IPFSFS" cache verify --cache-dir "$CACHE" && {
  grep -Eq '^verified [1-9][0-9]* blocks, removed 0 damaged$' <<<"$OUT" || fail "cache verify: $OUT"
  VERIFY_MOUNTED=$OUT
}

# A CID no source has: exit 1, nothing on stdout, one error line.
expect "cache pin add (missing CID)" 1 "$IPFSFS" cache pin add "$MISSING" --cache-dir "$CACHE" && {
  [ -z "$OUT" ] || fail "pin add of a missing CID printed on stdout: $OUT"
  [ "$(echo "$ERR" | wc -l)" = 1 ] || fail "pin add of a missing CID: want one stderr line, got: $ERR"
  grep -q "^ipfsfs: pin add $MISSING: .*not found" <<<"$ERR" || fail "pin add of a missing CID said: $ERR"
}

# plain add: the mount stores and pins what add built; the output is add's own.
mkdir -p "$WORK/added/sub"
echo "added while mounted" > "$WORK/added/a.txt"
echo "deeper" > "$WORK/added/sub/b.txt"
WANT_ADD=$("$IPFSFS" add -r -n added)
ADDED=$("$IPFSFS" add -r -Q -n added)
# What an add killed with SIGKILL leaves (a pid no process has): the next add removes it.
DEAD=$(sh -c 'echo $$')
while kill -0 "$DEAD" 2>/dev/null; do DEAD=$((DEAD + 1)); done
echo stale > "$CACHE/add-$DEAD.car"
if expect "add while mounted" 0 "$IPFSFS" add -r added --cache-dir cache; then
  [ "$OUT" = "$WANT_ADD" ] || fail "add printed '$OUT', want '$WANT_ADD'"
  [ -z "$ERR" ] || fail "add printed on stderr: $ERR"
fi
[ "$(cat "$MNT/ipfs/$ADDED/sub/b.txt" 2>&1)" = "deeper" ] || fail "added file unreadable through the mount"
grep -q '\.car' <<<"$(ls "$CACHE")" && fail "add left a CAR in the cache dir: $(ls "$CACHE")"
expect "cache pin ls after add" 0 "$IPFSFS" cache pin ls --cache-dir "$CACHE" && {
  [ "$(echo "$OUT" | LC_ALL=C sort)" = "$(printf '%s recursive\n%s recursive\n' "$ADDED" "$LOCAL" | LC_ALL=C sort)" ] ||
    fail "pin ls after add: $OUT"
  PINS_MOUNTED=$OUT
}

# Slow prefetches are the 8 long requests the mount runs at once: a 9th cache
# command is told the mount is busy, and status still answers at once.
PF_PIDS=()
for i in 1 2 3 4 5 6 7 8; do
  "$IPFSFS" cache prefetch "$SLOW" --cache-dir "$CACHE" >"$WORK/pf.$i.out" 2>"$WORK/pf.$i.err" &
  PF_PIDS+=($!)
done
running() { for p in "${PF_PIDS[@]}"; do kill -0 "$p" 2>/dev/null && return 0; done; return 1; }
FULL=
while running; do
  grep -q '"cache_commands":8,' <<<"$("$IPFSFS" status --json "$MNT")" && { FULL=1; break; }
  sleep 0.05
done
if [ -n "$FULL" ]; then
  echo "ok: status --json shows the 8 cache commands in progress"
  "$IPFSFS" cache stat --cache-dir "$CACHE" >"$WORK/out" 2>"$WORK/err"
  RC=$?
  [ "$RC" = 1 ] || fail "a 9th cache command: exit $RC, want 1 (busy); stdout: $(cat "$WORK/out")"
  [ "$(cat "$WORK/err")" = "ipfsfs: cache stat: cache $CACHE is in use by another process (its mount at $MNT could not run this: the mount is busy: 8 long requests in progress, try again later)" ] ||
    fail "a 9th cache command said: $(cat "$WORK/err")"
  # Causal, not timed: status must come back while the prefetches still wait
  # on the slow block (a status queued behind them would return only after).
  expect "status while 8 slow prefetches run" 0 "$IPFSFS" status "$MNT"
  if running; then
    echo "ok: status answered while the prefetches ran"
  else
    fail "the slow prefetches were over before status answered"
  fi
else
  fail "status never showed 8 cache commands in progress while 8 slow prefetches ran"
fi
for i in 1 2 3 4 5 6 7 8; do
  wait "${PF_PIDS[$((i - 1))]}"
  RC=$?
  [ "$RC" = 0 ] || fail "slow prefetch $i: exit $RC: $(cat "$WORK/pf.$i.err")"
  grep -Eq "^prefetched $SLOW: 1 blocks, " "$WORK/pf.$i.out" || fail "slow prefetch $i printed: $(cat "$WORK/pf.$i.out")"
done
PF_PIDS=()

# Unmounted: the pointer is gone, and the same commands print the same locally.
expect "umount" 0 "$IPFSFS" umount "$MNT"
# Exited (a zombie whose init has not reaped it yet counts: its cache lock is gone).
running() { [ -e "/proc/$1/stat" ] && [ "$(sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f1)" != Z ]; }
running "$MOUNT_PID" && fail "the mount daemon still runs after umount"
[ -e "$CACHE/mount.json" ] && fail "mount.json left behind after umount"
expect "cache pin ls (local)" 0 "$IPFSFS" cache pin ls --cache-dir "$CACHE" --offline &&
  { [ "$OUT" = "${PINS_MOUNTED:-}" ] || fail "pin ls differs: mounted '${PINS_MOUNTED:-}', local '$OUT'"; }
expect "cache verify (local)" 0 "$IPFSFS" cache verify --cache-dir "$CACHE" --offline && {
  # The prefetched block came after the mounted verify.
  grep -Eq '^verified [1-9][0-9]* blocks, removed 0 damaged$' <<<"$OUT" || fail "cache verify (local): $OUT"
}

# Locked by a command, not a mount, with a stale pointer (dead pid): today's error.
"$IPFSFS" cache prefetch "$SLOW" --gateway "$GW" --cache-dir "$WORK/cache2" >/dev/null 2>&1 &
PF_PID=$!
echo "{\"pid\":999999999,\"socket\":\"$WORK/none.sock\",\"mountpoint\":\"$MNT\"}" >"$WORK/cache2/mount.json"
sleep 0.5
expect "locked, stale mount.json" 1 "$IPFSFS" cache stat --cache-dir "$WORK/cache2" && {
  [ "$ERR" = "ipfsfs: cache stat: cache $WORK/cache2 is in use by another process" ] || fail "locked cache said: $ERR"
}
wait "$PF_PID"
PF_PID=

finish "$WORK/mount.log"
