"""Refresh kudos/languageinfo.json: every language MediaWiki knows, with its BCP 47 code, direction,
autonym and fallbacks, as the Action API's `meta=languageinfo` gives them.

    python scripts/languageinfo.py [API_URL]      # default: Meta-Wiki

toolforge_i18n asks Meta-Wiki for this on first use; Kudos hands it this stored copy instead (see
kudos/i18n.py), so no page waits on Meta-Wiki and the tests run without a network.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import requests

TARGET = Path(__file__).resolve().parent.parent / "kudos" / "languageinfo.json"
META = "https://meta.wikimedia.org/w/api.php"
USER_AGENT = "Kudos (https://kudos.toolforge.org; scripts/languageinfo.py)"


def fetch(api_url: str) -> dict[str, Any]:
    params: dict[str, str] = {"action": "query", "meta": "languageinfo", "liprop": "autonym|bcp47|dir|fallbacks",
                              "format": "json", "formatversion": "2"}
    found: dict[str, Any] = {}
    with requests.Session() as http:
        http.headers["User-Agent"] = USER_AGENT
        while True:
            response = http.get(api_url, params=params, timeout=60)
            response.raise_for_status()
            data = response.json()
            found.update(data["query"]["languageinfo"])
            if "continue" not in data:
                return found
            params.update(data["continue"])


def write(info: dict[str, Any], target: Path = TARGET) -> None:
    # One language a line: a refresh shows up in a diff as the languages that changed.
    lines = [f"{json.dumps(code)}: {json.dumps(info[code], ensure_ascii=False, sort_keys=True)}"
             for code in sorted(info)]
    target.write_text("{\n" + ",\n".join(lines) + "\n}\n", encoding="utf-8")


if __name__ == "__main__":
    languages = fetch(sys.argv[1] if len(sys.argv) > 1 else META)
    write(languages)
    print(f"{len(languages)} languages written to {TARGET}")
