"""Benchmark: praise suggestions for a campaign of 1,000 participants on a real local MediaWiki, and the
suggestions page at 1,000 candidates.

Run from the repository root: `python bench/suggest.py [--quick]` (needs MediaWiki and PHP from
scripts/install.d/20-mediawiki.sh). The refresh asks about 1,000 participants and 100 newcomers who signed
up on the wiki; a sixth of the participants edited enough in the last week, and three heavy editors make the
contributions continue. It counts the API requests the wiki served (target: ≤ 1.2 × ceil(participants / 50)
plus continuations) and times the page (p95 < 50 ms, as for the pages of bench/web.py), then prints
`RESULT suggest requests=… participants=… page_p95_ms=…`. `--quick` runs the same steps at 120 participants
and 200 candidates and never fails on the targets.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert  # noqa: E402

from bench.contribs import fast_import  # noqa: E402
from kudos import migrate, participants  # noqa: E402
from kudos.clock import utcnow  # noqa: E402
from kudos.db import Database  # noqa: E402
from kudos.models import ParticipantSource, Suggestion  # noqa: E402
from kudos.suggestions import listing, refresh  # noqa: E402
from kudos.web import create_app  # noqa: E402
from tests.factories import make_campaign  # noqa: E402
from tests.servers.mediawiki import ImportedRevision, LocalWiki  # noqa: E402

NEWCOMERS = 100
HEAVY_EDITORS, HEAVY_EDITS = 3, 250  # in the first batch of 50: its contributions continue
PAGE_BUDGET_MS = 50.0
REQUEST_FACTOR = 1.2


def _revisions(names: list[str], newcomers: list[str], now: datetime) -> list[ImportedRevision]:
    rng = random.Random(15)
    revisions = []
    for index, name in enumerate(names + newcomers):
        if index < HEAVY_EDITORS:
            count = HEAVY_EDITS
        elif index % 6 == 0:
            count = rng.randint(8, 14)  # praiseworthy
        else:
            count = rng.choice((0, 0, 1, 2, 3))
        text = ""
        for n in range(count):
            text += f" Sentence {n} by {name}."
            revisions.append(ImportedRevision(f"Bench/{name}", text, name, now - timedelta(hours=1 + (n * 7) % 150),
                                              f"edit {n}"))
    return revisions


def refresh_benchmark(folder: Path, count: int) -> tuple[int, int, int]:
    """(API requests, continuations, people suggested) of one refresh."""
    started = time.perf_counter()
    wiki = LocalWiki.start(folder / "wiki")
    print(f"wiki started in {time.perf_counter() - started:.1f} s")
    try:
        names = [f"Participant {i:04d}" for i in range(count)]
        newcomers = [f"Newcomer {i:03d}" for i in range(NEWCOMERS)]
        step = time.perf_counter()
        wiki.create_accounts(names)
        wiki.create_accounts(newcomers, signed_up=True)
        print(f"{count} participants and {NEWCOMERS} newcomers registered in {time.perf_counter() - step:.1f} s")
        revisions = _revisions(names, newcomers, datetime.utcnow())
        step = time.perf_counter()
        fast_import(wiki, revisions)
        print(f"{len(revisions)} revisions imported in {time.perf_counter() - step:.1f} s")

        url = f"sqlite:///{folder / 'refresh.sqlite'}"
        migrate.upgrade(url)
        database = Database(url)
        from tests.support import make_config

        config = make_config(database_url=url, wikis={
            "orwiki": {"api_url": wiki.api_url, "language": "or", "name": "Local wiki"}})
        with database.transaction() as session:
            campaign = make_campaign(session, config, slug="bench")
            participants.add(session, campaign, names, ParticipantSource.paste, "Bench")
        before = wiki.request_count()
        step = time.perf_counter()
        summary = refresh.refresh(database, config)
        seconds = time.perf_counter() - step
        served = wiki.request_count() - before
        assert served == summary.requests, (served, summary.requests)
        assert not summary.failed, summary
        target = REQUEST_FACTOR * math.ceil(count / 50)
        print(f"refresh: {summary} in {seconds:.2f} s; {served} API requests served: {math.ceil(count / 50)} for "
              f"the participants, {1 + math.ceil(NEWCOMERS / 50)} for the newcomers (the sign-up log, then 50 a "
              f"request), {summary.continuations} continuations (target ≤ {target:.0f} + continuations)")
        database.dispose()
        return served, summary.continuations, summary.suggested
    finally:
        wiki.stop()


def page_benchmark(folder: Path, candidates: int) -> float:
    """p95 in ms of the suggestions page (first page and a later one) with `candidates` stored suggestions."""
    from tests.support import make_config

    url = f"sqlite:///{folder / 'page.sqlite'}"
    migrate.upgrade(url)
    database = Database(url)
    config = make_config(database_url=url, admins=["Ada"])
    now = utcnow().replace(microsecond=0)
    with database.transaction() as session:
        campaign_id = make_campaign(session, config, slug="bench").id
    rng = random.Random(16)
    rows: list[dict[str, Any]] = []
    for i in range(candidates):
        notable = [{"revid": 10_000 + 3 * i + n, "title": f"Article {i}-{n} about a river", "sizediff": rng.randint(
            -500, 3000), "comment": f"Added sources, part {n}", "timestamp": "2026-12-01T10:00:00Z",
            "reverted": n == 2 and i % 5 == 0, "new": n == 0} for n in range(3)]
        rows.append({"campaign_id": campaign_id, "user_id": 1000 + i, "username": f"Candidate {i:04d}",
                     "source": "participant" if i % 4 else "newcomer", "registered": now - timedelta(days=i % 300),
                     "editcount": 20 + i % 400, "days": 7, "edits": 8 + i % 30, "pages": 1 + i % 9,
                     "bytes_added": rng.randint(100, 50_000), "reverted": i % 3, "notable": notable,
                     "refreshed_at": now, "eligible_since": now - timedelta(hours=i % 90)})
    with database.transaction() as session:
        session.execute(insert(Suggestion), rows)
    client: Any = create_app(config, database).test_client()
    with client.session_transaction() as session:
        session["user"] = {"username": "Ada"}
    last = math.ceil(candidates / listing.PER_PAGE)
    for path in ("/campaigns/bench/suggestions", f"/campaigns/bench/suggestions?page={last}"):
        assert client.get(path).status_code == 200  # warm up, and mark the shown pages as shown
    timings = []
    for n in range(40):
        path = "/campaigns/bench/suggestions" if n % 2 else f"/campaigns/bench/suggestions?page={last}"
        step = time.perf_counter()
        response = client.get(path)
        timings.append((time.perf_counter() - step) * 1000)
        assert response.status_code == 200 and b"kudos-suggestion" in response.data
    p95 = sorted(timings)[math.ceil(0.95 * len(timings)) - 1]
    print(f"suggestions page at {candidates} candidates: median {statistics.median(timings):.1f} ms, "
          f"p95 {p95:.1f} ms over {len(timings)} requests (budget {PAGE_BUDGET_MS:.0f} ms)")
    database.dispose()
    return p95


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, same steps; no verdict on the targets")
    args = parser.parse_args()
    count, candidates = (120, 200) if args.quick else (1_000, 1_000)
    if not LocalWiki.available():
        print("MediaWiki and PHP are not installed; run scripts/install.d/20-mediawiki.sh first.")
        return 2
    with tempfile.TemporaryDirectory(prefix="kudos-bench-suggest-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        requests, continuations, suggested = refresh_benchmark(folder, count)
        p95 = page_benchmark(folder, candidates)
        print(f"total wall time {time.perf_counter() - started:.1f} s")
    print(f"RESULT suggest requests={requests} participants={count} continuations={continuations} "
          f"suggested={suggested} page_p95_ms={p95:.1f}")
    within = requests <= REQUEST_FACTOR * math.ceil(count / 50) + continuations and p95 < PAGE_BUDGET_MS
    return 0 if args.quick or within else 1


if __name__ == "__main__":
    sys.exit(main())
