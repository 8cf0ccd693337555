#!/usr/bin/env bash
# `ipfsfs add` with the walk's filters (--ignore, --ignore-rules-path,
# --empty-dirs=false, --dereference-args, --dereference-symlinks): each gives
# the CID a plain `add -r` gives for a copy of the tree with the filter done by
# hand (rm, cp -L), and that copy's CID is the js reference importer's too
# (tests/peers/js_add.mjs, when node_modules is installed). kubo matches the
# rules against an entry's base name (boxo files.Filter), so "dir/" rules and
# paths below the argument never match. Usage: add_filters_test.sh IPFSFS PEERS_DIR
set -u
IPFSFS=$1 PEERS=$2
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
fail=0
cid() { "$IPFSFS" add -Q -n "$@" 2>"$WORK/err" || echo "ERROR($(cat "$WORK/err"))"; }
js=0
if command -v node >/dev/null && [ -d "$PEERS/node_modules/ipfs-unixfs-importer" ]; then js=1; else echo "note: no js peers, CIDs compared with ipfsfs's plain add only"; fi
same() {  # same NAME EXPECTED_TREE GOT_CID: GOT_CID is the plain CID of EXPECTED_TREE, and the js importer's
  local want
  want=$(cid -r "$2")
  if [ "$3" != "$want" ]; then echo "FAIL $1: got $3, the filtered copy gives $want"; fail=1; return; fi
  if [ $js = 1 ]; then
    local jsroot
    jsroot=$(node "$PEERS/js_add.mjs" v0 "$2" | tail -1 | cut -f1)
    [ "$jsroot" = "$want" ] || { echo "FAIL $1: js importer gives $jsroot, ipfsfs $want"; fail=1; return; }
  fi
  echo "ok   $1 ($3)"
}

T=$WORK/tree
mkdir -p "$T/sub/deeper" "$T/empty" "$T/onlyempty/inner"
echo a >"$T/a.txt"; echo b >"$T/b.log"; echo k >"$T/keep.log"; echo h >"$T/.hidden"
echo c >"$T/sub/c.txt"; echo d >"$T/sub/d.log"; echo e >"$T/sub/deeper/e.tmp"
ln -s a.txt "$T/link"; ln -s sub "$T/dirlink"
copy() { rm -rf "$WORK/$1"; cp -a "$T" "$WORK/$1"; echo "$WORK/$1"; }

E=$(copy ignore); rm "$E/b.log" "$E/sub/d.log"
same "ignore *.log then !keep.log" "$E" "$(cid -r --ignore '*.log' --ignore '!keep.log' "$T")"

printf '# comment\n*.tmp\n\ndeeper/\n' >"$WORK/rules"
E=$(copy rules-done); rm "$E/sub/deeper/e.tmp" "$E/a.txt"
same "ignore-rules-path then --ignore (deeper/ matches no base name)" "$E" \
  "$(cid -r --ignore-rules-path "$WORK/rules" --ignore a.txt "$T")"

E=$(copy sub-path); rm "$E/sub/c.txt"
got=$(cid -r --ignore 'c.txt' "$T")
same "ignore by base name at any depth" "$E" "$got"
[ "$(cid -r --ignore 'sub/c.txt' "$T")" = "$(cid -r "$T")" ] && echo "ok   a rule with a path below the argument matches nothing" ||
  { echo "FAIL sub/c.txt matched: kubo matches base names only"; fail=1; }
[ "$(cid -r --ignore 'tree' "$T")" = "$(cid -r "$T")" ] && echo "ok   the argument itself is never filtered" ||
  { echo "FAIL the argument was filtered"; fail=1; }

E=$(copy empty); rm -r "$E/empty" "$E/onlyempty"
same "empty-dirs=false (a directory holding only empty ones goes too)" "$E" "$(cid -r --empty-dirs=false "$T")"
mkdir -p "$WORK/bare"
[ "$(cid -r --empty-dirs=false "$WORK/bare")" = QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn ] &&
  echo "ok   empty-dirs=false keeps an empty argument" || { echo "FAIL empty argument dropped"; fail=1; }

E=$WORK/deref; rm -rf "$E"; cp -rL "$T" "$E"
same "dereference-symlinks" "$E" "$(cid -r --dereference-symlinks "$T")"

# --dereference-args: a symlink argument is its target; symlinks below stay links.
[ "$(cid --dereference-args "$T/link")" = "$(cid "$T/a.txt")" ] && echo "ok   dereference-args: file link" ||
  { echo "FAIL dereference-args file"; fail=1; }
[ "$(cid -r --dereference-args "$T/dirlink")" = "$(cid -r "$T/sub")" ] && echo "ok   dereference-args: directory link" ||
  { echo "FAIL dereference-args dir"; fail=1; }
[ "$(cid "$T/link")" != "$(cid "$T/a.txt")" ] && echo "ok   without it the link is stored as a link" ||
  { echo "FAIL link without dereference"; fail=1; }
mkdir -p "$WORK/inner/d"; echo x >"$WORK/inner/d/x"; ln -s d/x "$WORK/inner/l"; ln -s inner "$WORK/outer"
[ "$(cid -r --dereference-args "$WORK/outer")" = "$(cid -r "$WORK/inner")" ] && echo "ok   dereference-args keeps links below" ||
  { echo "FAIL dereference-args followed a link below the argument"; fail=1; }

# kubo-add.md §7 vector: symlinks stored as such by default.
mkdir -p "$WORK/vec"; printf 'content\n' >"$WORK/vec/foo"; ln -s foo "$WORK/vec/bar"
[ "$(cid -r "$WORK/vec")" = QmWvY6FaqFMS89YAQ9NAPjVP4WZKA1qbHbicc9HeSKQTgt ] && echo "ok   kubo's symlink vector" ||
  { echo "FAIL kubo symlink vector"; fail=1; }

# A followed loop is an error, not a hang; a dangling link followed is an error.
mkdir -p "$WORK/loop"; ln -s .. "$WORK/loop/up"
out=$(cid -r --dereference-symlinks "$WORK/loop")
case "$out" in ERROR*"symlink loop"*) echo "ok   symlink loop refused";; *) echo "FAIL loop: $out"; fail=1;; esac
mkdir -p "$WORK/dangling"; ln -s nowhere "$WORK/dangling/x"
case "$(cid -r --dereference-symlinks "$WORK/dangling")" in ERROR*) echo "ok   dangling link refused when followed";; *) echo "FAIL dangling"; fail=1;; esac
"$IPFSFS" add -n -r --ignore-rules-path "$WORK/missing" "$T" >/dev/null 2>&1; rc=$?
[ $rc = 2 ] && echo "ok   missing rules file: usage error" || { echo "FAIL missing rules file rc=$rc"; fail=1; }
exit $fail
