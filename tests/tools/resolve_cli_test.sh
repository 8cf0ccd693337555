#!/usr/bin/env bash
# `ipfsfs resolve` end to end: records made by the js reference `ipns`
# (tests/peers/ipns_record.mjs) served by the test gateway as a trustless
# gateway, a delegated router (--routing) and a kubo RPC (--api); DNSLink from
# a dnsmasq on loopback (--dns). Checks the printed path, the exit codes, the
# refusals with their reason, and that a rollback is refused across runs (the
# state directory keeps the highest record). Skipped (77) without node,
# tests/peers/node_modules or dnsmasq.
set -u
IPFSFS=$1
GATEWAY=$2
PEERS=$(cd "$(dirname "$0")/../peers" && pwd)
command -v node >/dev/null || { echo "skip: no node"; exit 77; }
[ -d "$PEERS/node_modules/ipns" ] || { echo "skip: npm ci --prefix tests/peers first"; exit 77; }
[ -x /usr/sbin/dnsmasq ] || { echo "skip: no dnsmasq (dnsmasq-base)"; exit 77; }
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$work"; }
trap cleanup EXIT
export XDG_STATE_HOME=$work/state XDG_CONFIG_HOME=$work/config XDG_CACHE_HOME=$work/cache
unset IPFS_GATEWAY
export IPFS_PATH=$work/no-ipfs
fail=0
check() {  # check WHAT EXPECTED ACTUAL
  if [ "$2" = "$3" ]; then echo "ok   $1"; else echo "FAIL $1: want [$2] got [$3]"; fail=1; fi
}

seed=9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60
cid_a=bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354
cid_b=bafkqaaa
name=$(node "$PEERS/ipns_record.mjs" $seed /ipfs/$cid_a 5 60 "$work/r5") || { echo "FAIL ipns_record.mjs"; exit 1; }
node "$PEERS/ipns_record.mjs" $seed /ipfs/$cid_b 4 60 "$work/r4" >/dev/null
node "$PEERS/ipns_record.mjs" $seed /ipfs/$cid_b 6 60 "$work/r6" >/dev/null
other=$(node "$PEERS/ipns_record.mjs" 4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb \
        "/ipns/$name/docs" 1 60 "$work/other")
cp "$work/r5" "$work/served"
# A forged copy: the last byte (inside signatureV2 or data) flipped.
python3 - "$work/r5" "$work/forged" <<'PY'
import sys
b = bytearray(open(sys.argv[1], 'rb').read()); b[-1] ^= 1; open(sys.argv[2], 'wb').write(b)
PY

"$GATEWAY" --ipns "$name=$work/served" --ipns "$other=$work/other" >"$work/gw.url" 2>"$work/gw.err" &
pids+=($!)
for _ in $(seq 400); do [ -s "$work/gw.url" ] && break; sleep 0.05; done
gw=$(head -1 "$work/gw.url")
[ -n "$gw" ] || { echo "FAIL gateway did not start"; exit 1; }
"$GATEWAY" --ipns "$name=$work/forged" >"$work/bad.url" 2>/dev/null &
pids+=($!)
for _ in $(seq 400); do [ -s "$work/bad.url" ] && break; sleep 0.05; done
bad=$(head -1 "$work/bad.url")

check "gateway" "/ipfs/$cid_a" "$("$IPFSFS" resolve --gateway "$gw" "$name" 2>&1)"
check "gateway, /ipns/ path" "/ipfs/$cid_a/a/b" "$("$IPFSFS" resolve --gateway "$gw" "/ipns/$name/a/b" 2>&1)"
check "routing only" "/ipfs/$cid_a" "$("$IPFSFS" resolve --gateway http://127.0.0.1:1 --routing "$gw" "$name" 2>/dev/null)"
check "kubo routing/get" "/ipfs/$cid_a" "$("$IPFSFS" resolve --gateway http://127.0.0.1:1 --api "$gw" "$name" 2>/dev/null)"
check "name to name" "/ipfs/$cid_a/docs/x" "$("$IPFSFS" resolve --gateway "$gw" "/ipns/$other/x" 2>&1)"
check "one step" "/ipns/$name/docs" "$("$IPFSFS" resolve --recursive=false --gateway "$gw" "$other" 2>&1)"

rm -rf "$XDG_STATE_HOME"
err=$("$IPFSFS" resolve --gateway "$bad" "$name" 2>&1 >/dev/null); rc=$?
check "forged: exit 1" 1 $rc
case "$err" in *"bad signature"*) echo "ok   forged: reason";; *) echo "FAIL forged: [$err]"; fail=1;; esac
err=$("$IPFSFS" resolve --gateway "$gw" k51qzi5uqu5dlvj2baxnqndepeb86cbk3ng7n3i46uzyxzyqj2xjonzllnv0v8 2>&1 >/dev/null); rc=$?
check "unknown: exit 1" 1 $rc
case "$err" in "ipfsfs: resolve k51"*"no source has a record"*) echo "ok   unknown: reason";; *) echo "FAIL unknown: [$err]"; fail=1;; esac
err=$("$IPFSFS" resolve --gateway "$gw" nodots 2>&1 >/dev/null); rc=$?
check "not a name: exit 1" 1 $rc

# Rollback: sequence 5 seen, then the gateway serves 4: the stored 5 answers; 6 then wins.
check "seq 5" "/ipfs/$cid_a" "$("$IPFSFS" resolve --gateway "$gw" "$name" 2>&1)"
cp "$work/r4" "$work/served.tmp" && mv "$work/served.tmp" "$work/served"

check "seq 4 refused (stored 5 answers)" "/ipfs/$cid_a" "$("$IPFSFS" resolve --gateway "$gw" "$name" 2>&1)"
cp "$work/r6" "$work/served.tmp" && mv "$work/served.tmp" "$work/served"

check "seq 6" "/ipfs/$cid_b" "$("$IPFSFS" resolve --gateway "$gw" "$name" 2>&1)"

# DNSLink through a dnsmasq on loopback.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
/usr/sbin/dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts --pid-file= --user= --group= \
  --port="$port" --listen-address=127.0.0.1 --bind-interfaces --local=/test/ --local-ttl=60 --log-facility=- \
  "--txt-record=_dnslink.site.test,dnslink=/ipfs/$cid_a/www" \
  "--txt-record=_dnslink.key.test,dnslink=/ipns/$name" \
  "--cname=alias.test,site.test" >"$work/dns.log" 2>&1 &
pids+=($!)
for _ in $(seq 400); do
  out=$("$IPFSFS" resolve --dns "127.0.0.1:$port" --gateway "$gw" site.test 2>/dev/null) && break
  sleep 0.05
done
check "dnslink" "/ipfs/$cid_a/www" "$out"
check "dnslink to a key" "/ipfs/$cid_b/p" "$("$IPFSFS" resolve --dns "127.0.0.1:$port" --gateway "$gw" /ipns/key.test/p 2>&1)"
err=$("$IPFSFS" resolve --dns "127.0.0.1:$port" --gateway "$gw" missing.test 2>&1 >/dev/null); rc=$?
check "dnslink missing: exit 1" 1 $rc
exit $fail
