#!/usr/bin/env bash
# A mount's failed publish target is retried while the mount runs (issue 16):
# `mount --publish kubo` while the node (js-ipfs 0.66.1, tests/peers/publish)
# is down; the sync exits 1 and `ipfsfs status` shows the error and the next
# retry; once the node is back at the same address the retry publishes the
# root (pinned there) and status shows it without error.
#
#   publish_retry_test.sh IPFSFS PEERS_DIR
#
# Needs root and /dev/fuse, node, curl and the peers, else exits 77.
set -u
IPFSFS=$(realpath "$1")
PEERS=$(realpath "$2")
if [ "$(id -u)" != 0 ] || [ ! -c /dev/fuse ]; then echo "skipped: needs root and /dev/fuse"; exit 77; fi
if ! command -v node >/dev/null || ! command -v curl >/dev/null || [ ! -f "$PEERS/publish/node_modules/ipfs/src/cli.js" ]; then
  echo "skipped: needs node, curl and npm ci --prefix tests/peers/publish"
  exit 77
fi
WORK=$(mktemp -d /tmp/ipfsfs-publish-retry-XXXXXX)
MNT=$WORK/mnt
DAEMON=
cleanup() {
  "$IPFSFS" umount "$MNT" >/dev/null 2>&1 || umount -l "$MNT" >/dev/null 2>&1
  [ -n "$DAEMON" ] && kill -TERM -- "-$DAEMON" 2>/dev/null && wait "$DAEMON" 2>/dev/null
  cd /
  rm -rf "$WORK"
}
trap cleanup EXIT
export XDG_STATE_HOME=$WORK/state XDG_CONFIG_HOME=$WORK/config
FAILS=0
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }

start_node() {  # start_node [PORT]
  rm -f "$WORK/repo/api"
  API_PORT=${1:-0} setsid sh "$PEERS/publish/jsipfs_daemon.sh" "$WORK/repo" >>"$WORK/daemon.log" 2>&1 &
  DAEMON=$!
  for _ in $(seq 1200); do
    [ -s "$WORK/repo/api" ] && return 0
    kill -0 "$DAEMON" 2>/dev/null || break
    sleep 0.1
  done
  cat "$WORK/daemon.log"
  echo "skipped: the js-ipfs daemon did not start"
  exit 77
}
stop_node() { kill -TERM -- "-$DAEMON" 2>/dev/null; wait "$DAEMON" 2>/dev/null; DAEMON=; }

# Learn a port the node can have, then take the node down.
start_node
PORT=$(sed 's|.*/tcp/\([0-9]*\).*|\1|' "$WORK/repo/api")
API=http://127.0.0.1:$PORT
stop_node

mkdir -p "$MNT"
"$IPFSFS" mount --api "/ip4/127.0.0.1/tcp/$PORT" --cache-dir "$WORK/cache" --staging-dir "$WORK/staging" \
  --publish kubo --log-file "$WORK/mount.log" "$MNT" || { echo "FAIL: mount"; exit 1; }
echo "retry me" > "$MNT/staging/file.txt"
"$IPFSFS" sync "$MNT" >"$WORK/out" 2>"$WORK/err"
rc=$?
ROOT=$(sed -n 's/^synced //p' "$WORK/out")
[ "$rc" = 1 ] && [ -n "$ROOT" ] && echo "ok: sync exits 1 with the node down" || fail "sync: exit $rc, $(cat "$WORK/out" "$WORK/err")"
grep -q "^ipfsfs: sync: publish kubo: version: $API/api/v0/version: " "$WORK/err" || fail "error line: $(cat "$WORK/err")"
"$IPFSFS" status "$MNT" | grep -q "^  kubo: never published; last error: version: .* (retry at 20" &&
  echo "ok: status shows the error and the retry" || fail "status: $("$IPFSFS" status "$MNT")"

start_node "$PORT"
for _ in $(seq 900); do  # retries back off from 5 s: only a bound against a hang
  "$IPFSFS" status "$MNT" | grep -q "^  kubo: published $ROOT at 20[^;]*$" && break
  sleep 0.1
done
"$IPFSFS" status "$MNT" | grep -q "^  kubo: published $ROOT at 20[^;]*$" && echo "ok: the retry published once the node was back" ||
  fail "never retried: $("$IPFSFS" status "$MNT"); $(tail -5 "$WORK/mount.log")"
curl -sS -X POST "$API/api/v0/pin/ls?arg=$ROOT&type=recursive" | grep -q "\"$ROOT\"" && echo "ok: pinned on the node" ||
  fail "not pinned on the node"

[ "$FAILS" = 0 ] && echo "all ok" || exit 1
