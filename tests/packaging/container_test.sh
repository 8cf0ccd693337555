#!/usr/bin/env bash
# The container recipes (README "Containers") with podman: the image from
# packaging/container/Containerfile over a debootstrapped bookworm imported as
# debian:bookworm-slim (no registry here), then
#   1. the mount inside a container (--device /dev/fuse --cap-add SYS_ADMIN,
#      nothing broader) reading bytes from a loopback gateway on the host, and
#      a clean unmount on `podman stop` (SIGTERM to ipfsfs as PID 1);
#   2. a mount shared across containers: the ipfsfs container mounts into an
#      rshared bind volume, a container started before it sees the mount
#      through rslave, reads the bytes, and sees the unmount.
# Usage: container_test.sh BUILD_DIR SOURCE_DIR IPFSFS TEST_GATEWAY.
# Skips (77) without root, /dev/fuse, podman, runc, debootstrap or unshare.
# Its own mount namespace and podman storage: nothing outlives it.
set -euo pipefail
BUILD=$(realpath "$1") SRC=$(realpath "$2") IPFSFS=$(realpath "$3") GATEWAY=$(realpath "$4")
skip() { echo "SKIP: $*"; exit 77; }
if [ -z "${IPFSFS_CONTAINER_TEST_NS:-}" ]; then
  [ "$(id -u)" = 0 ] || skip "needs root"
  [ -c /dev/fuse ] || skip "no /dev/fuse"
  for t in cpack dpkg-shlibdeps unshare podman runc debootstrap; do command -v $t >/dev/null || skip "$t not installed"; done
  IPFSFS_CONTAINER_TEST_NS=1 exec unshare --mount --propagation private bash "$0" "$@"
fi

start=$SECONDS
work=$(mktemp -d /var/tmp/ipfsfs-container-test.XXXXXX)
gw_pid=""
pm() { podman "$@"; }
cleanup() {
  set +e
  pm rm -f -t 0 ipfsfs-r1 ipfsfs-r2 ipfsfs-r2-reader >/dev/null 2>&1
  pm rmi -f ipfsfs:test debian:bookworm-slim >/dev/null 2>&1
  [ -n "$gw_pid" ] && kill "$gw_pid" 2>/dev/null && wait "$gw_pid" 2>/dev/null
  grep -o " $work[^ ]*" /proc/self/mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
step() { echo "[$((SECONDS - start))s] $*"; }
fail() { echo "FAIL: $*"; for c in ipfsfs-r1 ipfsfs-r2; do pm logs "$c" 2>/dev/null | tail -5 | sed "s/^/  $c: /"; done; exit 1; }

# Podman here: runc (crun refuses the hybrid cgroup setup), explicit ulimits
# (root lacks CAP_SYS_RESOURCE), no systemd, storage of our own.
hard_nofile=$(ulimit -Hn); [ "$hard_nofile" = unlimited ] && hard_nofile=1048576
cat >"$work/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=$hard_nofile:$hard_nofile", "nproc=32768:32768"]
netns = "host"
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$work/events.log"
CONF
cat >"$work/storage.conf" <<CONF
[storage]
driver = "overlay"
graphroot = "$work/storage"
runroot = "$work/run"
CONF
export CONTAINERS_CONF=$work/containers.conf CONTAINERS_STORAGE_CONF=$work/storage.conf

step "cpack -G DEB"
(cd "$BUILD" && cpack -G DEB -B "$work/pkg" >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log"; fail "cpack"; }

step "base image: debootstrapped bookworm imported as debian:bookworm-slim"
pristine=$(bash "$SRC/tests/packaging/bookworm_root.sh") || exit $?
tar -C "$pristine" --exclude=./.complete -c . | pm import -q - debian:bookworm-slim >/dev/null

step "podman build packaging/container/Containerfile"
mkdir -p "$work/ctx"
cp "$SRC/packaging/container/Containerfile" "$work"/pkg/ipfsfs_*_amd64.deb "$work/ctx/"
pm build -q --network host -t ipfsfs:test "$work/ctx" >"$work/build.log" 2>&1 || { cat "$work/build.log"; fail "podman build"; }

step "a loopback gateway on the host"
head -c 700000 /dev/urandom >"$work/data.bin"
cid=$("$IPFSFS" add -Q --car "$work/data.car" "$work/data.bin")
"$GATEWAY" --car "$work/data.car" >"$work/gw.url" 2>"$work/gw.log" &
gw_pid=$!
for _ in $(seq 200); do [ -s "$work/gw.url" ] && break; sleep 0.05; done
gw=$(head -1 "$work/gw.url")
[ -n "$gw" ] || fail "the test gateway did not start: $(cat "$work/gw.log")"

wait_mounted() {  # wait_mounted CONTAINER PATH: until PATH is a fuse mount in CONTAINER (generous: no timing asserted)
  for _ in $(seq 600); do
    pm exec "$1" grep -q " $2 fuse" /proc/self/mounts 2>/dev/null && return 0
    [ "$(pm inspect -f '{{.State.Running}}' "$1" 2>/dev/null)" = true ] || fail "$1 exited"
    sleep 0.1
  done
  fail "$2 never mounted in $1"
}
stop_cleanly() {  # stop_cleanly CONTAINER: SIGTERM, and ipfsfs exits 0
  pm stop -t 60 "$1" >/dev/null
  code=$(pm inspect -f '{{.State.ExitCode}}' "$1")
  [ "$code" = 0 ] || fail "$1 exited $code on SIGTERM"
}

step "recipe 1: the mount inside a container"
pm run -d --name ipfsfs-r1 --network host --device /dev/fuse --cap-add SYS_ADMIN -e IPFS_GATEWAY="$gw" \
  ipfsfs:test >/dev/null
wait_mounted ipfsfs-r1 /ipfs
pm exec ipfsfs-r1 cat "/ipfs/ipfs/$cid" >"$work/r1.bin"
cmp "$work/r1.bin" "$work/data.bin" || fail "recipe 1: bytes differ"
echo "ok   recipe 1: $(stat -c %s "$work/r1.bin") bytes from the host's gateway, read in the container"
stop_cleanly ipfsfs-r1
echo "ok   recipe 1: SIGTERM unmounted and ipfsfs exited 0"

step "recipe 2: a mount shared with another container (rshared -> rslave)"
shared=$work/shared
mkdir -p "$shared/mnt"
# / is a private mount here: the volume's source must be shared itself.
mount --bind "$shared" "$shared" && mount --make-shared "$shared"
pm run -d --name ipfsfs-r2-reader --network none -v "$shared:/shared:rslave" debian:bookworm-slim sleep 600 >/dev/null
pm run -d --name ipfsfs-r2 --network host --device /dev/fuse --cap-add SYS_ADMIN -e IPFS_GATEWAY="$gw" \
  -v "$shared:/shared:rshared" ipfsfs:test --allow-other /shared/mnt >/dev/null
wait_mounted ipfsfs-r2 /shared/mnt
# The reader started before the mount existed: propagation brings it in.
wait_mounted ipfsfs-r2-reader /shared/mnt
pm exec ipfsfs-r2-reader cat "/shared/mnt/ipfs/$cid" >"$work/r2.bin"
cmp "$work/r2.bin" "$work/data.bin" || fail "recipe 2: bytes differ in the reader"
cmp "$shared/mnt/ipfs/$cid" "$work/data.bin" || fail "recipe 2: bytes differ on the host"
echo "ok   recipe 2: the reader container and the host read the bytes through the shared mount"
stop_cleanly ipfsfs-r2
pm exec ipfsfs-r2-reader grep -q " /shared/mnt fuse" /proc/self/mounts && fail "recipe 2: the reader still sees the mount"
grep -q " $shared/mnt fuse" /proc/self/mounts && fail "recipe 2: the host still has the mount"
echo "ok   recipe 2: the unmount reached the reader and the host"
step "ok: both recipes"
