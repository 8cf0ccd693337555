#!/usr/bin/env bash
# Benchmarks `ipfsfs add` on one large file against baselines measured in the
# same run: sha256sum of the same bytes, and the js reference importer
# (tests/peers, configured like kubo). Prints wall times, ratios and peak RSS.
# Usage: bench/add.sh [BUILD_DIR] [SIZE_MIB]   (defaults: build, 1024)
# Needs GNU time (/usr/bin/time) and, for the js column, npm ci --prefix tests/peers.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
SIZE_MIB=${2:-1024}
IPFSFS="$BUILD/tools/ipfsfs"
[ -x "$IPFSFS" ] || { echo "no $IPFSFS: build the ipfsfs target first" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "needs GNU time: apt-get install time" >&2; exit 1; }

DIR=$(mktemp -d /tmp/ipfsfs-bench-add.XXXXXX)
trap 'rm -rf "$DIR"' EXIT
FILE="$DIR/input.bin"
# Incompressible, deterministic bytes: kubo's test stream (kubo-add.md 7.1),
# ChaCha20 keyed with SHA-256("v1-2025-seed"); at 1 GiB it is a 7.3 vector.
KEY=$(printf 'v1-2025-seed' | sha256sum | cut -d' ' -f1)
openssl enc -chacha20 -K "$KEY" -iv "$(printf '%032d' 0)" -in /dev/zero 2>/dev/null |
  head -c $((SIZE_MIB * 1048576)) >"$FILE" || true  # openssl dies of SIGPIPE
[ "$(stat -c %s "$FILE")" -eq $((SIZE_MIB * 1048576)) ] || { echo "could not make the input" >&2; exit 1; }
cat "$FILE" >/dev/null  # warm the page cache: every tool reads from memory

# run NAME CMD...: best of 3 wall seconds, the CPU seconds (user + sys) of
# that run and the peak RSS (KiB) into $SECS / $CPU / $RSS. CPU time is the
# steadier figure on a shared machine.
run() {
  local name=$1 best="" cpu="" rss=0
  shift
  for _ in 1 2 3; do
    /usr/bin/time -f "%e %M %U %S" -o "$DIR/time" "$@" >"$DIR/out" 2>/dev/null
    read -r secs kib user sys <"$DIR/time"
    if [ -z "$best" ] || awk "BEGIN{exit !($secs < $best)}"; then
      best=$secs
      cpu=$(awk "BEGIN{print $user + $sys}")
    fi
    [ "$kib" -gt "$rss" ] && rss=$kib
  done
  SECS=$best CPU=$cpu RSS=$rss
  printf '%-46s %6.2f s wall %6.2f s cpu %7.1f MiB/s %7d KiB RSS\n' "$name" "$SECS" "$CPU" \
    "$(awk "BEGIN{print $SIZE_MIB / ($SECS > 0 ? $SECS : 0.001)}")" "$RSS"
}
ratio() { awk "BEGIN{printf \"%.2f\", $1 / ($2 > 0 ? $2 : 0.001)}"; }

echo "ipfsfs add benchmark: $SIZE_MIB MiB, $(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg)"
run "sha256sum" sha256sum "$FILE"; T_SHA=$SECS
run "ipfsfs add --only-hash (v0 defaults)" "$IPFSFS" add -n -Q "$FILE"; T_V0=$SECS; C_V0=$CPU; RSS_V0=$RSS
run "ipfsfs add --only-hash --cid-version 1" "$IPFSFS" add -n -Q --cid-version 1 "$FILE"; T_V1=$SECS
run "ipfsfs add --only-hash --profile unixfs-v1-2025" "$IPFSFS" add -n -Q --profile unixfs-v1-2025 "$FILE"
V1_ROOT=$(cat "$DIR/out")
run "ipfsfs add --only-hash --trickle" "$IPFSFS" add -n -Q --trickle "$FILE"
run "ipfsfs add --only-hash --chunker rabin" "$IPFSFS" add -n -Q --chunker rabin "$FILE"
run "ipfsfs add --only-hash --chunker buzhash" "$IPFSFS" add -n -Q --chunker buzhash "$FILE"
run "ipfsfs add --car (v0, to $DIR)" "$IPFSFS" add -Q --car "$DIR/out.car" "$FILE"; RSS_CAR=$RSS
rm -f "$DIR/out.car"
T_JS=""
if [ -d tests/peers/node_modules/ipfs-unixfs-importer ]; then
  run "js ipfs-unixfs-importer (v0, kubo settings)" node tests/peers/js_add.mjs v0 "$FILE"; T_JS=$SECS; C_JS=$CPU
fi

echo
echo "ratio sha256sum / ipfsfs add -n (goal >= 1.0):      $(ratio "$T_SHA" "$T_V0")"
echo "ratio sha256sum / ipfsfs add -n --cid-version 1:    $(ratio "$T_SHA" "$T_V1")"
if [ -n "$T_JS" ]; then
  echo "ratio js importer / ipfsfs add -n, wall (goal >= 5): $(ratio "$T_JS" "$T_V0")"
  echo "ratio js importer / ipfsfs add -n, cpu time:         $(ratio "$C_JS" "$C_V0")"
fi
if [ "$SIZE_MIB" -eq 1024 ]; then
  want=bafybeihmf37wcuvtx4hpu7he5zl5qaf2ineo2lqlfrapokkm5zzw7zyhvm
  [ "$V1_ROOT" = "$want" ] && echo "kubo vector (7.3, 1 GiB unixfs-v1-2025): ok" ||
    { echo "kubo vector (7.3) MISMATCH: $V1_ROOT != $want"; exit 1; }
fi
echo "peak RSS ipfsfs add -n: $((RSS_V0 / 1024)) MiB, --car: $((RSS_CAR / 1024)) MiB (goal <= 64 MiB)"
