#!/usr/bin/env bash
# Keys both ways with the js libp2p keys library (@libp2p/crypto, tests/peers):
# keys exported by ipfsfs in both formats are read by js with the same name,
# and keys made by js (Ed25519, RSA) are imported by ipfsfs with the same name.
# Records made by `ipfsfs name publish` are validated by the js reference `ipns`
# (valid, V1+V2, the right value, sequence, TTL and validity).
# Skipped (77) without node or tests/peers/node_modules.
set -u
IPFSFS=$1
PEERS=$(cd "$(dirname "$0")/../peers" && pwd)
command -v node >/dev/null || { echo "skip: no node"; exit 77; }
[ -d "$PEERS/node_modules/@libp2p/crypto" ] || { echo "skip: npm ci --prefix tests/peers first"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export XDG_DATA_HOME=$work/data XDG_STATE_HOME=$work/state
fail=0
check() { if [ "$2" = "$3" ]; then echo "ok   $1"; else echo "FAIL $1: got [$2] want [$3]"; fail=1; fi; }

for type in ed25519 rsa; do
  id=$("$IPFSFS" key gen "$type" --type $type)
  "$IPFSFS" key export "$type" -o "$work/$type.key"
  check "$type protobuf read by js" "$(node "$PEERS/keys_js.mjs" name "$work/$type.key")" "$id"
  "$IPFSFS" key export "$type" -o "$work/$type.pem" --format pem-pkcs8-cleartext
  check "$type pem read by js" "$(node "$PEERS/keys_js.mjs" name-pem "$work/$type.pem")" "$id"
done
for type in Ed25519 RSA; do
  id=$(node "$PEERS/keys_js.mjs" gen $type "$work/js-$type.key")
  check "js $type imported by ipfsfs" "$("$IPFSFS" key import "js-$type" "$work/js-$type.key")" "$id"
done
cid=bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354
for key in ed25519 rsa js-RSA; do
  id=$("$IPFSFS" key list -l | awk -v k="$key" '$2 == k {print $1}')
  "$IPFSFS" name publish --key $key --allow-offline --ttl 90s --lifetime 24h /ipfs/$cid >/dev/null
  out=$("$IPFSFS" name publish --key $key --allow-offline --ttl 90s --lifetime 24h --json /ipfs/$cid/sub)
  validity=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["Validity"])' "$out")
  got=$(node "$PEERS/keys_js.mjs" check-record "$XDG_STATE_HOME/ipfsfs/names/$id.ipns-record" "$id")
  check "$key record validated by js ipns" "$got" \
    "{\"valid\":true,\"value\":\"/ipfs/$cid/sub\",\"sequence\":1,\"ttl\":\"90000000000\",\"validity\":\"$validity\",\"v1\":true}"
done
exit $fail
