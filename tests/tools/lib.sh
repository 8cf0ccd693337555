# Shared by the mount tests in tests/tools: sourced after IPFSFS is set.
#
#   source "$(dirname "$0")/lib.sh"
#   need_fuse                      # exits 77 (skipped) without root and /dev/fuse
#   make_work NAME                 # WORK (removed at exit), MNT, per-test XDG dirs
#   on_exit 'kill $PID'            # more cleanup, run before the unmount
#   fail / expect / check / have   # record failures; expect keeps $OUT and $ERR
#   finish [LOG]                   # exit 1 with the tail of LOG when anything failed
FAILS=0
EXIT_HOOKS=()

need_fuse() {
  if [ "$(id -u)" != 0 ] || [ ! -c /dev/fuse ]; then
    echo "skipped: needs root and /dev/fuse"
    exit 77
  fi
}

on_exit() { EXIT_HOOKS+=("$1"); }

lib_cleanup() {
  local hook
  for hook in "${EXIT_HOOKS[@]}"; do eval "$hook" 2>/dev/null; done
  cd /
  "$IPFSFS" umount "$MNT" >/dev/null 2>&1 || umount -l "$MNT" >/dev/null 2>&1
  rm -rf "$WORK"
}

# A fresh work dir; the test's sockets, logs and config stay in it.
make_work() {
  WORK=$(mktemp -d "/tmp/ipfsfs-$1-XXXXXX")
  MNT=$WORK/mnt
  mkdir -p "$MNT"
  trap lib_cleanup EXIT
  export XDG_STATE_HOME=$WORK/state XDG_CONFIG_HOME=$WORK/config XDG_DATA_HOME=$WORK/data
}

fail() {
  echo "FAIL: $*"
  FAILS=$((FAILS + 1))
}

# expect NAME WANT_EXIT CMD...: runs CMD, keeps stdout in $OUT and stderr in $ERR.
expect() {
  local name=$1 want=$2
  shift 2
  "$@" >"$WORK/out" 2>"$WORK/err"
  local rc=$?
  OUT=$(cat "$WORK/out")
  ERR=$(cat "$WORK/err")
  if [ "$rc" != "$want" ]; then
    fail "$name: exit $rc, want $want; stdout: $OUT; stderr: $ERR"
    return 1
  fi
  echo "ok: $name"
}

# check NAME WANT GOT
check() { if [ "$2" = "$3" ]; then echo "ok: $1"; else fail "$1: want [$2] got [$3]"; fi; }

# have TOOL: false (with a note) when TOOL is not installed; its step is not run.
have() {
  command -v "$1" >/dev/null 2>&1 && return 0
  echo "note: $1 not installed, its step is not run"
  return 1
}

finish() {
  if [ "$FAILS" -gt 0 ]; then
    echo "$FAILS failure(s)"
    if [ -n "${1:-}" ] && [ -f "$1" ]; then
      echo "--- $1"
      tail -20 "$1"
    fi
    exit 1
  fi
  echo "all passed"
  exit 0
}
