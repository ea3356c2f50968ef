"""Benchmark: refresh contributions of 1,000 participants from a real local MediaWiki, and time the campaign
report page at 10,000 participants.

Run from the repository root: `python bench/contribs.py [--quick]` (needs MediaWiki and PHP from
scripts/install.d/20-mediawiki.sh). Prints the API requests and wall time of the refresh and ends with
`RESULT contribs requests=… participants=…`. `--quick` runs the same steps at 120 and 500 participants
and never fails on the report's budget, which means nothing at that size.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert  # noqa: E402

from kudos import contribs, migrate, participants, report  # noqa: E402
from kudos.db import Database  # noqa: E402
from kudos.models import (  # noqa: E402
    ContribCursor,
    ContribDay,
    Delivery,
    DeliveryStatus,
    Nomination,
    NominationStatus,
    Participant,
    ParticipantSource,
)
from kudos.web import create_app  # noqa: E402
from tests.factories import make_campaign  # noqa: E402
from tests.servers.mediawiki import ImportedRevision, LocalWiki  # noqa: E402
from tests.support import make_config  # noqa: E402
from tests.wiki_people import create_accounts  # noqa: E402

HEAVY_EDITORS, HEAVY_EDITS = 3, 200  # 600 edits in the first batch of 50: one continuation
LIGHT_EDITS = 200  # spread over the others
REPORT_BUDGET_MS = 50.0
STARTS, ENDS = datetime(2026, 1, 1), datetime(2026, 1, 10)


def fast_import(wiki: LocalWiki, revisions: list[ImportedRevision]) -> None:
    """importDump.php with --no-updates (no link tables: twice as fast, and contributions do not need them)."""
    original = wiki.maintenance

    def maintenance(script: str, *args: str, stdin: str | None = None) -> str:
        extra = ("--no-updates",) if script == "importDump.php" else ()
        return original(script, *extra, *args, stdin=stdin)

    wiki.maintenance = maintenance  # type: ignore[method-assign]
    try:
        wiki.import_revisions(revisions)
    finally:
        wiki.maintenance = original  # type: ignore[method-assign]


def refresh_benchmark(folder: Path, participant_count: int) -> tuple[int, int]:
    started = time.perf_counter()
    wiki = LocalWiki.start(folder / "wiki")
    print(f"wiki started in {time.perf_counter() - started:.1f} s")
    try:
        names = [f"Participant {i:04d}" for i in range(participant_count)]
        step = time.perf_counter()
        create_accounts(wiki, names)
        print(f"{participant_count} accounts created in {time.perf_counter() - step:.1f} s")
        rng = random.Random(8)
        revisions = [ImportedRevision(f"Bench/{names[h]}", f"edit {n}", names[h],
                                      datetime(2026, 1, 11) + timedelta(hours=n))
                     for h in range(HEAVY_EDITORS) for n in range(HEAVY_EDITS)]
        revisions += [ImportedRevision(f"Bench/{names[i]}", f"light edit {n}", names[i],
                                       datetime(2026, 1, 11) + timedelta(days=rng.randrange(100), minutes=n))
                      for n, i in enumerate(rng.choices(range(HEAVY_EDITORS, participant_count), k=LIGHT_EDITS))]
        step = time.perf_counter()
        fast_import(wiki, revisions)
        print(f"{len(revisions)} revisions imported in {time.perf_counter() - step:.1f} s")

        url = f"sqlite:///{folder / 'kudos.sqlite'}"
        migrate.upgrade(url)
        database = Database(url)
        wikis = {"orwiki": {"api_url": wiki.api_url, "language": "or", "name": "Local wiki"}}
        config = make_config(database_url=url, wikis=wikis)
        with database.transaction() as session:
            campaign = make_campaign(session, config, slug="bench", starts=STARTS, ends=ENDS)
            participants.add(session, campaign, names, ParticipantSource.paste, "Bench")

        now = datetime(2026, 5, 31, 10, 0)
        before = wiki.request_count()
        step = time.perf_counter()
        summary = contribs.refresh(database, config, now)
        seconds = time.perf_counter() - step
        requests = wiki.request_count() - before
        assert requests == summary.requests
        print(f"refresh: {summary}; {requests} API requests in {seconds:.2f} s "
              f"(target ≤ {-(-participant_count // contribs.BATCH)} + continuations)")
        stored = summary.edits
        assert stored == len(revisions), (stored, len(revisions))

        before = wiki.request_count()
        step = time.perf_counter()
        again = contribs.refresh(database, config, now + timedelta(days=1))
        print(f"incremental refresh a day later: {wiki.request_count() - before} API requests in "
              f"{time.perf_counter() - step:.2f} s, {again.edits} new edits")
        database.dispose()
        return requests, participant_count
    finally:
        wiki.stop()


def report_benchmark(folder: Path, participant_count: int) -> float:
    url = f"sqlite:///{folder / 'report.sqlite'}"
    migrate.upgrade(url)
    database = Database(url)
    config = make_config(database_url=url, admins=["Ada"])
    rng = random.Random(10)
    with database.transaction() as session:
        campaign = make_campaign(session, config, slug="big", starts=STARTS, ends=ENDS)
        campaign_id = campaign.id
    names = [f"Person {i:05d}" for i in range(participant_count)]
    recognised = names[: participant_count // 10]
    with database.transaction() as session:
        session.execute(insert(Participant), [
            {"campaign_id": campaign_id, "username": n, "source": ParticipantSource.csv, "added_by": "Bench",
             "added_at": STARTS, "hidden": False} for n in names])
        session.execute(insert(ContribCursor), [
            {"wiki": "orwiki", "username": n, "since": STARTS, "until": datetime(2026, 5, 31)} for n in names])
        days: dict[tuple[str, date], int] = {}
        for n in names:
            for _ in range(rng.choice((0, 0, 1, 3, 8))):
                days[(n, date(2026, 1, 1) + timedelta(days=rng.randrange(140)))] = rng.randrange(1, 9)
        session.execute(insert(ContribDay), [
            {"wiki": "orwiki", "username": n, "day": d, "edits": e} for (n, d), e in days.items()])
        for index, name in enumerate(recognised):
            created = STARTS + timedelta(hours=index % 200)
            reviewed = created + timedelta(hours=1 + index % 48)
            nomination = Nomination(campaign_id=campaign_id, wiki="orwiki", nominator="Nina", recipient=name,
                                    award="barnstar", message="Thanks!", status=NominationStatus.approved,
                                    reviewer="Ada", reviewed_at=reviewed, created_at=created)
            session.add(nomination)
            session.add(Delivery(nomination=nomination, campaign_id=campaign_id, channel="talkpage",
                                 status=DeliveryStatus.done, key=f"talk-{index}",
                                 done_at=reviewed + timedelta(minutes=5 + index % 90)))
            session.add(Delivery(nomination=nomination, campaign_id=campaign_id, channel="wall",
                                 status=DeliveryStatus.pending, key=f"wall-{index}"))
    print(f"report data: {participant_count} participants, {len(recognised)} approved nominations, "
          f"{len(days)} contribution days")
    step = time.perf_counter()
    with database.transaction() as session:
        report.store_snapshots(session, datetime(2026, 5, 31))  # what the job does after each refresh
    print(f"retention snapshot (job step) computed in {(time.perf_counter() - step) * 1000:.0f} ms")
    client: Any = create_app(config, database).test_client()
    with client.session_transaction() as session:
        session["user"] = {"username": "Ada"}
    assert client.get("/campaigns/big/report").status_code == 200  # warm up templates and the connection pool
    timings = []
    for _ in range(30):
        step = time.perf_counter()
        response = client.get("/campaigns/big/report")
        timings.append((time.perf_counter() - step) * 1000)
        assert response.status_code == 200
    median = statistics.median(timings)
    print(f"report page at {participant_count} participants: median {median:.1f} ms, "
          f"max {max(timings):.1f} ms over {len(timings)} requests (budget {REPORT_BUDGET_MS:.0f} ms)")
    database.dispose()
    return median


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, same steps; no verdict on the budget")
    args = parser.parse_args()
    participant_count, report_participants = (120, 500) if args.quick else (1_000, 10_000)
    if not LocalWiki.available():
        print("MediaWiki and PHP are not installed; run scripts/install.d/20-mediawiki.sh first.")
        return 2
    with tempfile.TemporaryDirectory(prefix="kudos-bench-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        requests, count = refresh_benchmark(folder, participant_count)
        report_ms = report_benchmark(folder, report_participants)
        print(f"total wall time {time.perf_counter() - started:.1f} s")
    print(f"RESULT contribs requests={requests} participants={count} report_ms={report_ms:.1f}")
    return 0 if args.quick or report_ms < REPORT_BUDGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
