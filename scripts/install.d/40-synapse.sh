#!/usr/bin/env bash
# Synapse (the Matrix reference homeserver) for the Matrix delivery tests. It lives in its own
# virtualenv because its dependency tree (Twisted, pinned crypto libraries) must not touch the project's.
set -euo pipefail
VERSION=1.163.2
VENV=.cache/synapse-venv
if [ -f "$VENV/.installed-$VERSION" ]; then exit 0; fi
# Debian's python3.11 comes without ensurepip unless python3.11-venv is installed.
if ! python3.11 -c "import ensurepip" >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends python3.11-venv >/dev/null
fi
mkdir -p .cache
rm -rf "$VENV"
python3.11 -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check "matrix-synapse==$VERSION"
touch "$VENV/.installed-$VERSION"
