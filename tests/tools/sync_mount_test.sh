#!/usr/bin/env bash
# `ipfsfs sync` through a real mount with --staging-dir: files are written
# straight into the staging directory (and, at the end, through staging/:
# fsync of staging/, user.ipfs.cid, --auto-sync), synced by the mount over its control socket; the root must be
# `ipfs add -r --hidden`'s (and the js reference's when tests/peers is
# installed), readable under ipfs/<root>, pinned (the old root unpinned),
# incremental, scoped to a PATH, and atomic: an error or a kill -9 during a
# sync leaves the previous root, and a re-run gives the reference CID.
#
#   sync_mount_test.sh IPFSFS [PEERS_DIR]
#
# Real FUSE: needs root and /dev/fuse, else exits 77 (skipped).
set -u

IPFSFS=$(realpath "$1")
PEERS=${2:-}
source "$(dirname "$0")/lib.sh"
need_fuse
make_work sync-mount
STAGING=$WORK/staging
# The root `ipfs add -r --hidden` makes of the staging dir now.
reference() { "$IPFSFS" add -r --hidden -Q --only-hash "$@" "$STAGING"; }
json_field() { sed -n "s/.*\"$1\":\([^,}]*\).*/\1/p"; }
mount_it() {
  expect "mount $*" 0 "$IPFSFS" mount --offline --cache-dir "$WORK/cache" --staging-dir "$STAGING" \
    --log-file "$WORK/mount.log" "$@" "$MNT"
}

mkdir -p "$MNT" "$STAGING/sub/deep" "$STAGING/.dotdir" "$STAGING/emptydir" "$STAGING/other"
echo alpha > "$STAGING/a.txt"
echo hidden > "$STAGING/.hidden"
echo in-dotdir > "$STAGING/.dotdir/x"
: > "$STAGING/sub/empty"
head -c 700000 /dev/urandom > "$STAGING/sub/deep/big.bin"  # three chunks
echo delta > "$STAGING/other/d.txt"
ln -s a.txt "$STAGING/link"
ln -s /nowhere "$STAGING/sub/dangling"
# Files older than the racy-clean window (1 s): the second sync reads none.
sleep 1.2

mount_it || exit 1
REF=$(reference)
expect "sync" 0 "$IPFSFS" sync "$MNT"
[ "$(echo "$OUT" | tail -1)" = "synced $REF" ] || fail "sync printed '$OUT', want last line 'synced $REF'"
ROOT=$REF
if [ -n "$PEERS" ] && [ -d "$PEERS/node_modules/ipfs-unixfs-importer" ] && command -v node >/dev/null; then
  JS=$(node "$PEERS/js_add.mjs" v0 "$STAGING" --hidden | tail -1 | cut -f1)
  [ "$JS" = "$REF" ] && echo "ok: js reference root" || fail "js reference root $JS, synced $REF"
fi
diff -r --no-dereference "$STAGING" "$MNT/ipfs/$ROOT" >"$WORK/diff" 2>&1 && echo "ok: reads back identical" ||
  fail "ipfs/$ROOT differs from the staging dir: $(head -5 "$WORK/diff")"
expect "status" 0 "$IPFSFS" status "$MNT"
echo "$OUT" | grep -qx "sync: *root $ROOT" || fail "status does not show the synced root: $OUT"
expect "pin ls" 0 "$IPFSFS" cache pin ls --cache-dir "$WORK/cache"
echo "$OUT" | grep -q "$ROOT" || fail "the synced root is not pinned: $OUT"

expect "sync unchanged --json" 0 "$IPFSFS" sync --json "$MNT"
[ "$(echo "$OUT" | json_field files_read)" = 0 ] || fail "an unchanged re-sync read files: $OUT"
[ "$(echo "$OUT" | json_field changed)" = false ] || fail "an unchanged re-sync changed the root: $OUT"

echo "alpha 2" > "$STAGING/a.txt"
expect "sync -q after one change" 0 "$IPFSFS" sync -q --json "$MNT"
[ "$(echo "$OUT" | json_field files_read)" = 1 ] || fail "one change read other files too: $OUT"
expect "sync -q" 0 "$IPFSFS" sync -q "$MNT"
NEW=$(reference)
[ "$OUT" = "$NEW" ] || fail "sync -q printed '$OUT', want '$NEW'"
expect "pin ls after change" 0 "$IPFSFS" cache pin ls --cache-dir "$WORK/cache"
echo "$OUT" | grep -q "$NEW" || fail "the new root is not pinned: $OUT"
echo "$OUT" | grep -q "$ROOT" && fail "the replaced root is still pinned: $OUT"
ROOT=$NEW

# PATH: only that subtree is examined.
echo "bravo" > "$STAGING/sub/b.txt"
expect "sync PATH" 0 "$IPFSFS" sync --json "$MNT" "$MNT/staging/sub"
[ "$(echo "$OUT" | json_field files_read)" = 1 ] || fail "a scoped sync read other files: $OUT"
ROOT=$(reference)
[ "$(echo "$OUT" | json_field root)" = "\"$ROOT\"" ] || fail "scoped root: $OUT, want $ROOT"
expect "sync PATH outside staging" 1 "$IPFSFS" sync "$MNT" "$WORK"

# Errors name the path and publish nothing.
mkfifo "$STAGING/sub/pipe"
expect "sync with a fifo" 1 "$IPFSFS" sync "$MNT"
echo "$ERR" | grep -qF "$STAGING/sub/pipe: a fifo cannot be synced" || fail "the error does not name the fifo: $ERR"
rm "$STAGING/sub/pipe"
CUR=$("$IPFSFS" status --json "$MNT" | sed -n 's/.*"sync":{"bytes":[0-9]*,"elapsed_ms":[0-9]*,"files":[0-9]*,"root":"\([^"]*\)".*/\1/p')
[ "$CUR" = "$ROOT" ] || fail "after a failed sync the current root is '$CUR', want $ROOT"

# Crash: kill -9 of the mount while a sync runs (a 2 GiB sparse file keeps it
# busy for seconds). The previous root stays current and pinned.
truncate -s 2G "$STAGING/sparse.bin"
MOUNT_PID=$("$IPFSFS" status --json "$MNT" | sed 's/.*"pid":\([0-9]*\).*/\1/')
"$IPFSFS" sync "$MNT" >"$WORK/killed.out" 2>&1 &
SYNC_PID=$!
RUNNING=
for _ in $(seq 600); do
  if "$IPFSFS" status --json "$MNT" 2>/dev/null | grep -q '"running":true'; then RUNNING=1; break; fi
  sleep 0.05
done
[ -n "$RUNNING" ] || fail "the sync was never seen running"
kill -9 "$MOUNT_PID"
wait "$SYNC_PID" && fail "sync succeeded though its mount was killed: $(cat "$WORK/killed.out")"
umount -l "$MNT" 2>/dev/null
for _ in $(seq 100); do kill -0 "$MOUNT_PID" 2>/dev/null || break; sleep 0.05; done
mount_it || { cat "$WORK/mount.log"; exit 1; }
CUR=$("$IPFSFS" status --json "$MNT" | sed -n 's/.*"root":"\([^"]*\)".*/\1/p')
[ "$CUR" = "$ROOT" ] || fail "after kill -9 the current root is '$CUR', want the previous $ROOT"
expect "pin ls after kill" 0 "$IPFSFS" cache pin ls --cache-dir "$WORK/cache"
echo "$OUT" | grep -q "$ROOT" || fail "the previous root is not pinned after the kill: $OUT"
rm "$STAGING/sparse.bin"
expect "sync after the kill" 0 "$IPFSFS" sync --json "$MNT"
# a.txt and sub/b.txt were synced within 1 s of their writes: read once more
# (racy clean); the 7 others come from the index the kill left.
[ "$(echo "$OUT" | json_field files_reused)" = 7 ] || fail "the index did not survive the kill: $OUT"
[ "$(echo "$OUT" | json_field root)" = "\"$(reference)\"" ] || fail "re-run root: $OUT, want $(reference)"

# An unmount during a sync cancels it: nothing published, the sync says so.
truncate -s 4G "$STAGING/sparse.bin"
"$IPFSFS" sync "$MNT" >"$WORK/cancelled.out" 2>&1 &
SYNC_PID=$!
RUNNING=
for _ in $(seq 600); do
  if "$IPFSFS" status --json "$MNT" 2>/dev/null | grep -q '"running":true'; then RUNNING=1; break; fi
  sleep 0.05
done
[ -n "$RUNNING" ] || fail "the sync to cancel was never seen running"
expect "umount during a sync" 0 "$IPFSFS" umount "$MNT"
wait "$SYNC_PID" && fail "a sync cut by an unmount succeeded: $(cat "$WORK/cancelled.out")"
grep -q "sync cancelled" "$WORK/cancelled.out" || fail "the cut sync said: $(cat "$WORK/cancelled.out")"
rm "$STAGING/sparse.bin"
mount_it || exit 1
CUR=$("$IPFSFS" status --json "$MNT" | sed -n 's/.*"root":"\([^"]*\)".*/\1/p')
[ "$CUR" = "$(reference)" ] || fail "after a cancelled sync the current root is '$CUR', want $(reference)"

# The index survives a clean remount too; other options make a new root.
"$IPFSFS" umount "$MNT"
mount_it --cid-version 1 || exit 1
expect "sync --cid-version 1" 0 "$IPFSFS" sync -q "$MNT"
[ "$OUT" = "$(reference --cid-version 1)" ] || fail "CIDv1 root $OUT, want $(reference --cid-version 1)"
"$IPFSFS" umount "$MNT"
mount_it --profile unixfs-v1-2025 --trickle || exit 1
expect "sync --profile --trickle" 0 "$IPFSFS" sync -q "$MNT"
[ "$OUT" = "$(reference --profile unixfs-v1-2025 --trickle)" ] || fail "profile+trickle root $OUT"

# Through the staging/ tree itself: a file written there, an fsync of
# staging/ syncs, and user.ipfs.cid shows the synced CIDs.
synced_root() { "$IPFSFS" status --json "$MNT" | sed -n 's/.*"root":"\([^"]*\)".*/\1/p'; }
echo "through the mount" > "$MNT/staging/fuse.txt" || fail "write through staging/"
python3 -c 'import os, sys; fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY); os.fsync(fd)' "$MNT/staging" ||
  fail "fsync of staging/"
WANT=$(reference --profile unixfs-v1-2025 --trickle)
[ "$(synced_root)" = "$WANT" ] && echo "ok: fsync of staging/ synced" || fail "after fsync of staging/ the root is '$(synced_root)', want $WANT"
[ "$(getfattr --only-values -n user.ipfs.cid "$MNT/staging" 2>/dev/null)" = "$WANT" ] && echo "ok: user.ipfs.cid of staging/" ||
  fail "user.ipfs.cid of staging/: $(getfattr --only-values -n user.ipfs.cid "$MNT/staging" 2>&1)"
FILE_CID=$("$IPFSFS" add -Q --only-hash --profile unixfs-v1-2025 --trickle "$STAGING/fuse.txt")
[ "$(getfattr --only-values -n user.ipfs.cid "$MNT/staging/fuse.txt" 2>/dev/null)" = "$FILE_CID" ] && echo "ok: user.ipfs.cid of a file" ||
  fail "user.ipfs.cid of staging/fuse.txt: $(getfattr --only-values -n user.ipfs.cid "$MNT/staging/fuse.txt" 2>&1), want $FILE_CID"

# --auto-sync: writes through staging/ that go idle are synced without a command.
"$IPFSFS" umount "$MNT"
mount_it --auto-sync 1s || exit 1
echo "auto" > "$MNT/staging/auto.txt" || fail "write through staging/"
WANT=$(reference)
for _ in $(seq 300); do [ "$(synced_root)" = "$WANT" ] && break; sleep 0.1; done
[ "$(synced_root)" = "$WANT" ] && echo "ok: auto-sync after writes went idle" ||
  fail "auto-sync: the root is '$(synced_root)' 30 s after the write, want $WANT"

# A read-only mount has no staging/: sync says so.
"$IPFSFS" umount "$MNT"
expect "mount --read-only" 0 "$IPFSFS" mount --offline --read-only --cache-dir "$WORK/cache" --log-file "$WORK/mount.log" "$MNT"
expect "sync without staging" 1 "$IPFSFS" sync "$MNT"
echo "$ERR" | grep -q "no staging/" || fail "no staging: $ERR"

finish "$WORK/mount.log"
