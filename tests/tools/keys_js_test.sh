#!/usr/bin/env bash
# Keys both ways with the js libp2p keys library (@libp2p/crypto, tests/peers):
# keys exported by ipfsfs in both formats are read by js with the same name,
# and keys made by js (Ed25519, RSA) are imported by ipfsfs with the same name.
# Skipped (77) without node or tests/peers/node_modules.
set -u
IPFSFS=$1
PEERS=$(cd "$(dirname "$0")/../peers" && pwd)
command -v node >/dev/null || { echo "skip: no node"; exit 77; }
[ -d "$PEERS/node_modules/@libp2p/crypto" ] || { echo "skip: npm ci --prefix tests/peers first"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export XDG_DATA_HOME=$work/data
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
exit $fail
