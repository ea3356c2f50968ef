#!/usr/bin/env bash
# Refresh the vendored Codex CSS under static/vendor/codex/ from npm, at pinned versions.
# The result is committed, so `make run` needs neither npm nor any other host.
# Usage: scripts/vendor-codex.sh            (run from anywhere; needs node/npm and python3)
set -euo pipefail

CODEX_VERSION=2.7.0
TOKENS_VERSION=2.7.0

root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/static/vendor/codex"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$work"
# npm pack checks each tarball against the registry's integrity hash; we keep that hash in VERSION.
npm pack --silent --json "@wikimedia/codex@$CODEX_VERSION" "@wikimedia/codex-design-tokens@$TOKENS_VERSION" > pack.json
mkdir codex tokens
tar xzf "wikimedia-codex-$CODEX_VERSION.tgz" -C codex
tar xzf "wikimedia-codex-design-tokens-$TOKENS_VERSION.tgz" -C tokens

rm -rf "$dest"
mkdir -p "$dest/icons"
# The "bidi" build carries both directions behind [dir] selectors: one file serves ltr and rtl pages.
cp codex/package/dist/codex.style-bidi.css "$dest/codex.style.css"
cp tokens/package/dist/theme-wikimedia-ui.css "$dest/codex-design-tokens.css"
cp codex/package/LICENSE "$dest/LICENSE"

# Codex inlines its icons as data: URIs, which our Content-Security-Policy (img-src 'self') blocks.
# Move each one into its own file next to the stylesheet and point the CSS at it.
python3 - "$dest" <<'PY'
import hashlib
import re
import sys
import urllib.parse
from pathlib import Path

dest = Path(sys.argv[1])
css_path = dest / "codex.style.css"
css = css_path.read_text(encoding="utf-8")
pattern = re.compile(r"""url\((['"]?)data:image/svg\+xml(;utf8|;charset=utf-8)?,(.*?)\1\)""")

def extract(match: re.Match[str]) -> str:
    svg = urllib.parse.unquote(match.group(3))
    name = "icons/" + hashlib.sha256(svg.encode()).hexdigest()[:16] + ".svg"
    (dest / name).write_text(svg, encoding="utf-8")
    return f"url({name})"

css, count = pattern.subn(extract, css)
if "data:" in css:
    sys.exit("codex.style.css still holds a data: URI that this script does not understand")
css_path.write_text(css, encoding="utf-8")
print(f"moved {count} inline icons into {len(list((dest / 'icons').iterdir()))} files")
PY

{
  echo "Vendored by scripts/vendor-codex.sh; do not edit by hand."
  echo "@wikimedia/codex $CODEX_VERSION  (dist/codex.style-bidi.css -> codex.style.css, icons/ extracted from it)"
  echo "@wikimedia/codex-design-tokens $TOKENS_VERSION  (dist/theme-wikimedia-ui.css -> codex-design-tokens.css)"
  echo "License: GPL-2.0-or-later (LICENSE)"
  python3 -c 'import json, sys
for p in json.load(open(sys.argv[1])):
    print("integrity", p["name"] + ":", p["integrity"])' pack.json
} > "$dest/VERSION"
echo "Codex $CODEX_VERSION vendored into ${dest#"$root"/}"
