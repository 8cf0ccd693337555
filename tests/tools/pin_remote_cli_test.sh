#!/usr/bin/env bash
# `ipfsfs pin remote service add|ls|rm` and `pin remote add|ls|rm` against
# mock-ipfs-pinning-service (tests/peers/publish/pinning_service.cjs): the
# services file is 0600 and refused when others may read it; add waits for
# pinned (the mock moves queued -> pinning -> pinned per poll) unless
# --background; ls filters by status; rm removes; a wrong key is one line.
#
#   pin_remote_cli_test.sh IPFSFS PEERS_DIR     (exits 77 without node or the peers)
set -u
IPFSFS=$(realpath "$1")
PEERS=$(realpath "$2")
if ! command -v node >/dev/null || [ ! -f "$PEERS/publish/node_modules/mock-ipfs-pinning-service/package.json" ]; then
  echo "skipped: needs node and npm ci --prefix tests/peers/publish"
  exit 77
fi
source "$(dirname "$0")/lib.sh"
make_work pin-remote
SERVICE=
on_exit '[ -n "$SERVICE" ] && kill "$SERVICE" && wait "$SERVICE"'
unset CONFIGURATION_DIRECTORY

node "$PEERS/publish/pinning_service.cjs" secret "$WORK/requests.jsonl" >"$WORK/service.out" 2>&1 &
SERVICE=$!
for _ in $(seq 600); do grep -q listening "$WORK/service.out" && break; sleep 0.1; done
PORT=$(sed -n 's/^listening //p' "$WORK/service.out")
[ -n "$PORT" ] || { cat "$WORK/service.out"; echo "skipped: the mock service did not start"; exit 77; }
URL=http://127.0.0.1:$PORT
FILE=$XDG_CONFIG_HOME/ipfsfs/pinning-services.json
CID=bafkreidwslb22nkaxoadyaqlhlxgntmiq4jdenhkbrxhcq6avxlt75br5u
CID2=bafkreib7ytgp45cyodrmbwm7ohzq74dfnsg63va4yhl5hu3wwdn6nbpc6m

expect "service add" 0 "$IPFSFS" pin remote service add mock "$URL/pins" secret
[ "$(stat -c %a "$FILE")" = 600 ] && echo "ok: services file 0600" || fail "mode $(stat -c %a "$FILE")"
expect "service add twice" 1 "$IPFSFS" pin remote service add mock "$URL" secret
expect "service ls" 0 "$IPFSFS" pin remote service ls
[ "$OUT" = "mock $URL" ] || fail "service ls: '$OUT' (the endpoint is kept without /pins)"
chmod 644 "$FILE"
expect "a services file others may read is refused" 1 "$IPFSFS" pin remote service ls
echo "$ERR" | grep -q "readable by others, refused" || fail "refusal: $ERR"
chmod 600 "$FILE"

expect "add waits for pinned" 0 "$IPFSFS" pin remote add --service mock --name site "$CID"
[ "$OUT" = "$(printf 'CID:\t%s\nName:\tsite\nStatus:\tpinned' "$CID")" ] || fail "add printed '$OUT'"
grep -q '"method":"GET","url":"/pins/req-1","authorization":"Bearer secret"' "$WORK/requests.jsonl" &&
  echo "ok: add polled the status" || fail "no status poll: $(cat "$WORK/requests.jsonl")"
expect "add --background" 0 "$IPFSFS" pin remote add --service mock --name stuck-x --background "/ipfs/$CID2"
echo "$OUT" | grep -q "Status:	queued" || fail "background add: $OUT"
expect "ls (pinned by default)" 0 "$IPFSFS" pin remote ls --service mock
[ "$OUT" = "$(printf '%s\tpinned\tsite' "$CID")" ] || fail "ls: '$OUT'"
expect "ls --status queued" 0 "$IPFSFS" pin remote ls --service mock --status queued
[ "$OUT" = "$(printf '%s\tqueued\tstuck-x' "$CID2")" ] || fail "ls queued: '$OUT'"
expect "rm needs a filter" 2 "$IPFSFS" pin remote rm --service mock
expect "rm --cid" 0 "$IPFSFS" pin remote rm --service mock --cid "$CID"
expect "ls after rm" 0 "$IPFSFS" pin remote ls --service mock
[ -z "$OUT" ] || fail "still listed after rm: $OUT"

expect "service add with a wrong key" 0 "$IPFSFS" pin remote service add bad "$URL" nope
expect "a wrong key is one line" 1 "$IPFSFS" pin remote ls --service bad
[ "$ERR" = "ipfsfs: pin remote ls: GET /pins: HTTP 401 access token is invalid (check the service's access token)" ] ||
  fail "401: '$ERR'"
expect "an unknown service" 1 "$IPFSFS" pin remote ls --service nosuch
echo "$ERR" | grep -q "no pinning service named nosuch (add it with: ipfsfs pin remote service add nosuch ENDPOINT KEY)" ||
  fail "unknown: $ERR"
expect "service rm" 0 "$IPFSFS" pin remote service rm bad
expect "service ls after rm" 0 "$IPFSFS" pin remote service ls
[ "$OUT" = "mock $URL" ] || fail "after rm: '$OUT'"

finish
