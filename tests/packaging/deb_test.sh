#!/usr/bin/env bash
# The Debian package as a user meets it: cpack builds the .deb, `apt install
# ./ipfsfs_*.deb` puts it into a fresh debootstrapped bookworm (minbase), the
# bundled welcome.car mounts offline there (ipfsfs mount, and mount(8) through
# the fstab helper) and reads back the bytes of examples/welcome/, and purge
# removes the package but leaves the user's cache.
# Usage: deb_test.sh BUILD_DIR SOURCE_DIR. Skips (77) without root, /dev/fuse,
# debootstrap, dpkg-shlibdeps or unshare. Runs in its own mount namespace, so
# no mount it makes outlives it.
set -euo pipefail
BUILD=$(realpath "$1") SRC=$(realpath "$2")
skip() { echo "SKIP: $*"; exit 77; }
if [ -z "${IPFSFS_DEB_TEST_NS:-}" ]; then
  [ "$(id -u)" = 0 ] || skip "needs root (chroot, mounts)"
  [ -c /dev/fuse ] || skip "no /dev/fuse"
  for t in cpack dpkg-shlibdeps unshare chroot debootstrap; do command -v $t >/dev/null || skip "$t not installed"; done
  IPFSFS_DEB_TEST_NS=1 exec unshare --mount --propagation private bash "$0" "$@"
fi

start=$SECONDS
work=$(mktemp -d /var/tmp/ipfsfs-deb-test.XXXXXX)
root=$work/root
cleanup() {
  # Unmount deepest first (FUSE mounts end their daemons), then remove the copy.
  grep -o " $root[^ ]*" /proc/self/mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
step() { echo "[$((SECONDS - start))s] $*"; }
fail() { echo "FAIL: $*"; exit 1; }

step "cpack -G DEB"
(cd "$BUILD" && cpack -G DEB -B "$work/pkg" >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log"; fail "cpack"; }
deb=$(ls "$work"/pkg/ipfsfs_*_amd64.deb)
dpkg-deb -f "$deb" Depends | grep -q 'fuse3' || fail "the package does not depend on fuse3"
if command -v lintian >/dev/null; then
  # Errors and warnings fail; info tags (hardening flags of a plain cmake build) do not.
  lint=$(lintian "$deb" 2>/dev/null | grep -E '^[EW]: ' || true)
  [ -z "$lint" ] || fail "lintian: $lint"
  echo "ok   lintian: no errors or warnings"
fi

step "bookworm minbase root (cached under /var/cache/ipfsfs-test)"
pristine=$(bash "$SRC/tests/packaging/bookworm_root.sh") || exit $?
cp -a "$pristine" "$root"
cp /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc"
mknod -m 666 "$root/dev/fuse" c 10 229
# Downloaded packages are kept between runs.
mount --bind /var/cache/ipfsfs-test/apt-archives "$root/var/cache/apt/archives"
in_root() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"; }

step "apt install ./$(basename "$deb")"
cp "$deb" "$root/tmp/"
in_root apt-get update -qq >"$work/apt.log" 2>&1 || { cat "$work/apt.log"; fail "apt-get update"; }
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "/tmp/$(basename "$deb")" \
  >>"$work/apt.log" 2>&1 || { cat "$work/apt.log"; fail "apt install"; }
grep -q "ipfsfs: systemd is not running here" "$work/apt.log" || fail "no message about the inactive units"
echo "ok   without systemd, the install says how to mount instead"
for f in /usr/bin/ipfsfs /usr/sbin/mount.ipfsfs /usr/sbin/mount.fuse.ipfsfs /usr/share/man/man1/ipfsfs.1.gz \
         /usr/share/bash-completion/completions/ipfsfs /usr/lib/systemd/system/ipfsfs.service \
         /usr/lib/systemd/system/ipfsfs-gc.timer /usr/lib/systemd/user/ipfsfs.service \
         /usr/share/doc/ipfsfs/examples/welcome.car /usr/share/doc/ipfsfs/copyright; do
  [ -e "$root$f" ] || fail "$f is not installed"
done
in_root ipfsfs --version | head -1 | grep -qx "ipfsfs [0-9.]*" || fail "ipfsfs --version"

cid=bafybeicp6ccnh375zgcapsirxrnolkpkoueh4vt7hfqwrt7xsvkqepshey
check_read() {  # check_read MOUNTPOINT: the mounted example has the source's bytes
  cmp "$root$1/ipfs/$cid/hello.txt" "$SRC/examples/welcome/hello.txt" || fail "hello.txt through $1 differs"
  cmp "$root$1/ipfs/$cid/README.md" "$SRC/examples/welcome/README.md" || fail "README.md through $1 differs"
  echo "ok   read the bundled example through $1"
}
step "the bundled CAR, offline: ipfsfs mount"
in_root ipfsfs cache import --cache-dir /var/cache/ipfsfs /usr/share/doc/ipfsfs/examples/welcome.car >/dev/null
mkdir -p "$root/mnt/ipfs" "$root/mnt/fstab"
in_root ipfsfs mount --offline --cache-dir /var/cache/ipfsfs /mnt/ipfs
check_read /mnt/ipfs
in_root ipfsfs umount /mnt/ipfs
grep -q " $root/mnt/ipfs " /proc/self/mounts && fail "still mounted after ipfsfs umount"

step "the same through mount(8) and the fstab helper"
in_root mount -t fuse.ipfsfs ipfsfs /mnt/fstab -o offline,cache_dir=/var/cache/ipfsfs
check_read /mnt/fstab
in_root ipfsfs umount /mnt/fstab

step "apt purge"
in_root env DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq ipfsfs >>"$work/apt.log" 2>&1 ||
  { cat "$work/apt.log"; fail "apt purge"; }
left=$(in_root dpkg-query -W -f='${db:Status-Status}' ipfsfs 2>/dev/null || true)
[ -z "$left" ] || [ "$left" = not-installed ] || fail "dpkg still knows ipfsfs: $left"
for f in /usr/bin/ipfsfs /usr/sbin/mount.fuse.ipfsfs /usr/share/doc/ipfsfs /usr/lib/systemd/system/ipfsfs.service; do
  [ ! -e "$root$f" ] || fail "$f is left after purge"
done
[ -d "$root/var/cache/ipfsfs" ] || fail "purge removed the user's cache"
step "ok: deb built, installed, mounted offline, read, purged"
