#!/usr/bin/env bash
# Synapse (the Matrix reference homeserver) for the Matrix delivery tests, in its own virtualenv because
# its dependency tree (Twisted, pinned crypto libraries) must not touch the project's.
set -euo pipefail
exec scripts/lib/tool-venv.sh synapse matrix-synapse==1.163.2
