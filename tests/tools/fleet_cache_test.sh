#!/usr/bin/env bash
# The fleet recipe (packaging/nginx/ipfsfs-site-cache.conf) with nginx from
# Debian in front of a test gateway: a first mount reads a tree through nginx;
# a second mount with its own, empty cache reads the same tree and every one of
# its requests is answered by nginx from its cache: the gateway sees none
# (nginx's log names the upstream of every request it passed on).
#
#   fleet_cache_test.sh IPFSFS TEST_GATEWAY
#
# Needs root, /dev/fuse and nginx (scripts/deps.sh installs it), else exits 77.
set -u
IPFSFS=$(realpath "$1")
GATEWAY=$(realpath "$2")
RECIPE=$(cd "$(dirname "$0")/../../packaging/nginx" && pwd)/ipfsfs-site-cache.conf
source "$(dirname "$0")/lib.sh"
need_fuse
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || { echo "skipped: no nginx (apt-get install nginx)"; exit 77; }
make_work fleet-cache
unset IPFS_GATEWAY
export IPFS_PATH=$WORK/no-ipfs
GW_PID= NGX_PID=
on_exit '[ -n "$NGX_PID" ] && kill "$NGX_PID"'
on_exit '[ -n "$GW_PID" ] && kill "$GW_PID"'

# A tree with a multi-block file, small files and a subdirectory.
mkdir -p "$WORK/tree/sub"
head -c 3000000 /dev/urandom > "$WORK/tree/big.bin"
for i in 1 2 3 4 5; do echo "file $i" > "$WORK/tree/sub/f$i.txt"; done
echo hello > "$WORK/tree/hello.txt"
ROOT=$("$IPFSFS" add -r -Q --car "$WORK/tree.car" "$WORK/tree") || exit 1
(cd "$WORK/tree" && find . -type f | sort | xargs sha256sum) > "$WORK/want.sha"

"$GATEWAY" --car "$WORK/tree.car" >"$WORK/gw.url" 2>"$WORK/gw.log" &
GW_PID=$!
for _ in $(seq 100); do [ -s "$WORK/gw.url" ] && break; sleep 0.05; done
GW=$(head -1 "$WORK/gw.url")
[ -n "$GW" ] || { echo "FAIL: the test gateway did not start: $(cat "$WORK/gw.log")"; exit 1; }

# nginx runs the recipe as it is, with the gateway, port and cache dir of this test.
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$WORK/nginx/logs" "$WORK/nginx/cache"
sed -e "s|/var/cache/nginx/ipfs|$WORK/nginx/cache|" -e "s|server 127.0.0.1:8080;|server ${GW#http://};|" \
    -e "s|listen 8081;|listen 127.0.0.1:$PORT;|" "$RECIPE" > "$WORK/nginx/site.conf"
cat > "$WORK/nginx/nginx.conf" <<CONF
daemon off;
user root;
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/logs/error.log;
events { worker_connections 256; }
http {
    client_body_temp_path $WORK/nginx/body;
    proxy_temp_path $WORK/nginx/proxy;
    fastcgi_temp_path $WORK/nginx/fastcgi;
    uwsgi_temp_path $WORK/nginx/uwsgi;
    scgi_temp_path $WORK/nginx/scgi;
    log_format fleet '\$upstream_cache_status \$upstream_addr \$status \$request_uri';
    access_log $WORK/nginx/logs/access.log fleet;
    include $WORK/nginx/site.conf;
}
CONF
"$NGINX" -t -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" >"$WORK/nginx/t.log" 2>&1 ||
  { echo "FAIL: nginx -t: $(cat "$WORK/nginx/t.log")"; exit 1; }
"$NGINX" -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" 2>>"$WORK/nginx/logs/error.log" &
NGX_PID=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$PORT/" && break; sleep 0.05; done

# Lines of nginx's log: all requests, and those it passed on to the gateway.
seen() { grep -c '/ipfs/' "$WORK/nginx/logs/access.log"; }
upstream() { awk '$2 != "-" && $4 ~ /^\/ipfs\//' "$WORK/nginx/logs/access.log" | wc -l; }

read_tree() {  # read_tree NAME CACHE_DIR
  expect "$1: mount through nginx" 0 "$IPFSFS" mount --gateway "http://127.0.0.1:$PORT" --cache-dir "$2" \
    --log-file "$WORK/mount.log" "$MNT" || return 1
  (cd "$MNT/ipfs/$ROOT" && find . -type f | sort | xargs sha256sum) > "$WORK/got.sha" 2>"$WORK/read.err"
  check "$1: every byte" "$(cat "$WORK/want.sha")" "$(cat "$WORK/got.sha")"
  ls -lR "$MNT/ipfs/$ROOT" >/dev/null 2>>"$WORK/read.err" || fail "$1: ls -lR: $(cat "$WORK/read.err")"
  expect "$1: umount" 0 "$IPFSFS" umount "$MNT"
}

read_tree "first machine" "$WORK/cache-a"
first_seen=$(seen) first_upstream=$(upstream)
[ "$first_upstream" -gt 0 ] && echo "ok: the first machine's $first_upstream request(s) went to the gateway" ||
  fail "the first machine's requests never reached the gateway: $(cat "$WORK/nginx/logs/access.log")"

read_tree "second machine" "$WORK/cache-b"
[ "$(seen)" -gt "$first_seen" ] && echo "ok: the second machine asked nginx ($(( $(seen) - first_seen )) requests)" ||
  fail "the second machine made no request at all (did it read from the first one's cache?)"
check "requests of the second machine that reached the gateway" 0 $(( $(upstream) - first_upstream ))
grep -q ' immutable' <(curl -s -D - -o /dev/null "http://127.0.0.1:$PORT/ipfs/$ROOT?format=raw") ||
  fail "nginx does not pass the gateway's Cache-Control on"
[ "$FAILS" -gt 0 ] && { echo "--- nginx access log"; tail -30 "$WORK/nginx/logs/access.log"; }
finish "$WORK/mount.log"
