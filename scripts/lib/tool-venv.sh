#!/usr/bin/env bash
# tool-venv.sh NAME PACKAGE==VERSION: a test server with a heavy or conflicting dependency tree (Synapse's
# Twisted, mastodon-mock's FastAPI) gets a virtualenv of its own in the test cache (scripts/lib/test-cache.sh),
# installed once per version.
set -euo pipefail
source "$(dirname "$0")/test-cache.sh"
NAME=$1
REQUIREMENT=$2
VENV=$KUDOS_TEST_CACHE/$NAME-venv
if [ -f "$VENV/.installed-${REQUIREMENT##*==}" ]; then exit 0; fi
# Debian's python3.11 comes without ensurepip unless python3.11-venv is installed.
if ! python3.11 -c "import ensurepip" >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends python3.11-venv >/dev/null
fi
rm -rf "$VENV"
python3.11 -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check "$REQUIREMENT"
touch "$VENV/.installed-${REQUIREMENT##*==}"
