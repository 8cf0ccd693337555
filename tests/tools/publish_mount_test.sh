#!/usr/bin/env bash
# Publishing through a real mount (issue 16): files written into staging/,
# `ipfsfs sync --publish car:… --publish kubo` against js-ipfs 0.66.1 as the
# kubo RPC node (tests/peers/publish): the CAR is read back by @ipld/car, the
# node holds every block and pins the root; after a second sync the old root
# is unpinned; a target that fails makes the sync exit 1 while the others
# still publish; `ipfsfs status` shows the mount's target.
#
#   publish_mount_test.sh IPFSFS PEERS_DIR
#
# Needs root and /dev/fuse, node and the peers installed, else exits 77.
set -u

IPFSFS=$(realpath "$1")
PEERS=$(realpath "$2")
if [ "$(id -u)" != 0 ] || [ ! -c /dev/fuse ]; then
  echo "skipped: needs root and /dev/fuse"
  exit 77
fi
if ! command -v node >/dev/null || ! command -v curl >/dev/null || [ ! -f "$PEERS/publish/node_modules/ipfs/src/cli.js" ] ||
   [ ! -d "$PEERS/node_modules/@ipld/car" ]; then
  echo "skipped: needs node, curl and the peers (npm ci --prefix tests/peers; npm ci --prefix tests/peers/publish)"
  exit 77
fi

WORK=$(mktemp -d /tmp/ipfsfs-publish-mount-XXXXXX)
MNT=$WORK/mnt
STAGING=$WORK/staging
FAILS=0
DAEMON=
cleanup() {
  "$IPFSFS" umount "$MNT" >/dev/null 2>&1 || umount -l "$MNT" >/dev/null 2>&1
  [ -n "$DAEMON" ] && kill -TERM -- "-$DAEMON" 2>/dev/null && wait "$DAEMON" 2>/dev/null
  cd /
  rm -rf "$WORK"
}
trap cleanup EXIT
export XDG_STATE_HOME=$WORK/state

fail() {
  echo "FAIL: $*"
  FAILS=$((FAILS + 1))
}
expect() {
  local name=$1 want=$2
  shift 2
  "$@" >"$WORK/out" 2>"$WORK/err"
  local rc=$?
  OUT=$(cat "$WORK/out")
  ERR=$(cat "$WORK/err")
  if [ "$rc" != "$want" ]; then
    fail "$name: exit $rc, want $want; stdout: $OUT; stderr: $ERR"
    return 1
  fi
  echo "ok: $name"
}
rpc() { curl -sS -X POST "$API/api/v0/$1"; }
pinned() { rpc "pin/ls?arg=$1&type=recursive" | grep -q "\"$1\"" && ! rpc "pin/ls?arg=$1&type=recursive" | grep -q Message; }

# The node: an offline js-ipfs daemon on loopback ports (its own process group).
setsid sh "$PEERS/publish/jsipfs_daemon.sh" "$WORK/repo" >"$WORK/daemon.log" 2>&1 &
DAEMON=$!
for _ in $(seq 1200); do
  [ -s "$WORK/repo/api" ] && break
  kill -0 "$DAEMON" 2>/dev/null || break
  sleep 0.1
done
if [ ! -s "$WORK/repo/api" ]; then
  cat "$WORK/daemon.log"
  echo "skipped: the js-ipfs daemon did not start"
  exit 77
fi
MADDR=$(cat "$WORK/repo/api")
PORT=$(echo "$MADDR" | sed 's|.*/tcp/\([0-9]*\).*|\1|')
API=http://127.0.0.1:$PORT

mkdir -p "$MNT" "$STAGING"
expect "mount" 0 "$IPFSFS" mount --api "$MADDR" --cache-dir "$WORK/cache" --staging-dir "$STAGING" \
  --publish "car:$WORK/mount.car" --log-file "$WORK/mount.log" "$MNT" || exit 1

mkdir -p "$MNT/staging/site/img"
echo "<h1>hello</h1>" > "$MNT/staging/site/index.html"
head -c 600000 /dev/urandom > "$MNT/staging/site/img/big.bin"  # three chunks

expect "sync --publish car: --publish kubo" 0 "$IPFSFS" sync "$MNT" --publish "car:$WORK/once.car" --publish kubo
ROOT=$(echo "$OUT" | sed -n 's/^synced //p')
[ -n "$ROOT" ] || fail "no synced line: $OUT"
echo "$OUT" | grep -q "^published car:$WORK/mount.car: wrote " || fail "no line for the mount's car target: $OUT"
echo "$OUT" | grep -q "^published car:$WORK/once.car: wrote " || fail "no line for the sync's car target: $OUT"
echo "$OUT" | grep -q "^published kubo: .* pinned $ROOT" || fail "no line for kubo: $OUT"
for car in once.car mount.car; do
  node "$PEERS/car_check.mjs" "$WORK/$car" "$STAGING" "$ROOT" >"$WORK/check" 2>&1 && echo "ok: $car read back" ||
    fail "$car: $(cat "$WORK/check")"
done
pinned "$ROOT" && echo "ok: root pinned on the node" || fail "root $ROOT not pinned on the node"
curl -sS -f -X POST -o "$WORK/export.car" "$API/api/v0/dag/export?arg=$ROOT" &&
  node "$PEERS/car_check.mjs" "$WORK/export.car" "$STAGING" "$ROOT" >"$WORK/check" 2>&1 &&
  echo "ok: the node holds every block" || fail "the node's export: $(cat "$WORK/check")"

# Status: the mount's target, its last root and when.
expect "status" 0 "$IPFSFS" status "$MNT"
echo "$OUT" | grep -q "^  car:$WORK/mount.car: published $ROOT at 20" || fail "status: $OUT"

# A second sync: the node gets the new root, the old one is unpinned; a
# failing target (unwritable, not built) fails the sync, not the others.
echo "<h1>changed</h1>" > "$MNT/staging/site/index.html"
expect "sync with a failing target" 1 "$IPFSFS" sync "$MNT" --publish kubo --publish car:/nonexistent-dir/x.car \
  --publish remote:nowhere
ROOT2=$(echo "$OUT" | sed -n 's/^synced //p')
[ -n "$ROOT2" ] && [ "$ROOT2" != "$ROOT" ] || fail "second root: $OUT"
echo "$ERR" | grep -q "^ipfsfs: sync: publish car:/nonexistent-dir/x.car: creating a temporary file in /nonexistent-dir" ||
  fail "no error line for the failed car target: $ERR"
echo "$ERR" | grep -q "^ipfsfs: sync: publish remote:nowhere: .*not built yet" || fail "remote: $ERR"
echo "$OUT" | grep -q "^published kubo: .*unpinned $ROOT" || fail "kubo after a failed target: $OUT"
pinned "$ROOT2" && echo "ok: new root pinned" || fail "new root not pinned"
pinned "$ROOT" && fail "old root still pinned" || echo "ok: old root unpinned"
[ "$(node "$PEERS/car_check.mjs" "$WORK/mount.car" "$STAGING" "$ROOT2" 2>&1 | cut -c1-2)" = ok ] &&
  echo "ok: the mount's CAR follows the new root" || fail "mount.car is not the new root"

if [ "$FAILS" != 0 ]; then
  echo "--- mount log"; tail -20 "$WORK/mount.log"
  exit 1
fi
echo "all ok"
