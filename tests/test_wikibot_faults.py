"""Faults during delivery: a read-only wiki, kill -9 at random moments, several jobs at once. Exactly once, always.

On MariaDB only (the rule: tests/servers/database.py): what is tested here is the job and the wiki. The same
kinds of faults on SQLite, several job processes at once and a kill -9 whose leases are taken over, are
test_wikibot_lanes' three replicas, on both databases.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from typing import Any

import pytest

from kudos.config import PROJECT_ROOT
from kudos.models import DeliveryStatus
from tests import wikibot_support
from tests.servers.database import ON_MARIADB
from tests.wiki_people import create_accounts
from tests.wikibot_support import Job, deliveries, page_text, statuses, summary

delivery_bot = wikibot_support.delivery_bot
job = wikibot_support.job

pytestmark = [pytest.mark.mediawiki, ON_MARIADB]


@pytest.fixture(scope="module")
def pool(local_wiki: Any) -> list[str]:
    """50 recipients shared by the tests here (the checks count each delivery's own marker, so pages may hold
    several barnstars)."""
    names = [wikibot_support.unique_name("Pool") for _ in range(50)]
    create_accounts(local_wiki, names)
    return names


def start_job(job: Job, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "wikibot", *args], cwd=PROJECT_ROOT, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env={**os.environ, "KUDOS_CONFIG": str(job.path)},
    )


def bot_edits(job: Job, titles: list[str]) -> int:
    changes = job.wiki.api(list="recentchanges", rcuser=job.bot_user, rcprop="title", rclimit=500)
    wanted = set(titles)
    return sum(1 for change in changes["query"]["recentchanges"] if change["title"] in wanted)


def assert_each_exactly_once(job: Job, ids: list[int]) -> None:
    rows = deliveries(job.db, ids)
    texts: dict[str, str] = {}
    for delivery_id in ids:
        delivery = rows[delivery_id]
        assert delivery.status == DeliveryStatus.done, (delivery_id, delivery.status, delivery.last_error)
        title = f"User talk:{delivery.nomination.recipient}"
        if title not in texts:
            texts[title] = page_text(job.wiki, title)
        assert texts[title].count(f"kudos:delivery:{delivery.key}") == 1, (title, delivery_id)


def posted(job: Job, ids: list[int]) -> int:
    """How many of these deliveries' barnstars are on the wiki now, read in one request."""
    rows = deliveries(job.db, ids).values()
    titles = sorted({f"User talk:{d.nomination.recipient}" for d in rows})
    pages = job.wiki.api(prop="revisions", rvprop="content", rvslots="main", titles="|".join(titles))
    text = "".join(str((page.get("revisions") or [{}])[0].get("slots", {}).get("main", {}).get("content", ""))
                   for page in pages["query"]["pages"])
    return sum(text.count(f"kudos:delivery:{d.key}") for d in rows)


def test_read_only_mid_batch_waits_then_delivers_once(job: Job, pool: list[str]) -> None:
    recipients = pool[:6]
    ids = job.approve(recipients)
    slow = job.with_bot(throttle=1)  # one edit a second, so the wiki can go read-only part-way
    process = start_job(slow, "--once")
    titles = [f"User talk:{r}" for r in recipients]
    try:
        deadline = time.monotonic() + 60
        already = bot_edits(job, titles)
        while bot_edits(job, titles) < already + 2:
            assert time.monotonic() < deadline and process.poll() is None, "the job posted nothing"
            time.sleep(0.05)
        job.wiki.set_read_only("Database maintenance")
        out, err = process.communicate(timeout=120)
    finally:
        job.wiki.set_read_only(None)
        if process.poll() is None:
            process.kill()
    first = summary(out)
    assert first["retrying"] >= 1, err[-3000:]
    assert first["failed"] == 0
    assert bot_edits(job, titles) < already + len(recipients)
    waiting = [d for d in deliveries(job.db, ids).values() if d.status == DeliveryStatus.pending]
    assert waiting and all("read-only" in (d.last_error or "") for d in waiting)

    time.sleep(3.2)  # the retry delay of the test configuration is at most 3 s
    second = job.once()
    assert second["done"] >= 1 and second["retrying"] == 0
    assert_each_exactly_once(job, ids)


def test_kill_9_at_random_moments_then_rerun_posts_each_barnstar_once(job: Job, pool: list[str]) -> None:
    seed = random.randrange(1 << 30)
    chance = random.Random(seed)
    recipients = pool[10:20]
    ids = job.approve(recipients) + job.approve(recipients)  # two barnstars per page
    short = job.with_delivery(lease_seconds=1, lane_lease_seconds=1)
    for _ in range(4):
        # Each job is killed after a random number (1 to 3) of its barnstars reached the wiki, and must
        # still have been posting then: the kill lands in the middle of its batch of 20, not before or after.
        before = posted(job, ids)
        wanted = before + chance.randint(1, 3)
        process = start_job(short, "--once")
        deadline = time.monotonic() + 60
        while posted(job, ids) < wanted:
            assert process.poll() is None, f"the job ended before its kill point:\n{process.communicate()[1][-3000:]}"
            assert time.monotonic() < deadline, "the job posted too little within 60 s"
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
        process.communicate()
        at_kill = posted(job, ids)
        done = sum(status == DeliveryStatus.done for status in statuses(job.db, ids).values())
        assert before < at_kill < len(ids) and done < len(ids), (before, at_kill, done)
        print(f"killed with {at_kill} of {len(ids)} posted, {done} recorded as done")
        time.sleep(1.1)  # let the dead job's lease run out
    for _ in range(3):
        counts = short.once()
        if counts["retrying"] == 0:
            break
        time.sleep(3.2)
    print(f"random seed {seed}")
    assert_each_exactly_once(job, ids)


def test_four_jobs_at_once_deliver_each_of_200_exactly_once(job: Job, pool: list[str]) -> None:
    recipients = pool
    ids: list[int] = []
    for _ in range(4):
        ids += job.approve(recipients)
    processes = [start_job(job, "--once") for _ in range(4)]
    totals = {"done": 0, "skipped": 0, "retrying": 0, "failed": 0}
    for process in processes:
        out, err = process.communicate(timeout=600)
        assert process.returncode == 0, err[-3000:]
        for key, value in summary(out).items():
            totals[key] += value
    assert totals == {"done": 400, "skipped": 0, "retrying": 0, "failed": 0}  # 200 talk pages + 200 walls
    assert_each_exactly_once(job, ids)


# The job as `python -m wikibot --once` runs it, except that writing the third outcome fails: the database
# went away mid-batch while the wiki still answers.
DATABASE_GOES_AWAY = """
import sys
from kudos import claims
from wikibot.__main__ import main

real, calls = claims.record, []

def record(*args, **kwargs):
    calls.append(1)
    if len(calls) == 3:
        raise RuntimeError("the database went away")
    return real(*args, **kwargs)

claims.record = record
sys.exit(main(["--once"]))
"""


def test_a_database_failure_mid_batch_stops_posting_and_loses_nothing(job: Job, pool: list[str]) -> None:
    recipients = pool[30:40]
    ids = job.approve(recipients)
    short = job.with_delivery(lease_seconds=1, lane_lease_seconds=1)
    broken = subprocess.run([sys.executable, "-c", DATABASE_GOES_AWAY], cwd=PROJECT_ROOT, text=True,
                            capture_output=True, timeout=180, env={**os.environ, "KUDOS_CONFIG": str(short.path)})
    assert broken.returncode != 0 and "the database went away" in broken.stderr
    keys = {d.key: f"User talk:{d.nomination.recipient}" for d in deliveries(job.db, ids).values()}
    posted = sum(page_text(job.wiki, title).count(f"kudos:delivery:{key}") for key, title in keys.items())
    # The third outcome failed while at most one more edit was on its way: the rest were never posted.
    assert 3 <= posted <= 4, posted
    time.sleep(1.1)  # the broken job's leases run out
    assert summary(short.run("--once").stdout)["retrying"] == 0
    assert_each_exactly_once(job, ids)
