#!/usr/bin/env bash
# Prints the path of a pristine debootstrapped bookworm (minbase), made once
# and kept under /var/cache/ipfsfs-test/ (debootstrap takes ~2.5 min; later
# runs copy it). The mirror is the one apt on this machine uses.
# Exit 77 when debootstrap is missing, 1 when it fails.
set -euo pipefail
command -v debootstrap >/dev/null || { echo "debootstrap not installed" >&2; exit 77; }
cache=/var/cache/ipfsfs-test
root=$cache/bookworm-minbase
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
if [ ! -f "$root/.complete" ]; then
  mirror=$(sed -n 's/^URIs: *\(http[^ ]*debian\)\/\?$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)
  [ -n "$mirror" ] || mirror=$(sed -n 's/^deb \(http[^ ]*debian\/\?\) bookworm .*/\1/p' /etc/apt/sources.list 2>/dev/null | head -1)
  [ -n "$mirror" ] || mirror=http://deb.debian.org/debian
  rm -rf "$root"
  debootstrap --variant=minbase bookworm "$root" "$mirror" >"$cache/debootstrap.log" 2>&1 ||
    { echo "debootstrap failed (log: $cache/debootstrap.log)" >&2; rm -rf "$root"; exit 1; }
  # apt keeps the packages it downloads, so later installs into copies need no network.
  mkdir -p "$cache/apt-archives/partial"
  touch "$root/.complete"
fi
echo "$root"
