"""Benchmark: barnstars delivered to a local MediaWiki, against the floor of a bare action=edit loop.

    python bench/deliver.py

Starts a throwaway wiki (Debian's MediaWiki, `php -S`), then for batches of 50 and 500 barnstars
measures the delivery job (in-process, throttle off, everything from login on included) and a bare
`requests` loop of `action=edit&section=new` with one token (the floor), in the same run. API requests
are counted at the PHP server. Ends with `RESULT deliver requests_per_barnstar=… floor_ratio=…` for 50.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from kudos import migrate  # noqa: E402
from kudos.db import Database  # noqa: E402
from tests.servers.mediawiki import LocalWiki  # noqa: E402
from tests.wikibot_support import approve_many, job_settings, load, unique_name, write_config  # noqa: E402

RECIPIENTS = 50


def floor(wiki: LocalWiki, login: str, password: str, titles: list[str], text: str) -> tuple[float, int]:
    """A bare loop: log in, fetch one token, then one action=edit per barnstar. (seconds, requests)."""
    before = wiki.request_count()
    start = time.perf_counter()
    session = requests.Session()
    api = wiki.api_url
    token = session.get(api, params={"action": "query", "meta": "tokens", "type": "login", "format": "json"},
                        timeout=60).json()["query"]["tokens"]["logintoken"]
    result = session.post(api, data={"action": "login", "lgname": login, "lgpassword": password,
                                     "lgtoken": token, "format": "json"}, timeout=60).json()
    assert result["login"]["result"] == "Success", result
    csrf = session.get(api, params={"action": "query", "meta": "tokens", "format": "json"},
                       timeout=60).json()["query"]["tokens"]["csrftoken"]
    for index, title in enumerate(titles):
        reply = session.post(api, data={
            "action": "edit", "title": title, "section": "new", "sectiontitle": f"Floor {index}",
            "text": text, "summary": "floor", "bot": "1", "notminor": "1", "token": csrf, "format": "json",
        }, timeout=60).json()
        assert reply.get("edit", {}).get("result") == "Success", reply
    return time.perf_counter() - start, wiki.request_count() - before


def kudos_run(wiki: LocalWiki, folder: Path, login: str, password: str, recipients: list[str],
              count: int) -> tuple[float, int]:
    """Approve `count` nominations, then time one delivery pass. (seconds, requests)."""
    from wikibot.runner import Runner  # after prepare(): pywikibot reads its settings at import

    url = f"sqlite:///{folder / 'kudos.sqlite'}"
    config = load(write_config(folder, job_settings(url, wiki.api_url, login, password, folder, batch_size=50)))
    db = Database(url)
    ids = approve_many(db, config, [recipients[i % len(recipients)] for i in range(count)],
                       campaign_slug=unique_name("bench-").lower())
    before = wiki.request_count()
    start = time.perf_counter()
    counts = Runner(config, db).run_once()
    elapsed = time.perf_counter() - start
    assert counts["done"] == 2 * len(ids) and counts["failed"] == counts["retrying"] == 0, counts
    return elapsed, wiki.request_count() - before


def main() -> int:
    if not LocalWiki.available():
        print("MediaWiki and PHP are needed: run scripts/install.d/20-mediawiki.sh", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="kudos-bench-") as tmp:
        base = Path(tmp)
        wiki = LocalWiki.start(base / "wiki")
        try:
            bot = wiki.create_bot("KudosBot")
            recipients = [unique_name("Bench") for _ in range(RECIPIENTS)]
            for name in recipients:
                wiki.create_user(name)
            url = f"sqlite:///{base / 'kudos.sqlite'}"
            migrate.upgrade(url)
            from wikibot.pwbconfig import prepare

            prepare(load(write_config(base, job_settings(url, wiki.api_url, bot.login, bot.password, base))))
            sample = "x" * 1200  # about the size of a rendered barnstar
            results = {}
            for count in (50, 500):
                titles = [f"User talk:{recipients[i % len(recipients)]}" for i in range(count)]
                floor_s, floor_n = floor(wiki, bot.login, bot.password, titles, sample)
                kudos_s, kudos_n = kudos_run(wiki, base, bot.login, bot.password, recipients, count)
                ratio = (count / kudos_s) / (count / floor_s)
                results[count] = (kudos_n / count, ratio)
                print(f"batch={count} kudos: {kudos_n} requests ({kudos_n / count:.3f}/barnstar), "
                      f"{count / kudos_s:.1f} barnstars/s | floor: {floor_n} requests "
                      f"({floor_n / count:.3f}/barnstar), {count / floor_s:.1f} edits/s | floor_ratio={ratio:.2f}")
        finally:
            wiki.stop()
    per, ratio = results[50]
    print(f"RESULT deliver requests_per_barnstar={per:.3f} floor_ratio={ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
