#!/usr/bin/env bash
# Browser end-to-end tests drive Debian's Chromium through Playwright (Playwright's own browser
# download cannot work offline, so the tests point it at /usr/bin/chromium).
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium fonts-noto-core >/dev/null
