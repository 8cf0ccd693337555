#!/usr/bin/env bash
# bench/staging.sh [SIZE] [FILES]: staging/ against its own backing directory, in one run.
#
#   sequential write of SIZE (dd bs=1M, then fsync) into staging/ ÷ the same into the backing dir
#   creation of FILES small files (one process, write + close each) in staging/ ÷ in the backing dir
#
# Goals (issue 15): ≥ 0.7 and ≥ 0.3. Ratios are throughput ratios (staging ÷ backing): 1.0 is as
# fast as the local filesystem. Needs root (FUSE, drop_caches). BUILD=build dir with ipfsfs and
# ipfsfs-test-gateway (default: build-mount).
set -euo pipefail

SIZE_MB=${1:-1024}
FILES=${2:-10000}
. "$(dirname "$0")/lib.sh"
bench_init staging

BACK=$WORK/backing
mkdir -p "$BACK"
"$IPFSFS" mount --offline --cache-dir "$WORK/cache" --staging-dir "$BACK" --log-file "$WORK/mount.log" "$MNT"
S=$MNT/staging
mkdir -p "$BACK/direct"
mkdir "$S/mounted"

write_seq() { dd if=/dev/zero of="$1" bs=1M count="$SIZE_MB" conv=fsync status=none; }
make_files() {  # make_files DIR: FILES files of 100 bytes, in one process
  python3 - "$1" "$FILES" <<'PY'
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
data = b"x" * 100
for i in range(n):
    with open(os.path.join(d, "f%05d" % i), "wb") as f:
        f.write(data)
PY
}

best() { if [ -z "$1" ] || [ "$(echo "$2 < $1" | bc -l)" = 1 ]; then echo "$2"; else echo "$1"; fi; }

echo "== sequential write, $SIZE_MB MiB (dd bs=1M conv=fsync; best of 2, order alternated: the disk is shared)"
t_back= t_stag=
for order in "back stag" "stag back"; do
  for which in $order; do
    drop
    if [ "$which" = back ]; then
      t_back=$(best "$t_back" "$(timed write_seq "$BACK/direct/seq.bin")")
    else
      t_stag=$(best "$t_stag" "$(timed write_seq "$S/mounted/seq.bin")")
    fi
    rm -f "$BACK/direct/seq.bin" "$S/mounted/seq.bin"
  done
done
bytes=$((SIZE_MB * 1048576))
echo "   backing $(mibs $bytes "$t_back") MiB/s, staging $(mibs $bytes "$t_stag") MiB/s"
echo "   ratio staging/backing: $(ratio "$t_back" "$t_stag")   (goal >= 0.7)"

echo "== creation of $FILES files of 100 bytes (best of 2, order alternated)"
t_back= t_stag=
for order in "back stag" "stag back"; do
  for which in $order; do
    drop
    if [ "$which" = back ]; then
      mkdir "$BACK/direct/files"
      t_back=$(best "$t_back" "$(timed make_files "$BACK/direct/files")")
    else
      mkdir "$S/mounted/files"
      t_stag=$(best "$t_stag" "$(timed make_files "$S/mounted/files")")
    fi
    rm -rf "$BACK/direct/files" "$S/mounted/files"
  done
done
echo "   backing $(echo "scale=0; $FILES / $t_back" | bc -l) files/s, staging $(echo "scale=0; $FILES / $t_stag" | bc -l) files/s"
echo "   ratio staging/backing: $(ratio "$t_back" "$t_stag")   (goal >= 0.3)"
