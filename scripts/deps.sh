#!/usr/bin/env bash
# Installs everything ipfsfs needs to build, test and run, from Debian packages
# (and npm for the test-only reference peers). Idempotent; run as root on a
# fresh Debian bookworm. Usage: scripts/deps.sh [--no-test-peers]
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake pkg-config git ca-certificates curl
  libfuse3-dev fuse3 libcurl4-openssl-dev nlohmann-json3-dev librocksdb-dev libssl-dev
  libexpected-dev libcli11-dev libspdlog-dev libfmt-dev catch2 libc-ares-dev dnsmasq-base
  clang libclang-rt-14-dev attr time openssl bc fio rsync sqlite3 make
  debootstrap lintian podman runc nginx
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "deps: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ "${1:-}" != "--no-test-peers" ]; then
  # Node runs the js reference implementations the tests compare against.
  # Install Debian's only when no node is present: a machine may carry its own.
  if ! command -v node >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nodejs npm
  fi
  if [ -f tests/peers/package.json ]; then
    if [ -f tests/peers/package-lock.json ]; then
      npm ci --prefix tests/peers --no-audit --no-fund --loglevel=error
    else
      npm install --prefix tests/peers --no-audit --no-fund --loglevel=error
    fi
  fi
  # The publish targets' peers (js-ipfs as a kubo RPC node, a mock pinning
  # service) in their own package dir: js-ipfs brings ~1200 packages.
  if [ -f tests/peers/publish/package-lock.json ]; then
    npm ci --prefix tests/peers/publish --no-audit --no-fund --loglevel=error
  fi
fi
