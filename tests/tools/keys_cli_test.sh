#!/usr/bin/env bash
# `ipfsfs key …` as users run it: kubo's file layout and modes under a
# permissive umask, the outputs, exit codes (1 failure, 2 usage) and messages,
# and the refusal of a key file others can read.
set -u
IPFSFS=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export XDG_DATA_HOME=$work/data
ks=$XDG_DATA_HOME/ipfsfs/keystore
fail=0
check() { if [ "$2" = "$3" ]; then echo "ok   $1"; else echo "FAIL $1: got [$2] want [$3]"; fail=1; fi; }

umask 000
id=$("$IPFSFS" key gen mykey); check "gen rc" $? 0
case "$id" in k51qzi5uqu5d*) echo "ok   gen prints a k51 name";; *) echo "FAIL gen printed [$id]"; fail=1;; esac
check "keystore dir mode" "$(stat -c %a "$ks")" 700
check "key file name and mode" "$(stat -c %a "$ks/key_nv4wwzlz")" 600
umask 022
rsa=$("$IPFSFS" key gen big --type rsa --size 2048); check "gen rsa rc" $? 0
case "$rsa" in k2k4r8*) echo "ok   rsa name is a hash";; *) echo "FAIL rsa name [$rsa]"; fail=1;; esac
check "list" "$("$IPFSFS" key list | tr '\n' ' ')" "big mykey "
check "list -l" "$("$IPFSFS" key list -l | tail -1)" "$id  mykey"
check "list --json" "$("$IPFSFS" key list --json)" \
  "{\"Keys\":[{\"Name\":\"big\",\"Id\":\"$rsa\"},{\"Name\":\"mykey\",\"Id\":\"$id\"}]}"

err=$("$IPFSFS" key gen mykey 2>&1); check "gen existing rc" $? 1
check "gen existing message" "$err" "ipfsfs: key gen: key with name 'mykey' already exists"
"$IPFSFS" key gen self >/dev/null 2>&1; check "gen self is a usage error" $? 2
"$IPFSFS" key gen x --type dsa >/dev/null 2>&1; check "gen unknown type is a usage error" $? 2
"$IPFSFS" key gen x --type rsa --size 1024 >/dev/null 2>&1; check "gen rsa 1024 is a usage error" $? 2

for fmt in libp2p-protobuf-cleartext pem-pkcs8-cleartext; do
  "$IPFSFS" key export mykey -o "$work/out.$fmt" --format $fmt; check "export $fmt rc" $? 0
  check "export $fmt mode" "$(stat -c %a "$work/out.$fmt")" 600
  check "import $fmt gives the same name" "$("$IPFSFS" key import "copy-$fmt" "$work/out.$fmt" --format $fmt)" "$id"
done
head -1 "$work/out.pem-pkcs8-cleartext" | grep -qx -- '-----BEGIN PRIVATE KEY-----' && echo "ok   pem header" ||
  { echo "FAIL pem header"; fail=1; }
check "import as self" "$("$IPFSFS" key import self "$work/out.libp2p-protobuf-cleartext" 2>&1; echo rc=$?)" \
  "ipfsfs: key import: cannot import key with name 'self'
Run with --help for more information.
rc=2"

check "rename" "$("$IPFSFS" key rename copy-pem-pkcs8-cleartext other)" "Key $id was renamed to \"other\""
err=$("$IPFSFS" key rename other big 2>&1); check "rename onto existing rc" $? 1
check "rename onto existing message" "$err" \
  "ipfsfs: key rename other: key by that name already exists, refusing to overwrite (use -f)"
"$IPFSFS" key rename -f other big >/dev/null; check "rename -f rc" $? 0
check "rename -f replaced" "$("$IPFSFS" key list -l | grep ' big$')" "$id  big"
check "rm" "$("$IPFSFS" key rm big copy-libp2p-protobuf-cleartext)" "big
copy-libp2p-protobuf-cleartext"
err=$("$IPFSFS" key rm big 2>&1); check "rm missing rc" $? 1
check "rm missing message" "$err" "ipfsfs: key rm big: no key named 'big'"

chmod 644 "$ks/key_nv4wwzlz"
err=$("$IPFSFS" key export mykey -o "$work/x" 2>&1); check "readable key refused rc" $? 1
check "readable key refused message" "$err" \
  "ipfsfs: key export mykey: key file $ks/key_nv4wwzlz is accessible by others (mode 0644): run chmod 600 $ks/key_nv4wwzlz"
chmod 600 "$ks/key_nv4wwzlz"
"$IPFSFS" key export mykey -o "$work/x"; check "after chmod 600" $? 0
exit $fail
