#!/usr/bin/env bash
# Ordinary tools on staging/ of a real `ipfsfs mount`: fio --verify (random
# writes, 2 jobs), git clone + git fsck, tar x and a make build, sqlite3 with
# two concurrent writers + PRAGMA integrity_check, rsync -a in and back out
# with diff -r.
#
#   staging_tools_test.sh IPFSFS
#
# Real FUSE: needs root and /dev/fuse, else exits 77 (skipped); a missing
# tool skips its own step with a note (scripts/deps.sh installs them all).
set -u

IPFSFS=$(realpath "$1")
source "$(dirname "$0")/lib.sh"
need_fuse
make_work staging-tools
S=$MNT/staging

mkdir -p "$MNT"
if ! out=$("$IPFSFS" mount --offline --cache-dir "$WORK/cache" --staging-dir "$WORK/backing" \
  --log-file "$WORK/log" "$MNT" 2>&1); then
  echo "FAIL: mount: $out"
  exit 1
fi
[ -d "$S" ] || fail "no staging/ in the mount"

if have fio; then
  mkdir -p "$S/fio"
  if ! fio --name=verify --directory="$S/fio" --rw=randwrite --bs=4k --size=4m --numjobs=2 \
    --ioengine=psync --verify=crc32c --verify_fatal=1 --do_verify=1 --verify_state_save=0 --group_reporting \
    --output="$WORK/fio.out" >/dev/null 2>&1; then
    fail "fio --verify: $(tail -5 "$WORK/fio.out")"
  fi
  grep -q "err= 0" "$WORK/fio.out" || fail "fio reported errors: $(grep err= "$WORK/fio.out")"
fi

if have git; then
  REPO=$WORK/repo
  git init -q "$REPO"
  for i in $(seq 1 20); do
    printf 'line %s\n' $(seq 1 "$i") >"$REPO/file$i.txt"
    git -C "$REPO" add "file$i.txt"
    git -C "$REPO" -c user.name=t -c user.email=t@e -c commit.gpgsign=false commit -q -m "commit $i"
  done
  git -C "$REPO" gc -q
  git clone -q "$REPO" "$S/clone" 2>"$WORK/git.err" || fail "git clone: $(cat "$WORK/git.err")"
  git -C "$S/clone" fsck --full --strict >"$WORK/fsck.out" 2>&1 || fail "git fsck: $(cat "$WORK/fsck.out")"
  [ "$(git -C "$S/clone" rev-parse HEAD)" = "$(git -C "$REPO" rev-parse HEAD)" ] || fail "git clone: another HEAD"
  [ "$(git -C "$S/clone" status --porcelain)" = "" ] || fail "git status not clean after clone"
fi

if have make && have cc; then
  SRC=$WORK/src/proj
  mkdir -p "$SRC"
  for i in 1 2 3; do
    printf 'int f%s(void) { return %s; }\n' "$i" "$i" >"$SRC/f$i.c"
  done
  printf 'int f1(void); int f2(void); int f3(void);\nint main(void) { return f1() + f2() + f3() == 6 ? 0 : 1; }\n' >"$SRC/main.c"
  printf 'prog: main.o f1.o f2.o f3.o\n\t$(CC) -o $@ $^\n%%.o: %%.c\n\t$(CC) -c -o $@ $<\n' >"$SRC/Makefile"
  tar -C "$WORK/src" -cf "$WORK/proj.tar" proj
  mkdir -p "$S/build"
  tar -C "$S/build" -xf "$WORK/proj.tar" || fail "tar x"
  diff -r "$SRC" "$S/build/proj" >/dev/null || fail "tar x: the tree differs"
  make -s -j2 -C "$S/build/proj" >"$WORK/make.out" 2>&1 || fail "make: $(cat "$WORK/make.out")"
  "$S/build/proj/prog" || fail "the built program failed"
  # Nothing to do the second time: make trusts staging/'s mtimes.
  [ "$(make -C "$S/build/proj" 2>&1 | grep -c 'is up to date')" = 1 ] || fail "make rebuilt an up-to-date tree"
fi

if have sqlite3; then
  DB=$S/db.sqlite
  sqlite3 "$DB" "PRAGMA journal_mode=DELETE; CREATE TABLE t(w INTEGER, i INTEGER);" >/dev/null
  writer() {
    for i in $(seq 1 50); do
      echo "INSERT INTO t VALUES($1, $i);"
    done | sed '1i .timeout 30000' | sqlite3 "$DB" >"$WORK/sqlite$1.out" 2>&1
  }
  writer 1 &
  P1=$!
  writer 2 &
  P2=$!
  wait $P1 || fail "sqlite writer 1: $(cat "$WORK/sqlite1.out")"
  wait $P2 || fail "sqlite writer 2: $(cat "$WORK/sqlite2.out")"
  [ "$(sqlite3 "$DB" 'PRAGMA integrity_check;')" = ok ] || fail "sqlite integrity_check"
  [ "$(sqlite3 "$DB" 'SELECT COUNT(*), SUM(i) FROM t;')" = "100|2550" ] || fail "sqlite rows: $(sqlite3 "$DB" 'SELECT COUNT(*), SUM(i) FROM t;')"
fi

if have rsync; then
  IN=$WORK/tree
  mkdir -p "$IN/a/b" "$IN/c"
  head -c 300000 /dev/urandom >"$IN/a/b/random.bin"
  echo small >"$IN/c/small.txt"
  : >"$IN/empty"
  ln -s a/b/random.bin "$IN/link"
  chmod 0600 "$IN/c/small.txt"
  touch -d '2001-02-03 04:05:06' "$IN/c/small.txt"
  # Times older than a second: rsync leaves a directory's or link's time
  # alone when it is within the second it was made (as on any filesystem).
  find "$IN" ! -name small.txt -exec touch -h -d '2002-03-04 05:06:07.123456789' {} +
  rsync -a "$IN/" "$S/rsynced/" 2>"$WORK/rsync.err" || fail "rsync in: $(cat "$WORK/rsync.err")"
  rsync -a "$S/rsynced/" "$WORK/back/" 2>"$WORK/rsync.err" || fail "rsync out: $(cat "$WORK/rsync.err")"
  diff -r "$IN" "$WORK/back" >/dev/null || fail "rsync round trip: the trees differ"
  [ "$(cd "$IN" && find . -printf '%p %m %s %T@ %y\n' | sort)" = \
    "$(cd "$WORK/back" && find . -printf '%p %m %s %T@ %y\n' | sort)" ] || fail "rsync round trip: modes or times differ"
  # A second rsync finds nothing to send (times and sizes as written).
  [ -z "$(rsync -a --itemize-changes "$IN/" "$S/rsynced/")" ] || fail "rsync: a second run changed things"
fi

finish "$WORK/log"
