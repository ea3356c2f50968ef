#!/usr/bin/env bash
# The tests run a real MediaWiki (Debian's 1.39 LTS package) with SQLite, served by `php -S` on loopback.
set -euo pipefail
if [ -f /usr/share/mediawiki/maintenance/install.php ] && command -v php >/dev/null \
    && php -m | grep -qix pdo_sqlite; then
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
    mediawiki php-cli php-sqlite3 php-mbstring php-xml php-intl >/dev/null
