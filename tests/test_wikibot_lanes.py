"""Many wikis at once: each wiki's edits at its own throttle, wikis side by side, across job replicas.

Three real MediaWikis (tests.servers.wikis), each behind a proxy that notes when each edit arrived.
Throttles are scaled down to fractions of a second. Between the moment the job is granted an edit slot
and the moment the proxy notes the edit, a loaded machine adds tens of milliseconds, not always equally
many (the job spaces its slots a tenth of the throttle further apart for that reason); `SLACK` allows for
the rest: on a busy 2-core CI machine a replica's first edit has been seen to arrive 0.1 s late, which makes
the gap after it that much shorter. Without coordination, replicas sharing a wiki post edits a few
milliseconds apart, and a lane that ignored its throttle would post them as fast as the wiki answers (tens
of milliseconds), so a slack of 0.1 s, at most half of any throttle here, still tells both apart.

Exactness of the slots themselves, without any network in between, is tested in tests/test_lanes.py.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from kudos.db import Database
from kudos.models import Delivery, DeliveryStatus, WikiLane
from tests.farm_support import FarmJob, edit_times, gaps
from tests.servers.wikis import Farm
from tests.wikibot_support import deliveries

pytestmark = pytest.mark.mediawiki

SLACK = 0.1
one_database = pytest.mark.parametrize("database", ["mariadb"], indirect=True)


@one_database
def test_wikis_are_served_side_by_side_each_at_its_own_throttle(farm: Farm, database: Database,
                                                                tmp_path: Path) -> None:
    job = FarmJob.make(farm, database, tmp_path, throttle=0.25, wiki_throttles={"laneb": 0.4})
    ids = {wiki: job.approve(wiki, job.users(wiki, 3) * 3) for wiki in ("lanea", "laneb", "lanec")}
    (replica,) = job.start(1)
    job.wait_done([i for wiki_ids in ids.values() for i in wiki_ids], timeout=90)
    ((code, err),) = job.stop()
    assert code == 0, err[-3000:]
    job.assert_each_exactly_once([i for wiki_ids in ids.values() for i in wiki_ids])
    times = {wiki: edit_times(job.proxy_of[wiki]) for wiki in ids}
    assert {wiki: len(t) for wiki, t in times.items()} == {"lanea": 9, "laneb": 9, "lanec": 9}
    assert min(gaps(times["lanea"]) + gaps(times["lanec"])) >= 0.25 - SLACK
    assert min(gaps(times["laneb"])) >= 0.4 - SLACK  # its own throttle, not the bot's
    # Side by side: every wiki had edits to come while the others were being posted to.
    assert max(t[0] for t in times.values()) < min(t[-1] for t in times.values())
    # The edit token came with the survey: no request of its own between an edit slot and the first edit.
    for wiki in ids:
        after_login = list(job.proxy_of[wiki].seen)
        after_login = after_login[max(i for i, (r, _f) in enumerate(after_login) if r.action == "login"):]
        assert [r.params.get("meta") for r, _f in after_login if r.params.get("meta") == "tokens"] == [], wiki


@one_database
def test_a_lone_barnstar_lands_within_a_throttle_and_a_poll_while_another_wiki_has_a_burst(
        farm: Farm, database: Database, tmp_path: Path) -> None:
    throttle, interval, batch_seconds = 0.2, 0.2, 2.0
    job = FarmJob.make(farm, database, tmp_path, throttle=throttle, wiki_throttles={}, interval=interval,
                       batch_seconds=batch_seconds)
    burst_to = job.users("lanea", 10)
    (lone_b,) = job.users("laneb", 1)
    (lone_a,) = job.users("lanea", 1)
    job.start(1)
    # A running job: it has logged in to both wikis (once per process) for earlier barnstars.
    job.wait_done(job.approve("lanea", burst_to[:1]) + job.approve("laneb", [lone_b]), timeout=60)
    burst = job.approve("lanea", burst_to * 30)  # 300 barnstars of an edit-a-thon
    proxy_a, proxy_b = job.proxy_of["lanea"], job.proxy_of["laneb"]
    deadline = time.monotonic() + 60
    while len(edit_times(proxy_a)) < 5:  # the burst is being posted
        assert time.monotonic() < deadline, "the burst did not start"
        time.sleep(0.05)

    approved = time.monotonic()
    (other_wiki,) = job.approve("laneb", [lone_b])
    (other_campaign,) = job.approve("lanea", [lone_a])  # the same wiki, another campaign
    landed: dict[str, float] = {}
    while len(landed) < 2:
        assert time.monotonic() < deadline, landed
        for request, _fault in list(proxy_b.seen) + list(proxy_a.seen):
            title = request.params.get("title", "")
            if request.action == "edit" and title in (f"User talk:{lone_b}", f"User talk:{lone_a}") \
                    and request.at > approved:
                landed.setdefault(title, request.at - approved)
        time.sleep(0.02)
    ((code, err),) = job.stop()
    assert code == 0, err[-3000:]
    # Its own wiki is idle: a poll, the survey, and an edit slot at most one throttle away.
    assert landed[f"User talk:{lone_b}"] <= throttle + interval + 1.0, landed
    # Behind the burst on its own wiki, it waits for the batch being posted (its campaign's turn comes in the
    # next one), not for the 300.
    assert landed[f"User talk:{lone_a}"] <= batch_seconds + throttle + interval + 1.0, landed
    rows = deliveries(database, [other_wiki, other_campaign, *burst])
    assert rows[other_wiki].status == rows[other_campaign].status == DeliveryStatus.done
    assert sum(rows[i].status == DeliveryStatus.done for i in burst) < len(burst)  # the burst was still going
    assert min(gaps(edit_times(proxy_a))) >= throttle - SLACK


def assert_rate_kept(times: list[float], throttle: float, wiki: str) -> None:
    """The wiki's rate kept by three replicas, under the most load the suite puts on a 2-core machine.

    Nine lane threads in three processes and three wikis behind one PHP server each: an edit has been seen to
    leave 0.24 s after its slot, so two arrivals may be much closer than the slots were. Rate limits count
    edits in a window (MediaWiki's $wgRateLimits), and so does this check: any four edits in a row span at
    least two throttles, where the slots span three (replicas that did not share the lane would post three
    edits within one throttle). No two edits arrive together either (uncoordinated replicas post them a few
    milliseconds apart). The slots themselves are checked exactly in tests/test_lanes.py.
    """
    spans = [later - earlier for earlier, later in zip(times, times[3:], strict=False)]
    assert min(spans) >= 2 * throttle, (wiki, spans)
    assert min(gaps(times)) >= throttle / 4, (wiki, gaps(times))


@pytest.mark.parametrize("database", ["sqlite", "mariadb"], indirect=True)
def test_three_replicas_keep_every_wiki_s_rate_and_a_kill_9_mid_burst_loses_nothing(
        farm: Farm, database: Database, tmp_path: Path) -> None:
    throttle = 0.3
    job = FarmJob.make(farm, database, tmp_path, throttle=throttle, wiki_throttles={}, batch_size=5,
                       lease_seconds=4, lane_lease_seconds=1.5)
    ids = [i for wiki in ("lanea", "laneb", "lanec") for i in job.approve(wiki, job.users(wiki, 5) * 4)]
    replicas = job.start(3)
    deadline = time.monotonic() + 60
    while True:  # wait until a replica holds a lane and has posted part of its wiki's burst
        with database.session() as session:
            holders = [h for h in session.scalars(select(WikiLane.holder)) if h]
            done = session.scalar(select(func.count()).select_from(Delivery).where(
                Delivery.id.in_(ids), Delivery.status == DeliveryStatus.done)) or 0
        if holders and done >= 6:
            break
        assert time.monotonic() < deadline, "nothing was posted"
        time.sleep(0.05)
    victim_pid = int(holders[0].split(":")[1])
    victim = next(p for p in replicas if p.pid == victim_pid)
    victim.send_signal(signal.SIGKILL)
    killed_at = time.monotonic()
    victim.wait()
    assert done < len(ids)  # the kill landed in the middle of the burst

    job.wait_done(ids, timeout=90)
    ended = job.stop()
    for process, (code, err) in zip(job.replicas, ended, strict=True):
        assert code == (-signal.SIGKILL if process is victim else 0), err[-3000:]
    job.assert_each_exactly_once(ids)
    for wiki in ("lanea", "laneb", "lanec"):
        times = edit_times(job.proxy_of[wiki])
        assert len(times) >= 20, wiki  # 20 barnstars; an edit whose answer the kill cut off may come twice
        assert_rate_kept(times, throttle, wiki)
    assert any(t > killed_at for wiki in ("lanea", "laneb", "lanec") for t in edit_times(job.proxy_of[wiki]))
