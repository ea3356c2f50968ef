#!/usr/bin/env bash
# Installs and starts what the test suite needs beyond Python packages: each piece lives in
# scripts/install.d/ and is idempotent, so `make test` works on a fresh Debian machine and is
# quick on a machine that already has everything.
set -euo pipefail
cd "$(dirname "$0")/.."
for step in scripts/install.d/*.sh; do
    bash "$step"
done
