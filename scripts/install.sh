#!/usr/bin/env bash
# Installs the build dependencies, builds ipfsfs in release mode and installs
# `ipfsfs` (and `mount.ipfsfs`) under PREFIX (default /usr/local). Uses sudo
# for the installing steps when not run as root.
set -euo pipefail
cd "$(dirname "$0")/.."
PREFIX=${PREFIX:-/usr/local}
bash scripts/deps.sh --no-test-peers
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DIPFSFS_TESTS=OFF -DIPFSFS_BENCH=OFF \
  -DCMAKE_INSTALL_PREFIX="$PREFIX" >/dev/null
cmake --build build-release -j"$(nproc)"
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO cmake --install build-release >/dev/null
# mount(8) looks for fstab helpers in /sbin only: point it at ours.
if [ "$PREFIX" != /usr ]; then
  for name in mount.ipfsfs mount.fuse.ipfsfs; do $SUDO ln -sf "$PREFIX/sbin/mount.ipfsfs" "/sbin/$name"; done
fi
echo "installed: $(command -v ipfsfs || echo "$PREFIX/bin/ipfsfs") ($("$PREFIX/bin/ipfsfs" --version))"
