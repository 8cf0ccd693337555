#!/usr/bin/env bash
# The command-line polish of issue 19: --version with build info, --json on
# add and cid, `mount --help` in groups. Usage: cli_test.sh IPFSFS SOURCE_DIR
set -u
IPFSFS=$1 SRC=$2
fail=0
check() {  # check NAME WANT GOT
  if [ "$2" = "$3" ]; then echo "ok   $1"; else echo "FAIL $1: got [$3] want [$2]"; fail=1; fi
}
version=$("$IPFSFS" --version)
check version-first-line 1 "$(head -1 <<<"$version" | grep -cxE 'ipfsfs [0-9]+\.[0-9]+\.[0-9]+')"
check version-libraries 1 "$(grep -c '^libraries: fuse3 3\.' <<<"$version")"
check version-build 1 "$(grep -c '^build: ' <<<"$version")"

# --json carries the CIDs and sizes of the plain output.
root=QmZ1nFz6VBBUgLyYTcLTQLrnT4bWJdHntnSz6R5RXv3AQC
check add-json-root "{\"Hash\":\"$root\",\"Name\":\"welcome\",\"Size\":\"109434\"}" \
  "$("$IPFSFS" add -n -r --json "$SRC/examples/welcome" | tail -1)"
check add-json-quieter "{\"Hash\":\"$root\",\"Name\":\"welcome\",\"Size\":\"109434\"}" \
  "$("$IPFSFS" add -n -r -Q --json "$SRC/examples/welcome")"
check add-json-lines-match-plain "$("$IPFSFS" add -n -r "$SRC/examples/welcome" | awk '{print $2}')" \
  "$("$IPFSFS" add -n -r --json "$SRC/examples/welcome" | sed 's/.*"Hash":"\([^"]*\)".*/\1/')"
check cid-format-json '{"cid":"QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn","formatted":"bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354"}' \
  "$("$IPFSFS" cid format --json -v 1 QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn)"
inspect=$("$IPFSFS" cid inspect --json QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn)
check cid-inspect-json-digest 1 "$(grep -c '"digest":"59948439065f29619ef41280cbb932be52c56d99c5966b65e0111239f098bbef"' <<<"$inspect")"
check cid-inspect-json-v1 1 "$(grep -c '"base32":"bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354"' <<<"$inspect")"

# rclone-style groups, in this order, each with its first flag under it.
help=$("$IPFSFS" mount --help)
check mount-help-groups "Mount: Files and attributes: Reading: Logging: Sources: Cache:" \
  "$(grep -E '^(Mount|Files and attributes|Reading|Logging|Sources|Cache):$' <<<"$help" | paste -sd' ')"
check mount-help-cache-group "  --cache-dir" "$(grep -A1 '^Cache:$' <<<"$help" | tail -1 | cut -c1-13)"

# Bash completion reads the commands and flags from --help.
complete_words() {  # complete_words WORD...: the completions of the last word
  PATH="$(dirname "$IPFSFS"):$PATH" bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _ipfsfs; echo "${COMPREPLY[*]}"' \
    _ "$SRC/packaging/completion/ipfsfs.bash" "$@"
}
check complete-command cache "$(complete_words ipfsfs cac)"
check complete-subcommand "pin prefetch" "$(complete_words ipfsfs cache p)"
check complete-nested "add" "$(complete_words ipfsfs cache pin ad)"
check complete-flag "--cache-dir --cache-size" "$(complete_words ipfsfs mount --cache-)"
check complete-flag-after-arg "--read-only --read-ahead" "$(complete_words ipfsfs mount /mnt --read-)"
exit $fail
