#!/usr/bin/env bash
# Publishing through a real mount (issue 16): files written into staging/,
# `ipfsfs sync --publish car:… --publish kubo` against js-ipfs 0.66.1 as the
# kubo RPC node (tests/peers/publish): the CAR is read back by @ipld/car, the
# node holds every block and pins the root; after a second sync the old root
# is unpinned; a target that fails makes the sync exit 1 while the others
# still publish; `ipfsfs status` shows the mount's targets. The mount's own
# targets: car:mount.car and remote:mock (mock-ipfs-pinning-service, followed
# until pinned). At the end the node goes down: the sync exits 1, the other
# targets still publish, nothing staged is lost.
#
#   publish_mount_test.sh IPFSFS PEERS_DIR
#
# Needs root and /dev/fuse, node and the peers installed, else exits 77.
set -u

IPFSFS=$(realpath "$1")
PEERS=$(realpath "$2")
source "$(dirname "$0")/lib.sh"
need_fuse
if ! command -v node >/dev/null || ! command -v curl >/dev/null || [ ! -f "$PEERS/publish/node_modules/ipfs/src/cli.js" ] ||
   [ ! -d "$PEERS/node_modules/@ipld/car" ]; then
  echo "skipped: needs node, curl and the peers (npm ci --prefix tests/peers; npm ci --prefix tests/peers/publish)"
  exit 77
fi

make_work publish-mount
STAGING=$WORK/staging
DAEMON=
SERVICE=
on_exit '[ -n "$SERVICE" ] && kill "$SERVICE" && wait "$SERVICE"'
on_exit '[ -n "$DAEMON" ] && kill -TERM -- "-$DAEMON" && wait "$DAEMON"'
unset CONFIGURATION_DIRECTORY
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

# The pinning service.
node "$PEERS/publish/pinning_service.cjs" secret "$WORK/pins.jsonl" >"$WORK/service.out" 2>&1 &
SERVICE=$!
for _ in $(seq 600); do grep -q listening "$WORK/service.out" && break; sleep 0.1; done
SPORT=$(sed -n 's/^listening //p' "$WORK/service.out")
[ -n "$SPORT" ] || { cat "$WORK/service.out"; echo "skipped: the mock pinning service did not start"; exit 77; }
expect "pin remote service add" 0 "$IPFSFS" pin remote service add mock "http://127.0.0.1:$SPORT" secret

mkdir -p "$MNT" "$STAGING"
expect "mount" 0 "$IPFSFS" mount --api "$MADDR" --cache-dir "$WORK/cache" --staging-dir "$STAGING" \
  --publish "car:$WORK/mount.car" --publish remote:mock --log-file "$WORK/mount.log" "$MNT" || exit 1

mkdir -p "$MNT/staging/site/img"
echo "<h1>hello</h1>" > "$MNT/staging/site/index.html"
head -c 600000 /dev/urandom > "$MNT/staging/site/img/big.bin"  # three chunks

expect "sync --publish car: --publish kubo" 0 "$IPFSFS" sync "$MNT" --publish "car:$WORK/once.car" --publish kubo
ROOT=$(echo "$OUT" | sed -n 's/^synced //p')
[ -n "$ROOT" ] || fail "no synced line: $OUT"
echo "$OUT" | grep -q "^published car:$WORK/mount.car: wrote " || fail "no line for the mount's car target: $OUT"
echo "$OUT" | grep -q "^published car:$WORK/once.car: wrote " || fail "no line for the sync's car target: $OUT"
echo "$OUT" | grep -q "^published kubo: .* pinned $ROOT" || fail "no line for kubo: $OUT"
echo "$OUT" | grep -q "^published remote:mock: requested $ROOT: queued (request req-1); warning: .*the service cannot fetch them" ||
  fail "no line for remote:mock (js-ipfs offline has no addresses: a warning): $OUT"
grep -q "\"body\":{\"cid\":\"$ROOT\",\"name\":\"ipfsfs staging\"}" "$WORK/pins.jsonl" &&
  grep -q '"authorization":"Bearer secret"' "$WORK/pins.jsonl" && echo "ok: the pin request" ||
  fail "pin request: $(cat "$WORK/pins.jsonl")"
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
"$IPFSFS" status --json "$MNT" | grep -q "\"last_error\":\"\",\"last_published\":\"20[^\"]*\",\"last_root\":\"$ROOT\"" &&
  echo "ok: status --json" || fail "status --json: $("$IPFSFS" status --json "$MNT")"
# The service's status is followed in the background until pinned.
for _ in $(seq 600); do
  "$IPFSFS" status "$MNT" | grep -q "^  remote:mock: published $ROOT at .*; now pinned $ROOT" && break
  sleep 0.1
done
"$IPFSFS" status "$MNT" | grep -q "^  remote:mock: published $ROOT at .*; now pinned $ROOT" && echo "ok: status follows the pin" ||
  fail "status never showed the pin pinned: $("$IPFSFS" status "$MNT" | grep remote)"

# A second sync: the node gets the new root, the old one is unpinned; a
# failing target (unwritable, not built) fails the sync, not the others.
echo "<h1>changed</h1>" > "$MNT/staging/site/index.html"
expect "sync with a failing target" 1 "$IPFSFS" sync "$MNT" --publish kubo --publish car:/nonexistent-dir/x.car \
  --publish remote:nowhere
ROOT2=$(echo "$OUT" | sed -n 's/^synced //p')
[ -n "$ROOT2" ] && [ "$ROOT2" != "$ROOT" ] || fail "second root: $OUT"
echo "$ERR" | grep -q "^ipfsfs: sync: publish car:/nonexistent-dir/x.car: creating a temporary file in /nonexistent-dir" ||
  fail "no error line for the failed car target: $ERR"
echo "$ERR" | grep -q "^ipfsfs: sync: publish remote:nowhere: publish target remote:nowhere: no pinning service named nowhere" ||
  fail "remote: $ERR"
echo "$OUT" | grep -q "^published kubo: .*unpinned $ROOT" || fail "kubo after a failed target: $OUT"
pinned "$ROOT2" && echo "ok: new root pinned" || fail "new root not pinned"
pinned "$ROOT" && fail "old root still pinned" || echo "ok: old root unpinned"
[ "$(node "$PEERS/car_check.mjs" "$WORK/mount.car" "$STAGING" "$ROOT2" 2>&1 | cut -c1-2)" = ok ] &&
  echo "ok: the mount's CAR follows the new root" || fail "mount.car is not the new root"

# The node goes down: kubo fails, the mount's targets still publish, staging/ keeps its files.
kill -TERM -- "-$DAEMON" 2>/dev/null; wait "$DAEMON" 2>/dev/null; DAEMON=
echo "third" > "$MNT/staging/site/third.txt"
expect "sync with the node down" 1 "$IPFSFS" sync "$MNT" --publish kubo
ROOT3=$(echo "$OUT" | sed -n 's/^synced //p')
echo "$ERR" | grep -q "^ipfsfs: sync: publish kubo: version: $API/api/v0/version: " || fail "node down: $ERR"
[ "$(echo "$ERR" | wc -l)" = 1 ] || fail "more than one error line: $ERR"
echo "$OUT" | grep -q "^published remote:mock: replaced the pin with $ROOT3" || fail "remote after the node died: $OUT"
[ "$(node "$PEERS/car_check.mjs" "$WORK/mount.car" "$STAGING" "$ROOT3" 2>&1 | cut -c1-2)" = ok ] &&
  echo "ok: car target published with the node down" || fail "mount.car is not the third root"
[ "$(cat "$MNT/staging/site/third.txt")" = third ] && [ "$(cat "$STAGING/site/third.txt")" = third ] &&
  echo "ok: nothing staged lost" || fail "staged file lost"

finish "$WORK/mount.log"
