#!/usr/bin/env bash
# Benchmarks `ipfsfs sync` (issue 15) against baselines of the same run:
#  1. sync of SIZE MiB of new data (one file of random bytes in the staging
#     dir) ÷ `ipfsfs add` of the same file into a cache of its own (both store
#     and pin; goal ≥ 0.8);
#  2. re-sync of an unchanged FILES-file tree, and after changing one file
#     (goal ≤ 1 s each).
# Usage: BUILD=build bench/sync.sh [SIZE_MIB] [FILES]   (defaults: 1024, 10000)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
SIZE_MIB=${1:-1024}
FILES=${2:-10000}
bench_init sync
export XDG_STATE_HOME=$WORK/state
STAGING=$WORK/staging
mkdir -p "$STAGING"

KEY=$(printf 'v1-2025-seed' | sha256sum | cut -d' ' -f1)
openssl enc -chacha20 -K "$KEY" -iv "$(printf '%032d' 0)" -in /dev/zero 2>/dev/null |
  head -c $((SIZE_MIB * 1048576)) >"$WORK/big.bin" || true
mkdir -p "$WORK/addsrc"
cp "$WORK/big.bin" "$STAGING/big.bin"
ln "$WORK/big.bin" "$WORK/addsrc/big.bin"
sleep 1.1  # past the racy-clean window: the re-syncs below need read nothing

echo "ipfsfs sync benchmark: $SIZE_MIB MiB, $FILES files, $(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg)"
cat "$WORK/big.bin" >/dev/null  # both read from the page cache
T_ADD=$(timed "$IPFSFS" add -Q -r --hidden --cache-dir "$WORK/addcache" "$WORK/addsrc")
ADD_ROOT=$("$IPFSFS" add -Q -r --hidden --only-hash "$WORK/addsrc")
"$IPFSFS" mount --offline --cache-dir "$WORK/cache" --staging-dir "$STAGING" --log-file "$WORK/mount.log" "$MNT"
T0=$(now)
SYNC_ROOT=$("$IPFSFS" sync -q "$MNT")
T_SYNC=$(secs "$T0" "$(now)")
[ "$SYNC_ROOT" = "$ADD_ROOT" ] || { echo "sync root $SYNC_ROOT != add root $ADD_ROOT" >&2; exit 1; }
printf '%-44s %7.2f s  %7.1f MiB/s\n' "ipfsfs add (stored, pinned)" "$T_ADD" "$(mibs $((SIZE_MIB * 1048576)) "$T_ADD")"
printf '%-44s %7.2f s  %7.1f MiB/s\n' "ipfsfs sync, new data" "$T_SYNC" "$(mibs $((SIZE_MIB * 1048576)) "$T_SYNC")"
echo "sync ÷ add throughput: $(ratio "$T_ADD" "$T_SYNC") (goal ≥ 0.8)"
rm "$STAGING/big.bin"

# FILES small files in directories of 100.
for ((d = 0; d < (FILES + 99) / 100; d++)); do
  mkdir -p "$STAGING/d$d"
  for ((f = 0; f < 100 && d * 100 + f < FILES; f++)); do echo "file $d/$f" >"$STAGING/d$d/f$f"; done
done
sleep 1.1
T_FIRST=$(timed "$IPFSFS" sync "$MNT")
T_SAME=$(timed "$IPFSFS" sync "$MNT")
echo "changed" >>"$STAGING/d0/f0"
T_ONE=$(timed "$IPFSFS" sync "$MNT")
printf '%-44s %7.2f s\n' "first sync of $FILES files" "$T_FIRST"
printf '%-44s %7.2f s  (goal ≤ 1 s)\n' "re-sync, unchanged" "$T_SAME"
printf '%-44s %7.2f s  (goal ≤ 1 s)\n' "re-sync after changing one file" "$T_ONE"
