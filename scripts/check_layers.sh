#!/usr/bin/env bash
# Fails when an #include goes against DESIGN.md's arrows: a folder includes only
# lower layers (base < ipld < net < blockcache < resolver, writeback < publish < fs < tools),
# ipld/ and base/ do no I/O, fs/ knows no HTTP.
set -euo pipefail
cd "$(dirname "$0")/.."
rank() { case $1 in base) echo 0;; ipld) echo 1;; net) echo 2;; blockcache) echo 3;; resolver|writeback) echo 4;; publish) echo 5;; fs) echo 6;; tools) echo 7;; *) echo -1;; esac; }
bad=0
for dir in base ipld net blockcache resolver writeback publish fs; do
  [ -d "$dir" ] || continue
  while IFS=: read -r file _ inc; do
    tgt=$(printf '%s' "$inc" | sed -n 's/.*#include *"\([a-z_]*\)\/.*/\1/p')
    [ -n "$tgt" ] || continue
    if [ "$(rank "$tgt")" -gt "$(rank "$dir")" ]; then echo "layering: $file includes $tgt/ (a higher layer)"; bad=1; fi
    if [ "$(rank "$tgt")" = "$(rank "$dir")" ] && [ "$tgt" != "$dir" ]; then echo "layering: $file includes $tgt/ (a sibling layer)"; bad=1; fi
  done < <(grep -rn '#include' "$dir" || true)
done
# A folder's internal/ headers are its own: no other folder (tests and bench
# excepted, which test and measure them) includes them.
while IFS=: read -r file _ inc; do
  own=${file%%/*}
  tgt=$(printf '%s' "$inc" | sed -n 's/.*#include *"\([a-z_]*\)\/internal\/.*/\1/p')
  if [ -n "$tgt" ] && [ "$tgt" != "$own" ]; then echo "layering: $file includes $tgt/internal/ (another folder's internals)"; bad=1; fi
done < <(grep -rn '#include *"[a-z_]*/internal/' base ipld net blockcache resolver writeback publish fs tools 2>/dev/null || true)
for f in $(grep -rlE '#include *<(curl/|rocksdb/|fuse|sys/socket|fstream|unistd.h)' ipld base 2>/dev/null || true); do
  echo "layering: $f does I/O: ipld/ and base/ know none"; bad=1
done
for f in $(grep -rlE '#include *<curl/' fs 2>/dev/null || true); do echo "layering: $f uses libcurl: fs/ knows no HTTP"; bad=1; done
[ $bad -eq 0 ] && echo "layering: ok"
exit $bad
