#!/usr/bin/env bash
# A running mount republishes the names published with the user's keys: a
# record with a 4 s lifetime is put to the test gateway (delegated routing),
# a mount is started with that --routing, and the test waits until the
# gateway serves the record again with a higher sequence, still valid, same
# value (a generous bound only against hangs: no timing is asserted).
#
#   republish_mount_test.sh IPFSFS TEST_GATEWAY
#
# Needs root and /dev/fuse, else exits 77 (skipped).
set -u
IPFSFS=$(realpath "$1")
GATEWAY=$(realpath "$2")
if [ "$(id -u)" != 0 ] || [ ! -c /dev/fuse ]; then echo "skipped: needs root and /dev/fuse"; exit 77; fi
WORK=$(mktemp -d /tmp/ipfsfs-republish-XXXXXX)
MNT=$WORK/mnt
pids=()
cleanup() {
  "$IPFSFS" umount "$MNT" >/dev/null 2>&1 || umount -l "$MNT" >/dev/null 2>&1
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  cd /
  rm -rf "$WORK"
}
trap cleanup EXIT
export XDG_STATE_HOME=$WORK/state XDG_CONFIG_HOME=$WORK/config XDG_DATA_HOME=$WORK/data
unset IPFS_GATEWAY
export IPFS_PATH=$WORK/no-ipfs
fail=0
check() { if [ "$2" = "$3" ]; then echo "ok   $1"; else echo "FAIL $1: got [$2] want [$3]"; fail=1; fi; }
mkdir -p "$MNT"

"$GATEWAY" >"$WORK/gw.url" 2>"$WORK/gw.log" &
pids+=($!)
for _ in $(seq 400); do [ -s "$WORK/gw.url" ] && break; sleep 0.05; done
GW=$(head -1 "$WORK/gw.url")
[ -n "$GW" ] || { echo "FAIL the test gateway did not start: $(cat "$WORK/gw.log")"; exit 1; }

name=$("$IPFSFS" key gen site)
check "publish" "$("$IPFSFS" name publish --key site --routing "$GW" --lifetime 4s --ttl 1s /ipfs/bafkqaaa)" \
  "Published to $name: /ipfs/bafkqaaa"
served() {  # the sequence and value the gateway serves now, checked against the name
  python3 -c 'import sys,urllib.request; open(sys.argv[2],"wb").write(urllib.request.urlopen(sys.argv[1]).read())' \
    "$GW/routing/v1/ipns/$name" "$WORK/served" 2>/dev/null || return
  "$IPFSFS" name inspect --json --verify "$name" "$WORK/served" 2>/dev/null |
    python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["Entry"]["Sequence"], d["Entry"]["Value"], d["Validation"]["Valid"])'
}
check "served before the mount" "$(served)" "0 /ipfs/bafkqaaa True"

"$IPFSFS" mount --read-only --gateway "$GW" --routing "$GW" --cache-dir "$WORK/cache" --log-file "$WORK/mount.log" \
  "$MNT" || { echo "FAIL mount"; cat "$WORK/mount.log"; exit 1; }
got=""
for _ in $(seq 600); do
  got=$(served)
  case "$got" in "0 "*|"") sleep 0.1;; *) break;; esac
done
seq=${got%% *}
[ -n "$seq" ] && [ "$seq" -ge 1 ] 2>/dev/null && echo "ok   republished by the mount (sequence $seq)" ||
  { echo "FAIL not republished: [$got]"; fail=1; }
check "same value, valid" "${got#* }" "/ipfs/bafkqaaa True"
# The line follows the put: wait for it too.
for _ in $(seq 300); do grep -q "republished $name" "$WORK/mount.log" && break; sleep 0.1; done
grep -q "republished $name" "$WORK/mount.log" && echo "ok   the log says so" || { echo "FAIL log"; fail=1; }
"$IPFSFS" umount "$MNT"; check "umount" $? 0
[ $fail -ne 0 ] && cat "$WORK/mount.log"
exit $fail
