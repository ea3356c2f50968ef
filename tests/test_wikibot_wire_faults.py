"""Failures between the job and the wiki (maxlag, HTTP 503, edit conflicts, lost answers), injected by a proxy.

Each fault must leave the delivery waiting for a later attempt, and the next run must put the barnstar on
the page exactly once, counted through the real wiki's API (never through the proxy). A failure of the
whole wiki pauses its lane and charges no attempt unless the edit may have landed; only a delivery's own
failures make it `failed` by their count.

On MariaDB only (the rule: tests/servers/database.py): the faults are the wiki's, and how an outcome is recorded
(attempts charged or given back, a wiki's pause) is test_wikibot_claims', on both databases.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from kudos.clock import utcnow
from kudos.db import Database
from kudos.models import Delivery, DeliveryStatus, WikiLane
from tests import wikibot_support
from tests.servers.database import ON_MARIADB
from tests.servers.wiki_faults import FaultProxy
from tests.wikibot_support import Job, bot_home, deliveries, job_settings, markers_on

delivery_bot = wikibot_support.delivery_bot

pytestmark = [pytest.mark.mediawiki, ON_MARIADB]


@pytest.fixture
def proxied(database: Database, local_wiki: Any, delivery_bot: Any, tmp_path: Path, faulty: FaultProxy,
            tmp_path_factory: pytest.TempPathFactory) -> Job:
    """A job that reaches the wiki through the fault proxy; `job.wiki` is still the wiki itself."""
    settings = job_settings(database.url, faulty.api_url, delivery_bot.login, delivery_bot.password, tmp_path)
    settings["bot"]["pywikibot_dir"] = bot_home(tmp_path_factory, delivery_bot)
    return Job(local_wiki, database, tmp_path, settings, delivery_bot.user)


def time_passes(job: Job, ids: list[int]) -> None:
    """Make the waiting deliveries due now, as if their retry delay (and the wiki's pause) had run out."""
    past = utcnow() - timedelta(seconds=1)
    with job.db.transaction() as session:
        session.execute(update(Delivery).where(Delivery.id.in_(ids), Delivery.status == DeliveryStatus.pending)
                        .values(next_attempt_at=past))
        session.execute(update(WikiLane).values(next_edit_at=past))


def bot_revisions(job: Job, title: str) -> list[dict[str, Any]]:
    pages = job.wiki.api(prop="revisions", titles=title, rvprop="ids|user|content", rvslots="main",
                         rvlimit=50)["query"]["pages"]
    return [r for r in pages[0].get("revisions", []) if r["user"] == job.bot_user]


def assert_waiting(job: Job, delivery_id: int, words: str, attempts: int = 1) -> Delivery:
    delivery = deliveries(job.db, [delivery_id])[delivery_id]
    assert delivery.status == DeliveryStatus.pending, (delivery.status, delivery.last_error)
    assert delivery.attempts == attempts
    assert delivery.next_attempt_at > delivery.updated_at  # when the outcome was recorded
    assert words in (delivery.last_error or ""), delivery.last_error
    return delivery


@pytest.mark.parametrize(("fault", "words", "wiki_wide", "charged"), [
    ("maxlag", "replication lag", True, 0),  # refused: nothing was saved, no attempt
    ("503", "HTTP 503", True, 1),  # may have been saved: counted, so the retry looks for the marker first
    ("editconflict", "Edit conflict", False, 1),
])
def test_a_refused_edit_is_retried_later_then_posted_once(proxied: Job, faulty: FaultProxy, fault: str,
                                                          words: str, wiki_wide: bool, charged: int) -> None:
    recipients = proxied.users(3, prefix="Wire")
    ids = proxied.approve(recipients)
    faulty.fail_next(fault)

    first = proxied.once()
    assert faulty.injected == {fault: 1}
    # A wiki-wide refusal holds back the rest of the batch without another request; a conflict only its page.
    assert first["retrying"] == (3 if wiki_wide else 1), first
    assert first["failed"] == 0
    hit = assert_waiting(proxied, ids[0], words, attempts=charged)
    # After a failure of the whole wiki the rest of the batch is not tried, and not charged.
    others = [d.attempts for i, d in sorted(deliveries(proxied.db, ids).items()) if i != ids[0]]
    assert others == ([0, 0] if wiki_wide else [1, 1])
    assert markers_on(proxied.wiki, f"User talk:{recipients[0]}", hit.key) == 0
    edits_before = [len(bot_revisions(proxied, f"User talk:{r}")) for r in recipients]

    time_passes(proxied, ids)
    second = proxied.once()
    assert second["retrying"] == 0 and second["failed"] == 0, second
    rows = deliveries(proxied.db, ids)
    for recipient, delivery_id in zip(recipients, ids, strict=True):
        delivery = rows[delivery_id]
        assert delivery.status == DeliveryStatus.done, (delivery.status, delivery.last_error)
        assert markers_on(proxied.wiki, f"User talk:{recipient}", delivery.key) == 1
    assert rows[ids[0]].attempts == charged + 1
    edits_after = [len(bot_revisions(proxied, f"User talk:{r}")) for r in recipients]
    assert sum(edits_after) - sum(edits_before) == (3 if wiki_wide else 1)


def test_maxlag_waits_as_long_as_the_wiki_asks(proxied: Job, faulty: FaultProxy) -> None:
    (recipient,) = proxied.users(1, prefix="Lag")
    (delivery_id,) = proxied.approve([recipient])
    faulty.fail_next("maxlag")
    patient = proxied.with_delivery(retry_base_seconds=600, retry_max_seconds=3600)
    assert patient.once()["retrying"] == 1
    delivery = assert_waiting(proxied, delivery_id, "replication lag", attempts=0)
    assert "(7 s)" in (delivery.last_error or "")
    # The proxy's Retry-After is max(maxlag, 5) = 5 s, far below the 600 s our own backoff would pick.
    wait = (delivery.next_attempt_at - delivery.updated_at).total_seconds()
    assert 4 <= wait <= 6, wait


def test_a_lost_answer_is_resolved_by_the_marker_and_never_posted_twice(proxied: Job, faulty: FaultProxy) -> None:
    recipients = proxied.users(2, prefix="Lost")
    ids = proxied.approve(recipients)
    faulty.fail_next("drop")
    impatient = proxied.with_bot(timeout=[3, 4])  # pywikibot gives up on the withheld answer after 4 s

    first = impatient.once()
    assert faulty.injected == {"drop": 1}
    assert first["retrying"] == 2 and first["failed"] == 0, first
    lost = assert_waiting(proxied, ids[0], "No answer from the wiki")
    title = f"User talk:{recipients[0]}"
    assert markers_on(proxied.wiki, title, lost.key) == 1  # the edit landed; only its answer was lost
    landed = bot_revisions(proxied, title)[0]["revid"]

    time_passes(proxied, ids)
    second = impatient.once()
    assert second["retrying"] == 0 and second["failed"] == 0, second
    rows = deliveries(proxied.db, ids)
    assert markers_on(proxied.wiki, title, lost.key) == 1
    assert len(bot_revisions(proxied, title)) == 1  # resolved by the marker search, not posted again
    assert rows[ids[0]].status == DeliveryStatus.done
    assert rows[ids[0]].external_id == str(landed)
    assert markers_on(proxied.wiki, f"User talk:{recipients[1]}", rows[ids[1]].key) == 1


def test_an_outage_never_uses_up_attempts_but_a_delivery_s_own_failures_do(proxied: Job, faulty: FaultProxy) -> None:
    outage, conflict = proxied.users(2, prefix="Down")
    outage_id, conflict_id = proxied.approve([outage, conflict])
    limited = proxied.with_delivery(max_attempts=2)

    # Four rounds of a wiki that answers 503 and maxlag: twice as many as max_attempts.
    for fault in ("503", "maxlag", "503", "maxlag"):
        faulty.fail_next(fault)
        assert limited.once()["failed"] == 0
        time_passes(proxied, [outage_id, conflict_id])
    assert faulty.injected == {"503": 2, "maxlag": 2}
    waiting = deliveries(proxied.db, [outage_id, conflict_id])
    assert {d.status for d in waiting.values()} == {DeliveryStatus.pending}
    # Only the two 503s, after which the edit may have landed, were counted; the second delivery never.
    assert (waiting[outage_id].attempts, waiting[conflict_id].attempts) == (2, 0)

    # The wiki is back; the conflict's page refuses twice: that delivery alone fails, with its own reason.
    def conflicts_on(title: str) -> Any:
        return lambda request: request.method == "POST" and request.params.get("title") == title

    faulty.fail_next("editconflict", count=2, match=conflicts_on(f"User talk:{conflict}"))
    first = limited.once()
    time_passes(proxied, [conflict_id])
    second = limited.once()
    assert (first["failed"], second["failed"]) == (0, 1), (first, second)
    rows = deliveries(proxied.db, [outage_id, conflict_id])
    assert rows[outage_id].status == DeliveryStatus.done
    assert markers_on(proxied.wiki, f"User talk:{outage}", rows[outage_id].key) == 1
    assert rows[conflict_id].status == DeliveryStatus.failed
    assert "Edit conflict" in (rows[conflict_id].last_error or "")
    assert markers_on(proxied.wiki, f"User talk:{conflict}", rows[conflict_id].key) == 0


def test_a_delivery_kept_waiting_by_its_wiki_past_the_age_limit_fails(proxied: Job, faulty: FaultProxy) -> None:
    (recipient,) = proxied.users(1, prefix="Old")
    (delivery_id,) = proxied.approve([recipient])
    with proxied.db.transaction() as session:
        session.execute(update(Delivery).where(Delivery.id == delivery_id)
                        .values(created_at=utcnow() - timedelta(days=7, hours=1)))
    faulty.fail_next("maxlag")
    assert proxied.once()["failed"] == 1  # the default max_age_days is 7
    delivery = deliveries(proxied.db, [delivery_id])[delivery_id]
    assert delivery.status == DeliveryStatus.failed
    assert "replication lag" in (delivery.last_error or "") and "7 days" in (delivery.last_error or "")
