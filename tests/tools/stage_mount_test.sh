#!/usr/bin/env bash
# `ipfsfs stage CID PATH` through a real mount over the test gateway: a site
# added with options other than the mount's (CIDv1, raw leaves) is staged
# without copying its bytes (sparse placeholders), listed, read byte-exact
# (cat, cp, sha256sum, a private mmap), shows its CIDs, survives a kill -9
# of the mount, is edited with `sed -i` and `echo >>` (copy-on-write), and
# synced: only the two edited files are read, untouched subtrees keep their
# original CIDs, the edited files get `ipfsfs add`'s CIDs with the mount's
# options, and the new root reads back under ipfs/.
#
#   stage_mount_test.sh IPFSFS GATEWAY [PEERS_DIR]
#
# With PEERS_DIR (tests/peers, node_modules installed), the staged site is
# first checked to be the js reference importer's (v1-raw) DAG.
#
# Real FUSE: needs root and /dev/fuse, else exits 77 (skipped).
set -u

IPFSFS=$(realpath "$1")
GATEWAY=$(realpath "$2")
PEERS=${3:-}
source "$(dirname "$0")/lib.sh"
need_fuse
make_work stage
STAGING=$WORK/staging
GW_PID=
on_exit '[ -n "$GW_PID" ] && kill "$GW_PID"'
json_field() { sed -n "s/.*\"$1\":\([^,}]*\).*/\1/p"; }
cid_of() { getfattr --only-values -n user.ipfs.cid "$1" 2>/dev/null; }
mount_it() {
  expect "mount" 0 "$IPFSFS" mount --gateway "$GW" --cache-dir "$WORK/cache" --staging-dir "$STAGING" \
    --log-file "$WORK/mount.log" "$@" "$MNT"
}

# The published site, as another tool made it: CIDv1 with raw leaves.
SITE=$WORK/site
mkdir -p "$MNT" "$SITE/css" "$SITE/img" "$SITE/blog/2026" "$SITE/.well-known" "$SITE/empty"
printf '<h1>Hello</h1>\n<p>welcome</p>\n' > "$SITE/index.html"
printf 'about us\n' > "$SITE/about.html"
printf 'body { color: red }\n' > "$SITE/css/style.css"
head -c 700000 /dev/urandom > "$SITE/img/big.bin"  # three chunks
printf 'first post\n' > "$SITE/blog/2026/first.html"
printf 'mapped\n' > "$SITE/blog/mapped.txt"
printf 'x\n' > "$SITE/.well-known/security.txt"
mkdir -p "$SITE/downloads" && head -c 400000 /dev/urandom > "$SITE/downloads/old.bin"  # truncated to 0 below
ln -s index.html "$SITE/home.html"
"$IPFSFS" add -r --hidden --cid-version 1 --car "$WORK/site.car" "$SITE" >"$WORK/added" || exit 1
ORIG=$(tail -1 "$WORK/added" | cut -d' ' -f2)
added() { grep " site/$1\$" "$WORK/added" | cut -d' ' -f2; }
if [ -n "$PEERS" ] && [ -d "$PEERS/node_modules/ipfs-unixfs-importer" ] && command -v node >/dev/null; then
  JS=$(node "$PEERS/js_add.mjs" v1-raw "$SITE" --hidden | tail -1 | cut -f1)
  [ "$JS" = "$ORIG" ] && echo "ok: the site is the js reference's DAG" || fail "js reference root $JS, added $ORIG"
fi
CSS=$(added css)
IMG=$(added img)
BIG=$(added img/big.bin)
BLOG2026=$(added blog/2026)
# A DAG one of whose directory blocks the gateway never sends: a stage of it hangs mid-way.
mkdir -p "$WORK/stalled/sub"
echo a > "$WORK/stalled/a.txt"
echo b > "$WORK/stalled/sub/b.txt"
# Children this large on average: the listing asks for no whole-DAG CAR (which
# would bring sub/ inside it), so sub/ is asked for alone, and stalls.
head -c 3000000 /dev/urandom > "$WORK/stalled/large.bin"
"$IPFSFS" add -r --car "$WORK/stalled.car" "$WORK/stalled" >"$WORK/added-stalled" || exit 1
STALLED=$(tail -1 "$WORK/added-stalled" | cut -d' ' -f2)
STALLED_SUB=$(grep " stalled/sub\$" "$WORK/added-stalled" | cut -d' ' -f2)

"$GATEWAY" --car "$WORK/site.car" --car "$WORK/stalled.car" --fault "stall:$STALLED_SUB" >"$WORK/gw.url" 2>"$WORK/gw.log" &
GW_PID=$!
for _ in $(seq 100); do [ -s "$WORK/gw.url" ] && break; sleep 0.05; done
GW=$(head -1 "$WORK/gw.url")
[ -n "$GW" ] || { echo "FAIL: the test gateway did not start: $(cat "$WORK/gw.log")"; exit 1; }
mount_it || exit 1

# Usage and errors.
expect "stage a bad CID" 2 "$IPFSFS" stage notacid "$MNT/staging/x"
expect "stage outside staging/" 1 "$IPFSFS" stage "$ORIG" "$WORK/x"
expect "stage under a missing parent" 1 "$IPFSFS" stage "$ORIG" "$MNT/staging/no/x"

expect "stage" 0 "$IPFSFS" stage "/ipfs/$ORIG" "$MNT/staging/site"
echo "$OUT" | grep -q "^staged $ORIG at .*: 8 files, 8 directories, 1 symlinks; " || fail "stage printed '$OUT'"
# Only directory blocks and files' root blocks came: not big.bin's 700,000 bytes.
FETCHED=$("$IPFSFS" status --json "$MNT" | json_field fetched_bytes)
[ -n "$FETCHED" ] && [ "$FETCHED" -lt 100000 ] || fail "stage fetched $FETCHED bytes"
expect "stage over an existing name" 1 "$IPFSFS" stage "$ORIG" "$MNT/staging/site"
echo "$ERR" | grep -q "File exists" || fail "stage over an existing name: '$ERR'"
(cd "$MNT/staging" && expect "stage a sub path, relative" 0 "$IPFSFS" stage "/ipfs/$ORIG/css" css-copy)
[ "$(cid_of "$MNT/staging/css-copy")" = "$CSS" ] || fail "css-copy shows $(cid_of "$MNT/staging/css-copy"), want $CSS"
rm -r "$MNT/staging/css-copy"
ls "$STAGING.stage" 2>/dev/null | grep -q . && fail "stage left temporary entries: $(ls -a "$STAGING.stage")"

# No bytes copied: placeholders are sparse files of the exact size.
[ "$(stat -c %s "$STAGING/site/img/big.bin")" = 700000 ] || fail "placeholder size $(stat -c %s "$STAGING/site/img/big.bin")"
# (The mark may take one xattr block of the backing filesystem.)
B0=$(stat -c %b "$STAGING/site/img/big.bin")
[ $((B0 * 512)) -lt 65536 ] || fail "the placeholder holds $B0 blocks"
[ "$(stat -c %s "$MNT/staging/site/img/big.bin")" = 700000 ] || fail "staging/ shows size $(stat -c %s "$MNT/staging/site/img/big.bin")"
ls -lR "$MNT/staging/site" >"$WORK/ls" 2>&1 || fail "ls -lR: $(cat "$WORK/ls")"
[ "$(readlink "$MNT/staging/site/home.html")" = index.html ] || fail "the symlink reads '$(readlink "$MNT/staging/site/home.html")'"

reads_right() {
  diff -r -x old.bin "$SITE" "$MNT/staging/site" >"$WORK/diff" 2>&1 && echo "ok: $1: diff -r" || fail "$1: $(head -5 "$WORK/diff")"
  [ "$(sha256sum <"$MNT/staging/site/img/big.bin")" = "$(sha256sum <"$SITE/img/big.bin")" ] || fail "$1: sha256sum"
  cp "$MNT/staging/site/img/big.bin" "$WORK/copy.bin" && cmp -s "$WORK/copy.bin" "$SITE/img/big.bin" || fail "$1: cp"
  python3 - "$MNT/staging/site/img/big.bin" "$SITE/img/big.bin" <<'PY' || fail "$1: mmap"
import mmap, sys
with open(sys.argv[1], 'rb') as f, open(sys.argv[2], 'rb') as g:
    m = mmap.mmap(f.fileno(), 0, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ)
    sys.exit(0 if m[:] == g.read() else 1)
PY
  [ "$(stat -c %b "$STAGING/site/img/big.bin")" = "$B0" ] || fail "$1: reading materialized the placeholder"
}
reads_right "reads"
[ "$(cid_of "$MNT/staging/site/img/big.bin")" = "$BIG" ] || fail "user.ipfs.cid of big.bin: '$(cid_of "$MNT/staging/site/img/big.bin")', want $BIG"
[ "$(cid_of "$MNT/staging/site")" = "$ORIG" ] || fail "user.ipfs.cid of site: '$(cid_of "$MNT/staging/site")', want $ORIG"
getfattr -d -m - "$MNT/staging/site/img/big.bin" 2>/dev/null | grep -q ipfsfs.staged && fail "the private mark shows through"
setfattr -n user.ipfsfs.staged -v x "$MNT/staging/site/about.html" 2>/dev/null && fail "the private mark can be set"

# A kill -9 of the mount between stage and sync: placeholders stay right.
PID=$("$IPFSFS" status --json "$MNT" | sed 's/.*"pid":\([0-9]*\).*/\1/')
kill -9 "$PID"
for _ in $(seq 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.05; done
umount -l "$MNT" 2>/dev/null
mount_it || exit 1
reads_right "after a kill -9"

# Copy-on-write edits, mirrored on the local copy for the expected bytes.
EDITED=$WORK/edited/site
mkdir -p "$WORK/edited" && cp -a "$SITE" "$WORK/edited/"
# A truncate to 0 (the shell's O_TRUNC) fetches nothing.
BEFORE=$("$IPFSFS" status --json "$MNT" | json_field fetched_bytes)
: > "$MNT/staging/site/downloads/old.bin"
: > "$EDITED/downloads/old.bin"
AFTER=$("$IPFSFS" status --json "$MNT" | json_field fetched_bytes)
[ "$AFTER" = "$BEFORE" ] || fail "truncating a placeholder to 0 fetched $((AFTER - BEFORE)) bytes"
[ "$(stat -c %s "$MNT/staging/site/downloads/old.bin")" = 0 ] || fail "truncate to 0"
# big.bin's 700,000 bytes and a few small blocks were fetched by the reads; old.bin's 400,000 never.
[ "$AFTER" -lt 1000000 ] || fail "old.bin was fetched before it was truncated ($AFTER bytes fetched)"
sed -i 's/Hello/Bye/' "$MNT/staging/site/index.html" "$EDITED/index.html"
echo "more" >> "$MNT/staging/site/about.html"
echo "more" >> "$EDITED/about.html"
[ "$(stat -c %b "$STAGING/site/img/big.bin")" = "$B0" ] || fail "an edit elsewhere materialized big.bin"
python3 - "$MNT/staging/site/blog/mapped.txt" <<'PY' || fail "a shared writable mmap"
import mmap, sys
with open(sys.argv[1], 'r+b') as f:
    m = mmap.mmap(f.fileno(), 0)
    m[0:1] = b'M'
    m.flush()
PY
sed -i 's/^m/M/' "$EDITED/blog/mapped.txt"
diff -r "$EDITED" "$MNT/staging/site" >"$WORK/diff" 2>&1 && echo "ok: edits read back" || fail "edits: $(head -5 "$WORK/diff")"

sleep 1.2  # past the racy-clean window: the re-sync below reads nothing
expect "sync" 0 "$IPFSFS" sync --json "$MNT"
# Read: the 4 edited files and the symlink (never a placeholder); the 4 others are placeholders.
[ "$(echo "$OUT" | json_field files_read)" = 5 ] || fail "the sync read other files than the edited ones: $OUT"
[ "$(echo "$OUT" | json_field placeholders)" = 4 ] || fail "the sync did not keep the 4 placeholders: $OUT"
ROOT=$(echo "$OUT" | json_field root | tr -d '"')
SITE_NEW=$(cid_of "$MNT/ipfs/$ROOT/site")
[ -n "$SITE_NEW" ] && [ "$SITE_NEW" != "$ORIG" ] || fail "the edited site kept its CID or has none: '$SITE_NEW'"
for sub in css img blog/2026; do
  want=$(added "$sub")
  got=$(cid_of "$MNT/ipfs/$ROOT/site/$sub")
  [ "$got" = "$want" ] && echo "ok: $sub keeps $want" || fail "$sub: $got, want the original $want"
done
for f in index.html about.html blog/mapped.txt; do
  want=$("$IPFSFS" add -Q --only-hash "$EDITED/$f")
  got=$(cid_of "$MNT/ipfs/$ROOT/site/$f")
  [ "$got" = "$want" ] && echo "ok: $f is $want" || fail "$f: $got, want ipfsfs add's $want"
done
diff -r "$EDITED" "$MNT/ipfs/$ROOT/site" >"$WORK/diff" 2>&1 && echo "ok: ipfs/<root> reads back" ||
  fail "ipfs/$ROOT/site: $(head -5 "$WORK/diff")"
expect "sync again" 0 "$IPFSFS" sync --json "$MNT"
[ "$(echo "$OUT" | json_field files_read)" = 0 ] || fail "an unchanged re-sync read files: $OUT"
[ "$(echo "$OUT" | json_field changed)" = false ] || fail "an unchanged re-sync changed the root: $OUT"

# A placeholder truncated to 0 needs no fetch; renamed, it stays one.
mv "$MNT/staging/site/img/big.bin" "$MNT/staging/site/big-moved.bin"
chmod 600 "$MNT/staging/site/big-moved.bin" || fail "chmod of a placeholder"
ln "$MNT/staging/site/big-moved.bin" "$MNT/staging/site/big-link.bin" || fail "ln of a placeholder"
[ "$(stat -c %b "$STAGING/site/big-moved.bin")" = "$B0" ] || fail "rename, chmod or ln materialized the placeholder"
[ "$(cid_of "$MNT/staging/site/big-link.bin")" = "$BIG" ] || fail "the hard link shows '$(cid_of "$MNT/staging/site/big-link.bin")'"
cmp -s "$MNT/staging/site/big-moved.bin" "$SITE/img/big.bin" || fail "the renamed placeholder reads wrong"
: > "$MNT/staging/site/.well-known/security.txt"
[ "$(stat -c %s "$MNT/staging/site/.well-known/security.txt")" = 0 ] || fail "truncate to 0"

# staging/ itself acts on the backing directory (ipfs/ stays read-only).
chmod 750 "$MNT/staging" && [ "$(stat -c %a "$STAGING")" = 750 ] || fail "chmod 750 staging/: $(stat -c %a "$STAGING")"
chmod 700 "$MNT/staging" && [ "$(stat -c %a "$MNT/staging")" = 700 ] || fail "chmod 700 staging/"
touch -d @1000000000 "$MNT/staging" && [ "$(stat -c %Y "$STAGING")" = 1000000000 ] || fail "touch staging/"
touch "$MNT/staging" || fail "touch staging/ (now)"
setfattr -n user.note -v hi "$MNT/staging" && [ "$(getfattr --only-values -n user.note "$STAGING" 2>/dev/null)" = hi ] ||
  fail "setxattr on staging/"
setfattr -x user.note "$MNT/staging" || fail "removexattr on staging/"
chmod 700 "$MNT/ipfs" 2>"$WORK/err" && fail "chmod ipfs/ succeeded"
grep -q "Read-only file system" "$WORK/err" || fail "chmod ipfs/: $(cat "$WORK/err")"

# kill -9 of the mount while a stage is half built: nothing under PATH, the
# leftovers removed at the next mount.
"$IPFSFS" stage "$STALLED" "$MNT/staging/half" >"$WORK/half.out" 2>&1 &
STAGE_PID=$!
for _ in $(seq 200); do [ -n "$(ls -A "$STAGING.stage" 2>/dev/null)" ] && break; sleep 0.05; done
[ -n "$(ls -A "$STAGING.stage" 2>/dev/null)" ] || fail "the stalled stage never started: $(cat "$WORK/half.out")"
PID=$("$IPFSFS" status --json "$MNT" | sed 's/.*"pid":\([0-9]*\).*/\1/')
kill -9 "$PID"
wait "$STAGE_PID" && fail "stage succeeded though its mount was killed"
umount -l "$MNT" 2>/dev/null
[ -e "$STAGING/half" ] && fail "a killed stage left staging/half"
mount_it || exit 1
[ -z "$(ls -A "$STAGING.stage" 2>/dev/null)" ] || fail "the killed stage's leftovers stay: $(ls -A "$STAGING.stage")"
[ -e "$MNT/staging/half" ] && fail "staging/half exists after the remount"
cmp -s "$MNT/staging/site/big-moved.bin" "$SITE/img/big.bin" || fail "the placeholder reads wrong after the second kill"

# Offline: once the directory blocks are cached (a stage through a clean
# unmount), staging needs no source.
expect "stage again" 0 "$IPFSFS" stage "$ORIG" "$MNT/staging/online"
expect "umount" 0 "$IPFSFS" umount "$MNT"
mount_it --offline || exit 1
expect "stage offline" 0 "$IPFSFS" stage "$ORIG" "$MNT/staging/offline"
cmp -s "$MNT/staging/offline/img/big.bin" "$SITE/img/big.bin" || fail "offline: big.bin reads wrong"

finish "$WORK/mount.log"
