#!/usr/bin/env bash
# `ipfsfs cid` as a user runs it: outputs, stderr lines and exit codes (CONVENTIONS.md).
set -u
IPFSFS=$1
fail=0
expect() {  # expect NAME WANT_RC WANT_STDOUT -- ARGS...
  local name=$1 want_rc=$2 want_out=$3; shift 4
  local out rc
  out=$("$IPFSFS" "$@" 2>/tmp/cid_cli_err.$$); rc=$?
  if [ "$rc" != "$want_rc" ] || [ "$out" != "$want_out" ]; then
    echo "FAIL $name: rc=$rc (want $want_rc) out=[$out] (want [$want_out]) err=[$(cat /tmp/cid_cli_err.$$)]"; fail=1
  else
    echo "ok   $name"
  fi
}
expect v0-to-v1 0 bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354 -- cid format -v 1 QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn
expect v1-to-v0 0 QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn -- cid format -v 0 bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354
expect base36 0 k2jmtxtlhjl3fhmgndf92e48by79ryjuvqp3y2qgehpao6v3lurvnmcv -- cid format -b base36 QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn
expect base58-v1 0 zb2rhe5P4gXftAwvA4eXQ5HJwsER2owDyS9sKaQRRVQPn93bA -- cid format -b base58btc zb2rhe5P4gXftAwvA4eXQ5HJwsER2owDyS9sKaQRRVQPn93bA
expect v0-base32-forced 2 "" -- cid format -v 0 -b base32 QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn
expect raw-to-v0 1 "" -- cid format -v 0 bafkqaaa
expect bad-cid 1 "" -- cid format QmNotAValidCid
expect bad-base 2 "" -- cid format -b base99 bafkqaaa
expect no-sub 2 "" -- cid
digest=$("$IPFSFS" cid inspect QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn | grep "^Digest:")
[ "$digest" = "Digest:     59948439065f29619ef41280cbb932be52c56d99c5966b65e0111239f098bbef" ] && echo "ok   inspect-digest" || { echo "FAIL inspect-digest: [$digest]"; fail=1; }
err=$("$IPFSFS" cid format QmNotAValidCid 2>&1 >/dev/null)
case "$err" in "ipfsfs: cid format QmNotAValidCid: "*) echo "ok   error-line";; *) echo "FAIL error-line: [$err]"; fail=1;; esac
rm -f /tmp/cid_cli_err.$$
exit $fail
