"""Benchmark: barnstars delivered to a local MediaWiki, against the floor of a bare action=edit loop.

    python bench/deliver.py [--quick]

Starts a throwaway wiki (Debian's MediaWiki, `php -S`), then measures the delivery job (in-process,
throttle off) and a bare `requests` loop of `action=edit&section=new` with one token (the floor), in the
same run. API requests are counted at the PHP server. Three measurements:
- cold batch of 50: a new job process's first pass, everything from pywikibot's import and login on
  included, with a fresh PYWIKIBOT_DIR (no saved cookie, no API cache: production keeps both);
- running batch of 50: the same job process's next pass, as the continuous job on Toolforge delivers;
- cold batch of 500: a new job process, its start-up spread over ten batches.
Ends with `RESULT deliver requests_per_barnstar=… floor_ratio=… cold_floor_ratio=…`: requests per
barnstar of the cold batch of 50 (the most a batch of 50 costs), the throughput ratio of the running batch
of 50 (throughput is what the job sustains; start-up, about half a second of import and a login, is paid
once per process) and, beside it, the cold batch's ratio. `--quick` measures batches of 10 and 30 instead
of 50 and 500: the same steps in seconds, with figures too noisy to judge.

Fairness: a MediaWiki edit costs more on a longer page and when it creates the page, and the barnstar's
wikitext (a table, links, a signature) costs more to save than plain text. So every measurement posts to
its own fresh set of talk pages, the floor posts the same barnstar wikitext as the job, and the floor is
timed before and after each job measurement and averaged, as the machine's load drifts. For comparison
the plain-text floor of earlier versions is printed too (`plain_floor_ratio`).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from typing import Any  # noqa: E402

import requests  # noqa: E402
from sqlalchemy import update  # noqa: E402

from kudos import migrate  # noqa: E402
from kudos.db import Database  # noqa: E402
from kudos.models import Delivery, DeliveryStatus  # noqa: E402
from tests.servers.mediawiki import LocalWiki  # noqa: E402
from tests.wiki_people import create_accounts  # noqa: E402
from tests.wikibot_support import approve_many, job_settings, load, unique_name, write_config  # noqa: E402


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


def new_recipients(wiki: LocalWiki, count: int) -> list[str]:
    names = [unique_name("Bench") for _ in range(count)]
    create_accounts(wiki, names)
    return names


class KudosJob:
    """One job set-up (database, configuration); `run` times one delivery pass of `count` barnstars."""

    def __init__(self, wiki: LocalWiki, folder: Path, login: str, password: str, batch_size: int) -> None:
        self.wiki = wiki
        url = f"sqlite:///{folder / 'kudos.sqlite'}"
        self.config = load(write_config(folder, job_settings(url, wiki.api_url, login, password, folder,
                                                             batch_size=batch_size)))
        self.db = Database(url)
        self.runner: Any = None

    def run(self, recipients: list[str], count: int, same_process: bool = False) -> tuple[float, int]:
        from wikibot.runner import Runner  # after prepare(): pywikibot reads its settings at import

        ids = approve_many(self.db, self.config, [recipients[i % len(recipients)] for i in range(count)],
                           campaign_slug=unique_name("bench-").lower())
        before = self.wiki.request_count()
        start = time.perf_counter()
        if not same_process or self.runner is None:
            self.runner = Runner(self.config, self.db)
        earlier = dict(self.runner.counts)  # a Runner's counts add up over its passes
        total = self.runner.run_once()
        elapsed = time.perf_counter() - start
        counts = {key: total.get(key, 0) - earlier.get(key, 0) for key in ("done", "failed", "retrying")}
        assert counts["done"] == 2 * len(ids) and counts["failed"] == counts["retrying"] == 0, counts
        return elapsed, self.wiki.request_count() - before

    def sample_text(self) -> str:
        """A barnstar as the job renders it, for the floor to post; its delivery is set aside (skipped)."""
        from kudos import barnstar
        from tests.wikibot_support import deliveries

        (delivery_id,) = approve_many(self.db, self.config, [new_recipients(self.wiki, 1)[0]],
                                      campaign_slug=unique_name("sample-").lower())
        text = barnstar.render(self.config, deliveries(self.db, [delivery_id])[delivery_id]).text
        with self.db.transaction() as session:
            session.execute(update(Delivery).values(status=DeliveryStatus.skipped))
        return text


def measure(wiki: LocalWiki, bot: Any, job: KudosJob, count: int, text: str,
            pages: int) -> tuple[float, float, int, int]:
    """(job seconds, floor seconds, job requests, floor requests) on fresh pages of equal size."""
    mine, before, after = (new_recipients(wiki, pages) for _ in range(3))
    titles = [[f"User talk:{names[i % pages]}" for i in range(count)] for names in (before, after)]
    floor_1, floor_n = floor(wiki, bot.login, bot.password, titles[0], text)
    kudos_s, kudos_n = job.run(mine, count)
    floor_2, _ = floor(wiki, bot.login, bot.password, titles[1], text)
    return kudos_s, (floor_1 + floor_2) / 2, kudos_n, floor_n


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="batches of 10 and 30 instead of 50 and 500")
    small, large = (10, 30) if parser.parse_args().quick else (50, 500)
    if not LocalWiki.available():
        print("MediaWiki and PHP are needed: run scripts/install.d/20-mediawiki.sh", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="kudos-bench-") as tmp:
        base = Path(tmp)
        wiki = LocalWiki.start(base / "wiki")
        try:
            bot = wiki.create_bot("KudosBot")
            migrate.upgrade(f"sqlite:///{base / 'kudos.sqlite'}")
            job = KudosJob(wiki, base, bot.login, bot.password, batch_size=small)
            from wikibot.pwbconfig import prepare

            prepare(job.config)
            text = job.sample_text()
            results = {}
            running = 0.0
            for count in (small, large):
                kudos_s, floor_s, kudos_n, floor_n = measure(wiki, bot, job, count, text, pages=small)
                ratio = floor_s / kudos_s
                results[count] = (kudos_n / count, ratio)
                print(f"batch={count} cold kudos: {kudos_n} requests ({kudos_n / count:.3f}/barnstar), "
                      f"{count / kudos_s:.1f} barnstars/s | floor: {floor_n} requests "
                      f"({floor_n / count:.3f}/barnstar), {count / floor_s:.1f} edits/s | floor_ratio={ratio:.2f}")
                if count == small:
                    plain_s, _ = floor(wiki, bot.login, bot.password,
                                       [f"User talk:{n}" for n in new_recipients(wiki, small)], "x" * 1200)
                    print(f"batch={small} plain-text floor: {small / plain_s:.1f} edits/s | "
                          f"plain_floor_ratio={plain_s / kudos_s:.2f}")
                    before, after = ([f"User talk:{n}" for n in new_recipients(wiki, small)] for _ in range(2))
                    floor_1, _ = floor(wiki, bot.login, bot.password, before, text)
                    running_s, running_n = job.run(new_recipients(wiki, small), small, same_process=True)
                    floor_2, _ = floor(wiki, bot.login, bot.password, after, text)
                    running = (floor_1 + floor_2) / 2 / running_s
                    print(f"batch={small} running job (same process, next pass): {running_n} requests "
                          f"({running_n / small:.3f}/barnstar), {small / running_s:.1f} barnstars/s | floor "
                          f"{2 * small / (floor_1 + floor_2):.1f} edits/s | floor_ratio={running:.2f}")
        finally:
            wiki.stop()
    per, cold = results[small]
    print(f"RESULT deliver requests_per_barnstar={per:.3f} floor_ratio={running:.2f} cold_floor_ratio={cold:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
