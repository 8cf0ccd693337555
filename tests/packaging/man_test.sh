#!/usr/bin/env bash
# Every flag in each command's --help appears in the man page, under that
# command's section: a flag added without regenerating the page fails here.
# Regenerate: packaging/man/make_man.sh build/tools/ipfsfs > packaging/man/ipfsfs.1
# Usage: man_test.sh IPFSFS MAN_PAGE
set -u
IPFSFS=$1 MAN=$2
fail=0 checked=0
page=$(sed 's/\\-/-/g; s/\\e/\\/g' "$MAN")
subcommands() { awk '/^Subcommands:/ { s = 1; next } /^[^ ]/ { s = 0 } s && /^  [a-z]/ { print $1 }'; }
flags() { grep -oE '(^|[ ,])--?[A-Za-z][A-Za-z0-9-]*' | sed 's/^[ ,]//' | sort -u; }
check() {  # check "cache pin"
  local cmd=$1 help body flag sub
  # shellcheck disable=SC2086
  help=$("$IPFSFS" $cmd --help) || { echo "FAIL ipfsfs $cmd --help exits non-zero"; fail=1; return; }
  # The man section of this command: from its .SS line to the next one.
  body=$(printf '%s\n' "$page" | awk -v h=".SS \"ipfsfs${cmd:+ $cmd}\"" '$0 == h { s = 1; next } /^\.SS / { s = 0 } s')
  [ -z "$cmd" ] && body=$page
  if [ -z "$body" ]; then echo "FAIL no man section for 'ipfsfs $cmd'"; fail=1; fi
  for flag in $(printf '%s\n' "$help" | flags); do
    checked=$((checked + 1))
    grep -qE -- "(^|[ ,])$flag([ ,={]|$)" <<<"$body" || { echo "FAIL 'ipfsfs $cmd': $flag is not in the man page"; fail=1; }
  done
  for sub in $(printf '%s\n' "$help" | subcommands); do check "${cmd:+$cmd }$sub"; done
}
check ""
echo "checked $checked flags"
[ "$checked" -gt 50 ] || { echo "FAIL too few flags found: the help format changed?"; fail=1; }
[ $fail = 0 ] && echo "ok   man page lists every flag of every command"
exit $fail
