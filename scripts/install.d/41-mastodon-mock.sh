#!/usr/bin/env bash
# mastodon-mock, a small Mastodon API server (no real Mastodon can be installed offline). Its own
# virtualenv keeps its FastAPI stack away from the project's dependencies.
set -euo pipefail
VERSION=0.6.1
VENV=.cache/mastodon-mock-venv
if [ -f "$VENV/.installed-$VERSION" ]; then exit 0; fi
# Debian's python3.11 comes without ensurepip unless python3.11-venv is installed.
if ! python3.11 -c "import ensurepip" >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends python3.11-venv >/dev/null
fi
mkdir -p .cache
rm -rf "$VENV"
python3.11 -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check "mastodon-mock==$VERSION"
touch "$VENV/.installed-$VERSION"
