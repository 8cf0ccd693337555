#!/usr/bin/env bash
# `ipfsfs name inspect` on the ipns.md §9 vectors (tests/data/ipns/*.hex written
# out as record files): verdicts, exit codes and the stderr line (CONVENTIONS.md).
set -u
IPFSFS=$1
DATA=$(cd "$(dirname "$0")/../data/ipns" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
for l in a b c d e f g; do
  printf '%b' "$(tr -d '\n ' <"$DATA/vector-$l.hex" | sed 's/../\\x&/g')" >"$work/$l.ipns-record"
done
[ "$(stat -c %s "$work/a.ipns-record")" = 397 ] || { echo "FAIL hex to bytes"; exit 1; }

A=k51qzi5uqu5dldhbzu8n103rk9vogs98jlyiek9ab95nby355ejzh0marmmurb
B=k51qzi5uqu5dk6oycedgfkfc5baddy52j5yfwpfvaidtrsclhexckdhp2pxgxc
C=12D3KooWBRFW3HkJCLKSWb4yG6iWRBpgNjbM4FFvNsL5T5JKTqrd
D=k51qzi5uqu5dljtb2o521pg2pzyfhlh76vz9jad7xh5tvapxja30p4sbgm3dc8
E=QmeUbCBmLrU5tuJsFJ6NLfzomXHCXKv5bD5YzhC5WyyvGL
F=bafzaajaiaejcbrucey34puyq5rlwe67aborftustospuvl3eirym767fhi27omsc
G=k51qzi5uqu5dhhvphvycqb01tzo2vv3egfryragxqtowyua81wzqp5jshanubq

# check NAME WANT_RC WANT_STDERR_PREFIX -- ARGS...
check() {
  local name=$1 want_rc=$2 want_err=$3; shift 4
  "$IPFSFS" "$@" >"$work/out" 2>"$work/err"; local rc=$?
  local err; err=$(cat "$work/err")
  if [ "$rc" != "$want_rc" ]; then
    echo "FAIL $name: rc=$rc (want $want_rc) err=[$err]"; fail=1; return
  fi
  case "$err" in "$want_err"*) echo "ok   $name";; *) echo "FAIL $name: err=[$err] (want [$want_err…])"; fail=1;; esac
}
check a-valid 0 "" -- name inspect "$work/a.ipns-record" --verify "$A"
check b-v2-only 0 "" -- name inspect "$work/b.ipns-record" --verify "$B"
check c-expired 1 "ipfsfs: name inspect $work/c.ipns-record: expired: end of life 2020-01-01T00:00:00Z" -- \
  name inspect "$work/c.ipns-record" --verify "$C"
check d-bad-sig 1 "ipfsfs: name inspect $work/d.ipns-record: bad signature" -- \
  name inspect "$work/d.ipns-record" --verify "$D"
check e-rsa 0 "" -- name inspect "$work/e.ipns-record" --verify "$E"
check f-no-fraction 0 "" -- name inspect "$work/f.ipns-record" --verify "$F"
check g-v1-mismatch 1 "ipfsfs: name inspect $work/g.ipns-record: V1 field disagrees with the signed data" -- \
  name inspect "$work/g.ipns-record" --verify "$G"
check h-wrong-name 1 "ipfsfs: name inspect $work/a.ipns-record: bad signature" -- \
  name inspect "$work/a.ipns-record" --verify "$B"
check e-wrong-name 1 "ipfsfs: name inspect $work/e.ipns-record: public key does not match the name" -- \
  name inspect "$work/e.ipns-record" --verify "$A"
check c-no-verify 0 "" -- name inspect "$work/c.ipns-record"
check json 1 "ipfsfs: name inspect $work/g.ipns-record: V1 field" -- \
  name inspect --json "$work/g.ipns-record" --verify "/ipns/$G"

head -c 100 "$work/a.ipns-record" >"$work/truncated"
check truncated 1 "ipfsfs: name inspect $work/truncated: malformed protobuf" -- name inspect "$work/truncated"
head -c 12000 /dev/zero | tr '\0' 'x' >"$work/big"
check oversize 1 "ipfsfs: name inspect $work/big: record too large: 12000 bytes (limit 10240)" -- name inspect "$work/big"
check missing 1 "ipfsfs: name inspect $work/nope:" -- name inspect "$work/nope"
check bad-name 2 "" -- name inspect "$work/a.ipns-record" --verify bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354
check no-file 2 "" -- name inspect
check no-sub 2 "" -- name

# The text report shows every field and each check; --json carries the same verdict.
"$IPFSFS" name inspect "$work/a.ipns-record" --verify "$A" >"$work/text"
for want in 'Signature Type: "V1+V2"' 'Protobuf Size:  397' 'Sequence:       7' 'TTL:            1h0m0s' \
            'Validity:       "2126-01-01T00:00:00.000000000Z"' 'signatureV2:    64 bytes de98e5ad' 'pubKey:         absent' \
            'Valid:          true' 'signature v2:   ok' 'v1 fields:      ok'; do
  grep -qF "$want" "$work/text" && echo "ok   text: $want" || { echo "FAIL text lacks [$want]"; fail=1; }
done
"$IPFSFS" name inspect --json "$work/g.ipns-record" --verify "$G" >"$work/json" 2>/dev/null
python3 - "$work/json" <<'PY' && echo "ok   json fields" || { echo "FAIL json fields"; fail=1; }
import json, sys
j = json.load(open(sys.argv[1]))
assert j["PbSize"] == 346 and j["SignatureType"] == "V1+V2", j
assert j["Entry"]["Sequence"] == 7 and j["Protobuf"]["value"] == "/ipfs/bafkqaaa", j
v = j["Validation"]
assert v["Valid"] is False and v["Reason"].startswith("V1 field disagrees"), v
assert [c["Check"] for c in v["Checks"] if not c["Passed"]] == ["v1 fields"], v
PY
exit $fail
