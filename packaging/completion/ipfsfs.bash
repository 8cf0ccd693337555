# bash completion for ipfsfs. It reads the commands and flags from the
# binary's own --help, so it never goes stale when a flag is added.
_ipfsfs_help_words() {
  # $1: the command words so far (e.g. "cache pin"); prints subcommands and flags.
  # shellcheck disable=SC2086
  ipfsfs $1 --help 2>/dev/null | awk '
    /^[A-Za-z ]*[Ss]ubcommands:/ { sub_ = 1; next }
    /^[A-Za-z].*:$/ { sub_ = 0 }
    sub_ && /^  [a-z]/ { print $1 }
    { for (i = 1; i <= NF; i++) if ($i ~ /^--?[A-Za-z]/) { w = $i; sub(/[,=].*/, "", w); print w } }'
}
_ipfsfs() {
  local cur=${COMP_WORDS[COMP_CWORD]} path="" i w
  for ((i = 1; i < COMP_CWORD; i++)); do
    w=${COMP_WORDS[i]}
    [[ $w == -* ]] && continue
    # Only known subcommands extend the path; other words are arguments.
    if _ipfsfs_help_words "$path" | grep -qx -- "$w"; then path="$path $w"; fi
  done
  if [[ $cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$(_ipfsfs_help_words "$path" | grep -- '^-')" -- "$cur")
  else
    local subs
    subs=$(_ipfsfs_help_words "$path" | grep -v -- '^-')
    if [ -n "$subs" ]; then
      mapfile -t COMPREPLY < <(compgen -W "$subs" -- "$cur")
    else
      mapfile -t COMPREPLY < <(compgen -f -- "$cur")
    fi
  fi
}
complete -o filenames -F _ipfsfs ipfsfs
