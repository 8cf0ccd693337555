#!/usr/bin/env bash
# A mount with no gateway at all, only a delegated routing endpoint
# (`--routing URL`): the router names two test gateways as providers (one
# without the content, listed first) and the mount reads every byte from the
# one that has it. `ipfsfs status` lists the router's provider source.
#
#   providers_mount_test.sh IPFSFS TEST_GATEWAY
#
# Needs root and /dev/fuse, else exits 77.
set -u
IPFSFS=$(realpath "$1")
GATEWAY=$(realpath "$2")
source "$(dirname "$0")/lib.sh"
need_fuse
make_work providers-mount
unset IPFS_GATEWAY
export IPFS_PATH=$WORK/no-ipfs HOME=$WORK/home
PIDS=()
on_exit 'for p in "${PIDS[@]}"; do kill "$p"; done'

mkdir -p "$WORK/tree/sub" "$WORK/home"
head -c 1500000 /dev/urandom > "$WORK/tree/big.bin"
echo "through a provider" > "$WORK/tree/sub/small.txt"
ROOT=$("$IPFSFS" add -r -Q --car "$WORK/tree.car" "$WORK/tree") || exit 1
: > "$WORK/empty.car"

start() {  # start NAME ARGS...: a test gateway; its URL in ${NAME}_URL
  local name=$1
  shift
  "$GATEWAY" "$@" >"$WORK/$name.url" 2>"$WORK/$name.log" &
  PIDS+=($!)
  for _ in $(seq 100); do [ -s "$WORK/$name.url" ] && break; sleep 0.05; done
  [ -s "$WORK/$name.url" ] || { echo "FAIL: gateway $name did not start: $(cat "$WORK/$name.log")"; exit 1; }
  printf -v "${name}_URL" '%s' "$(head -1 "$WORK/$name.url")"
}
start HOLDER --car "$WORK/tree.car"
start EMPTY
start ROUTER --providers "$EMPTY_URL" --providers "$HOLDER_URL"

expect "mount with only --routing" 0 "$IPFSFS" mount --routing "$ROUTER_URL" --cache-dir "$WORK/cache" \
  --log-file "$WORK/mount.log" "$MNT" || finish "$WORK/mount.log"
check "big.bin through the provider" "$(sha256sum < "$WORK/tree/big.bin")" "$(sha256sum < "$MNT/ipfs/$ROOT/big.bin")"
check "small.txt" "through a provider" "$(cat "$MNT/ipfs/$ROOT/sub/small.txt" 2>&1)"
expect "status" 0 "$IPFSFS" status "$MNT"
echo "$OUT" | grep -q "providers:$ROUTER_URL" && echo "ok: status lists the provider source" ||
  fail "status does not list providers:$ROUTER_URL: $OUT"
echo "$OUT" | grep -qE "trustless-gateway.link|ipfs.io" && fail "public gateways were added: $OUT"
expect "umount" 0 "$IPFSFS" umount "$MNT"
finish "$WORK/mount.log"
