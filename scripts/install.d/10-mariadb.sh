#!/usr/bin/env bash
# The tests need a MariaDB server at 127.0.0.1:3306 (root, empty password), as on Toolforge's ToolsDB.
set -euo pipefail
if mariadb-admin -h 127.0.0.1 -u root ping >/dev/null 2>&1; then exit 0; fi
if ! command -v mariadbd >/dev/null && [ ! -x /usr/sbin/mariadbd ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends mariadb-server mariadb-client >/dev/null
fi
mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld 2>/dev/null || true
start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql --bind-address=127.0.0.1 || true
for _ in $(seq 1 30); do
    mariadb-admin -h 127.0.0.1 -u root ping >/dev/null 2>&1 && exit 0
    sleep 1
done
echo "MariaDB did not start at 127.0.0.1:3306; the database tests need it." >&2
exit 1
