#!/usr/bin/env bash
# `ipfsfs name publish` end to end against the loopback test gateway as a
# delegated router (PUT /routing/v1/ipns/, checked as boxo's server does) and
# as a kubo RPC (routing/put): the record put, served back, and `ipfsfs
# resolve` through it giving the CID; sequences rising across runs; a target
# that is down failing alone; --allow-offline keeping the record for a local
# resolve; the usage errors.
set -u
IPFSFS=$1
GATEWAY=$2
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$work"; }
trap cleanup EXIT
export XDG_STATE_HOME=$work/state XDG_CONFIG_HOME=$work/config XDG_CACHE_HOME=$work/cache XDG_DATA_HOME=$work/data
unset IPFS_GATEWAY
export IPFS_PATH=$work/no-ipfs
fail=0
check() { if [ "$2" = "$3" ]; then echo "ok   $1"; else echo "FAIL $1: got [$2] want [$3]"; fail=1; fi; }

"$GATEWAY" >"$work/gw.url" 2>"$work/gw.err" &
pids+=($!)
for _ in $(seq 400); do [ -s "$work/gw.url" ] && break; sleep 0.05; done
gw=$(head -1 "$work/gw.url")
[ -n "$gw" ] || { echo "FAIL the test gateway did not start: $(cat "$work/gw.err")"; exit 1; }
# A port nothing listens on: a target that is down.
down=http://127.0.0.1:$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

cid_a=bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354
cid_b=bafkqaaa
name=$("$IPFSFS" key gen site)
rsa=$("$IPFSFS" key gen old --type rsa)

check "publish via routing" "$("$IPFSFS" name publish --key site --routing "$gw" /ipfs/$cid_a)" \
  "Published to $name: /ipfs/$cid_a"
check "resolve through the routing server" "$("$IPFSFS" resolve --routing "$gw" --gateway "$down" "$name" 2>&1)" \
  "/ipfs/$cid_a"
rm -rf "$XDG_STATE_HOME/ipfsfs/names"  # the next resolve may only use what the server serves
check "resolve from the server alone" "$("$IPFSFS" resolve --routing "$gw" --gateway "$down" "$name" 2>&1)" "/ipfs/$cid_a"

out=$("$IPFSFS" name publish --key site --routing "$gw" --api "$gw" --ttl 1m --json /ipfs/$cid_b/)
check "publish via kubo and routing (json)" "$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(d["Sequence"], d["Value"], [t["Ok"] for t in d["Targets"]])' "$out")" \
  "1 /ipfs/$cid_b/ [True, True]"
check "resolve the new value through kubo" "$("$IPFSFS" resolve --api "$gw" "$name" 2>&1)" "/ipfs/$cid_b"

# Sequences: what we published is remembered even when the names store is gone.
rm -rf "$XDG_STATE_HOME/ipfsfs/names"
check "sequence after a lost names store" \
  "$("$IPFSFS" name publish --key site --routing "$down" --allow-offline --json /ipfs/$cid_a 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["Sequence"])')" 2
err=$("$IPFSFS" name publish --key site --routing "$down" /ipfs/$cid_a 2>&1 >/dev/null); rc=$?
check "a target that is down: rc" $rc 1
case "$err" in "ipfsfs: name publish: routing $down: PUT $down/routing/v1/ipns/$name: "*) echo "ok   down target named";;
  *) echo "FAIL down target message [$err]"; fail=1;; esac
out=$("$IPFSFS" name publish --key site --routing "$down" --routing "$gw" /ipfs/$cid_a 2>/dev/null); rc=$?
check "one target down, the other still gets it: rc" $rc 1
check "the server now has sequence 4" "$("$IPFSFS" resolve --routing "$gw" --gateway "$down" "$name" 2>&1)" "/ipfs/$cid_a"
err=$("$IPFSFS" name publish --key site --routing "$gw" --sequence 4 /ipfs/$cid_a 2>&1); rc=$?
check "--sequence not above: rc" $rc 2
check "--sequence not above: message" "$(echo "$err" | head -1)" \
  "ipfsfs: name publish: --sequence 4 is not above the current sequence 4"

# No target.
err=$("$IPFSFS" name publish --key site /ipfs/$cid_a 2>&1); rc=$?
check "no target: rc" $rc 2
check "no target: message" "$(echo "$err" | head -1)" \
  "ipfsfs: name publish: no target to publish to: give --api or --routing, or --allow-offline to keep the record locally only"
check "--allow-offline, RSA key" "$("$IPFSFS" name publish --key old --allow-offline /ipfs/$cid_b)" \
  "Published to $rsa: /ipfs/$cid_b"
check "resolved locally, offline" "$("$IPFSFS" resolve --offline "$rsa" 2>&1)" "/ipfs/$cid_b"
"$IPFSFS" name inspect "$XDG_STATE_HOME/ipfsfs/names/$rsa.ipns-record" --verify "$rsa" >/dev/null
check "the stored record verifies" $? 0

check "--key given as the k51 name" "$("$IPFSFS" name publish --key "$rsa" --allow-offline /ipfs/$cid_a)" \
  "Published to $rsa: /ipfs/$cid_a"

# Usage errors.
"$IPFSFS" name publish /ipfs/$cid_a --allow-offline >/dev/null 2>&1; check "no --key: rc" $? 2
"$IPFSFS" name publish --key site --allow-offline /nope/$cid_a >/dev/null 2>&1; check "bad path: rc" $? 2
"$IPFSFS" name publish --key site --allow-offline --ttl 3h --lifetime 1h /ipfs/$cid_a >/dev/null 2>&1
check "ttl above lifetime: rc" $? 2
out=$("$IPFSFS" name publish --key site --allow-offline --lifetime 1m --json /ipfs/$cid_a)
check "the default TTL is capped to a short lifetime" "$(
  "$IPFSFS" name inspect --json "$XDG_STATE_HOME/ipfsfs/names/$name.ipns-record" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["Entry"]["TTL"])')" 60000000000
err=$("$IPFSFS" name publish --key nokey --allow-offline /ipfs/$cid_a 2>&1); rc=$?
check "unknown key" "$rc $err" "1 ipfsfs: name publish: no key named 'nokey'"
exit $fail
