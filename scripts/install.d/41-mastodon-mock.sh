#!/usr/bin/env bash
# mastodon-mock, a small Mastodon API server (no real Mastodon can be installed offline), in its own
# virtualenv so its FastAPI stack stays away from the project's dependencies.
set -euo pipefail
exec scripts/lib/tool-venv.sh mastodon-mock mastodon-mock==0.6.1
