#!/bin/sh
# Runs js-ipfs 0.66.1 as an offline kubo-RPC node on loopback, for the publish
# tests: jsipfs_daemon.sh REPO_DIR. Makes a fresh repo there (random ports),
# then execs the daemon; REPO_DIR/api appears once it listens. API_PORT (env)
# fixes the RPC port (a restarted node at the same address); default random.
set -e
here=$(cd "$(dirname "$0")" && pwd)
repo=$1
export IPFS_PATH="$repo"
jsipfs() { node --require "$here/with_resolvers.cjs" "$here/node_modules/ipfs/src/cli.js" "$@"; }
[ -f "$repo/config" ] || jsipfs init --empty-repo >/dev/null
node -e '
const fs = require("fs"); const p = process.argv[1] + "/config"; const c = JSON.parse(fs.readFileSync(p));
c.Addresses.API = "/ip4/127.0.0.1/tcp/" + (process.env.API_PORT || "0"); c.Addresses.Gateway = "/ip4/127.0.0.1/tcp/0";
c.Addresses.RPC = "/ip4/127.0.0.1/tcp/0"; c.Addresses.Swarm = []; c.Addresses.Delegates = []; c.Bootstrap = [];
fs.writeFileSync(p, JSON.stringify(c, null, 2))' "$repo"
exec node --require "$here/with_resolvers.cjs" "$here/node_modules/ipfs/src/cli.js" daemon --offline
