#!/usr/bin/env bash
# The ipns/ tree through a real mount: a test gateway serves a record made by
# the js reference `ipns` (tests/peers/ipns_record.mjs) and the content it
# names; a dnsmasq on loopback serves DNSLink. `ls`/`cat` under ipns/<key>/
# and ipns/<domain>/, the xattrs, `ls ipns/`, ENOENT for an unknown name; then
# the record is replaced by a higher sequence and the new content shows on a
# later access without a remount (the name's TTL is 1 s; the test only waits
# for the change, with a generous bound against hangs).
#
#   ipns_mount_test.sh IPFSFS TEST_GATEWAY
#
# Needs root and /dev/fuse, node with tests/peers/node_modules, and dnsmasq;
# else exits 77 (skipped).
set -u
IPFSFS=$(realpath "$1")
GATEWAY=$(realpath "$2")
PEERS=$(cd "$(dirname "$0")/../peers" && pwd)
source "$(dirname "$0")/lib.sh"
need_fuse
command -v node >/dev/null || { echo "skip: no node"; exit 77; }
[ -d "$PEERS/node_modules/ipns" ] || { echo "skip: npm ci --prefix tests/peers first"; exit 77; }
[ -x /usr/sbin/dnsmasq ] || { echo "skip: no dnsmasq (dnsmasq-base)"; exit 77; }

make_work ipns-mount
pids=()
on_exit 'for p in "${pids[@]}"; do kill "$p"; wait "$p"; done'
unset IPFS_GATEWAY
export IPFS_PATH=$WORK/no-ipfs

mkdir -p "$MNT" "$WORK/a" "$WORK/b"
echo "version A" > "$WORK/a/hello.txt"
echo "version B" > "$WORK/b/hello.txt"
echo "only in B" > "$WORK/b/new.txt"
A=$("$IPFSFS" add -r -Q --car "$WORK/a.car" "$WORK/a") || exit 1
B=$("$IPFSFS" add -r -Q --car "$WORK/b.car" "$WORK/b") || exit 1
seed=9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60
KEY=$(node "$PEERS/ipns_record.mjs" $seed "/ipfs/$A" 1 1 "$WORK/served") || exit 1
node "$PEERS/ipns_record.mjs" $seed "/ipfs/$B" 2 1 "$WORK/r2" >/dev/null || exit 1

"$GATEWAY" --car "$WORK/a.car" --car "$WORK/b.car" --ipns "$KEY=$WORK/served" >"$WORK/gw.url" 2>"$WORK/gw.log" &
pids+=($!)
for _ in $(seq 400); do [ -s "$WORK/gw.url" ] && break; sleep 0.05; done
GW=$(head -1 "$WORK/gw.url")
[ -n "$GW" ] || { echo "FAIL: the test gateway did not start: $(cat "$WORK/gw.log")"; exit 1; }

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
/usr/sbin/dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts --pid-file= --user= --group= \
  --port="$PORT" --listen-address=127.0.0.1 --bind-interfaces --local=/test/ --local-ttl=60 --log-facility=- \
  "--txt-record=_dnslink.site.test,dnslink=/ipns/$KEY" \
  "--txt-record=_dnslink.direct.test,dnslink=/ipfs/$A" >"$WORK/dns.log" 2>&1 &
pids+=($!)

"$IPFSFS" mount --gateway "$GW" --dns "127.0.0.1:$PORT" --ipns-ttl-max 1m --cache-dir "$WORK/cache" \
  --log-file "$WORK/mount.log" "$MNT" || { echo "FAIL: mount"; exit 1; }

check "cat ipns/<key>/hello.txt" "version A" "$(cat "$MNT/ipns/$KEY/hello.txt" 2>&1)"
check "ls ipns/<key>" "hello.txt" "$(ls "$MNT/ipns/$KEY" 2>&1)"
check "xattr user.ipfs.cid" "$A" "$(python3 -c 'import os,sys; print(os.getxattr(sys.argv[1], "user.ipfs.cid").decode())' "$MNT/ipns/$KEY")"
check "xattr user.ipns.sequence" "1" "$(python3 -c 'import os,sys; print(os.getxattr(sys.argv[1], "user.ipns.sequence").decode())' "$MNT/ipns/$KEY")"
# dnsmasq may still be starting: the first DNSLink lookups are retried for a while.
out=
for _ in $(seq 200); do out=$(cat "$MNT/ipns/direct.test/hello.txt" 2>/dev/null) && break; sleep 0.1; done
check "cat ipns/<dnslink domain>/hello.txt" "version A" "$out"
check "cat ipns/<dnslink to key>/hello.txt" "version A" "$(cat "$MNT/ipns/site.test/hello.txt" 2>&1)"
ls "$MNT/ipns" | grep -qx "$KEY" && echo "ok: ls ipns/ lists the key" || fail "ls ipns/: $(ls "$MNT/ipns" 2>&1)"
err=$(ls "$MNT/ipns/k51qzi5uqu5dlvj2baxnqndepeb86cbk3ng7n3i46uzyxzyqj2xjonzllnv0v8" 2>&1); rc=$?
case "$err" in *"No such file or directory"*) echo "ok: unknown name is ENOENT";; *) fail "unknown name: rc=$rc [$err]";; esac

# Publish sequence 2 (content B): a later access shows it, no remount.
cp "$WORK/r2" "$WORK/served.tmp" && mv "$WORK/served.tmp" "$WORK/served"
got=
for _ in $(seq 600); do
  got=$(cat "$MNT/ipns/$KEY/hello.txt" 2>/dev/null)
  [ "$got" = "version B" ] && break
  sleep 0.1
done
check "after the TTL: the new content" "version B" "$got"
check "after the TTL: the new file" "only in B" "$(cat "$MNT/ipns/$KEY/new.txt" 2>&1)"
check "after the TTL: the new sequence" "2" "$(python3 -c 'import os,sys; print(os.getxattr(sys.argv[1], "user.ipns.sequence").decode())' "$MNT/ipns/$KEY")"
"$IPFSFS" status --json "$MNT" | grep -q "\"name\":\"$KEY\"" && echo "ok: status lists the name" || fail "status: $("$IPFSFS" status --json "$MNT")"
"$IPFSFS" status "$MNT" | grep -q "^  $KEY -> /ipfs/$B" && echo "ok: status shows the name's value" || fail "status: $("$IPFSFS" status "$MNT")"

# A source that then serves the older record (sequence 1): refused, B stays. Causal: reads go on until
# the mount has completed two more lookups of the name (status counts them), each after the new record.
lookups() { "$IPFSFS" status --json "$MNT" | python3 -c 'import json,sys; print(sum(n["lookups"] for n in json.load(sys.stdin)["names"] if n["name"]==sys.argv[1]))' "$KEY"; }
node "$PEERS/ipns_record.mjs" $seed "/ipfs/$A" 1 1 "$WORK/r1" >/dev/null || exit 1
cp "$WORK/r1" "$WORK/served.tmp" && mv "$WORK/served.tmp" "$WORK/served"
before=$(lookups)
seen_a=0
for _ in $(seq 600); do
  [ "$(cat "$MNT/ipns/$KEY/hello.txt" 2>/dev/null)" = "version A" ] && seen_a=1
  [ "$(lookups)" -ge $((before + 2)) ] && break
  sleep 0.1
done
[ "$(lookups)" -ge $((before + 2)) ] && echo "ok: the name was looked up again" || fail "no new lookups ($before → $(lookups))"
check "rollback refused: still the new content" "version B" "$(cat "$MNT/ipns/$KEY/hello.txt" 2>&1)"
check "rollback refused: never showed the old content" 0 $seen_a
finish "$WORK/mount.log"
