#!/usr/bin/env bash
# `ipfsfs name inspect --verify` on records made at test time by the js
# reference `ipns` (tests/peers/ipns_make.mjs): V1+V2 and V2-only with Ed25519,
# RSA and secp256k1 keys must verify; each forged variant must be refused with
# its reason. Skipped (77) without node or tests/peers/node_modules.
set -u
IPFSFS=$1
PEERS=$(cd "$(dirname "$0")/../peers" && pwd)
command -v node >/dev/null || { echo "skip: no node"; exit 77; }
[ -d "$PEERS/node_modules/ipns" ] || { echo "skip: npm ci --prefix tests/peers first"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
node "$PEERS/ipns_make.mjs" "$work" || { echo "FAIL ipns_make.mjs"; exit 1; }
fail=0
count=0
while IFS=$'\t' read -r case name expected; do
  file=$work/$case.ipns-record
  err=$("$IPFSFS" name inspect "$file" --verify "$name" 2>&1 >/dev/null); rc=$?
  count=$((count + 1))
  if [ "$expected" = valid ]; then
    [ $rc -eq 0 ] && echo "ok   $case" || { echo "FAIL $case: rc=$rc err=[$err]"; fail=1; }
  else
    case "$err" in
      "ipfsfs: name inspect $file: $expected"*) [ $rc -eq 1 ] && echo "ok   $case: $expected" ||
                                                 { echo "FAIL $case: rc=$rc"; fail=1; } ;;
      *) echo "FAIL $case: rc=$rc err=[$err] (want [$expected…])"; fail=1 ;;
    esac
  fi
done <"$work/cases.tsv"
[ $count -ge 30 ] || { echo "FAIL only $count cases"; fail=1; }
exit $fail
