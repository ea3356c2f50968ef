"""Leases on delivery rows and recorded outcomes, on SQLite and MariaDB."""

from __future__ import annotations

import threading
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from kudos import claims, nominations
from kudos.channels import Permanent, Posted, RetryLater, Skip, Uncertain
from kudos.clock import utcnow
from kudos.db import Database
from kudos.models import AuditEvent, Base, Delivery, DeliveryStatus
from tests.factories import make_campaign, make_nomination
from tests.support import make_config

POLICY = claims.RetryPolicy(max_attempts=3, base_seconds=60, cap_seconds=600)


def approved(db: Database, count: int = 1) -> list[int]:
    config = make_config()
    ids = []
    with db.transaction() as session:
        campaign = make_campaign(session, config)
        for index in range(count):
            nomination = make_nomination(session, config, campaign, recipient=f"Ravi {index}")
            nominations.approve(session, config, nomination, "Olga Organizer")
            session.flush()
            ids += [d.id for d in nomination.deliveries if d.channel == "talkpage"]
    return ids


def row(db: Database, delivery_id: int) -> Delivery:
    with db.session() as session:
        found = session.get(Delivery, delivery_id)
        assert found is not None
        return found


def test_claim_takes_due_rows_once(database: Database) -> None:
    ids = approved(database, 3)
    first = claims.claim(database, "w1", ["talkpage"], 2, 60)
    second = claims.claim(database, "w2", ["talkpage"], 10, 60)
    assert [d.id for d in first] == ids[:2]
    assert [d.id for d in second] == ids[2:]
    assert first[0].nomination.recipient == "Ravi 0"  # loaded with the rows, usable after the session
    assert claims.claim(database, "w3", ["talkpage"], 10, 60) == []
    assert row(database, ids[0]).status == DeliveryStatus.claimed
    assert row(database, ids[0]).attempts == 1
    assert row(database, ids[0]).claimed_by == "w1"


def test_expired_lease_is_taken_over_and_the_old_holder_cannot_record(database: Database) -> None:
    [delivery_id] = approved(database)
    assert len(claims.claim(database, "old", ["talkpage"], 10, lease_seconds=-1)) == 1  # expired at once
    taken = claims.claim(database, "new", ["talkpage"], 10, 60)
    assert [d.id for d in taken] == [delivery_id]
    assert taken[0].attempts == 2  # the channel will look for a landed first attempt
    assert claims.record(database, "old", delivery_id, Posted("1", "u"), POLICY) is None
    assert claims.record(database, "new", delivery_id, Posted("7", "https://w/?diff=7"), POLICY) == \
        DeliveryStatus.done
    done = row(database, delivery_id)
    assert (done.external_id, done.external_url, done.claimed_by) == ("7", "https://w/?diff=7", None)
    assert done.done_at is not None


def test_retry_backs_off_then_fails_after_max_attempts(database: Database) -> None:
    [delivery_id] = approved(database)
    start = utcnow()
    for attempt in range(1, POLICY.max_attempts + 1):
        now = start + timedelta(hours=attempt)
        [claimed] = claims.claim(database, "w", ["talkpage"], 10, 60, now=now)
        assert claimed.attempts == attempt
        outcome = Uncertain("no answer") if attempt == 1 else RetryLater("read-only", after=None)
        status = claims.record(database, "w", delivery_id, outcome, POLICY, now=now)
        current = row(database, delivery_id)
        if attempt < POLICY.max_attempts:
            assert status == DeliveryStatus.pending
            wait = (current.next_attempt_at - now).total_seconds()
            ceiling = min(POLICY.cap_seconds, POLICY.base_seconds * 2 ** (attempt - 1))
            assert ceiling / 2 - 1 <= wait <= ceiling
            assert claims.claim(database, "w", ["talkpage"], 10, 60, now=now) == []  # not due yet
        else:
            assert status == DeliveryStatus.failed
            assert current.last_error == "read-only"


def test_server_requested_wait_is_honoured() -> None:
    assert POLICY.delay(1, after=120) == 120
    assert POLICY.delay(1, after=10_000) == POLICY.cap_seconds


def test_skip_and_permanent_are_terminal_and_audited(database: Database) -> None:
    skip_id, fail_id = approved(database, 2)
    claims.claim(database, "w", ["talkpage"], 10, 60)
    assert claims.record(database, "w", skip_id, Skip("{{nobots}}"), POLICY) == DeliveryStatus.skipped
    assert claims.record(database, "w", fail_id, Permanent("protected"), POLICY) == DeliveryStatus.failed
    assert row(database, skip_id).last_error == "{{nobots}}"
    with database.session() as session:
        actions = {(e.object_id, e.action) for e in session.scalars(
            select(AuditEvent).where(AuditEvent.object_type == "delivery"))}
    assert actions == {(str(skip_id), "delivery.skipped"), (str(fail_id), "delivery.failed")}


def test_release_gives_rows_back_without_counting_an_attempt(database: Database) -> None:
    ids = approved(database, 2)
    claims.claim(database, "w", ["talkpage"], 10, 60)
    assert claims.release(database, "other", ids) == 0
    assert claims.release(database, "w", ids) == 2
    assert {row(database, i).attempts for i in ids} == {0}
    assert [d.id for d in claims.claim(database, "w2", ["talkpage"], 10, 60)] == ids


def test_concurrent_claimers_never_share_a_row(database: Database) -> None:
    ids = approved(database, 40)
    seen: list[int] = []
    lock = threading.Lock()

    def work(name: str) -> None:
        while True:
            rows = claims.claim(database, name, ["talkpage"], 3, 60)
            if not rows:
                return
            with lock:
                seen.extend(d.id for d in rows)

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(seen) == sorted(ids)


def test_wall_follows_the_talk_page(database: Database) -> None:
    done_id, skipped_id, waiting_id = approved(database, 3)
    claims.claim(database, "w", ["talkpage"], 10, 60)
    claims.record(database, "w", done_id, Posted("1", "u"), POLICY)
    claims.record(database, "w", skipped_id, Skip("nobots"), POLICY)
    settled = claims.settle_wall(database)
    with database.session() as session:
        walls = {d.nomination_id: d for d in session.scalars(select(Delivery).where(Delivery.channel == "wall"))}
        talk = {d.id: d.nomination_id for d in session.scalars(select(Delivery).where(Delivery.channel == "talkpage"))}
    assert walls[talk[done_id]].status == DeliveryStatus.done
    assert walls[talk[skipped_id]].status == DeliveryStatus.skipped
    assert walls[talk[waiting_id]].status == DeliveryStatus.pending
    assert len(settled) == 2
    assert claims.settle_wall(database) == {}


# --- talk pages: one wiki at a time, campaigns in turn; failures of the whole wiki ---------------------

def approved_in(db: Database, slug: str, wiki: str, recipients: list[str]) -> list[int]:
    config = make_config()
    ids = []
    with db.transaction() as session:
        campaign = make_campaign(session, config, slug=slug, wiki=wiki)
        for recipient in recipients:
            nomination = make_nomination(session, config, campaign, recipient=recipient)
            nominations.approve(session, config, nomination, "Olga Organizer")
            session.flush()
            ids += [d.id for d in nomination.deliveries if d.channel == "talkpage"]
    return ids


def test_talk_page_claims_take_campaigns_in_turn_and_stay_on_their_wiki(database: Database) -> None:
    burst = approved_in(database, "edit-a-thon", "orwiki", [f"Ana {i}" for i in range(5)])
    # Approved after the burst, and its campaign's slug a prefix of the burst's: it still comes second.
    lone = approved_in(database, "edit", "orwiki", ["Ananya"])
    other_wiki = approved_in(database, "english", "enwiki", ["E", "e"])
    assert claims.due_talkpage_wikis(database) == {"orwiki": 6, "enwiki": 2}
    taken = [d.id for d in claims.claim_talkpages(database, "w", "orwiki", 3, 60)]
    assert taken == [burst[0], lone[0], burst[1]]
    assert all(d.channel == "talkpage" for d in claims.claim_talkpages(database, "w", "orwiki", 10, 60))
    assert claims.due_talkpage_wikis(database) == {"enwiki": 2}
    assert [d.id for d in claims.claim_talkpages(database, "w", "enwiki", 10, 60)] == other_wiki
    assert claims.claim_talkpages(database, "w", "orwiki", 10, 60) == []


@settings(max_examples=10, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(sizes=st.lists(st.integers(min_value=0, max_value=5), min_size=1, max_size=4),
       limit=st.integers(min_value=1, max_value=12))
def test_any_burst_gives_every_campaign_its_turn(database: Database, sizes: list[int], limit: int) -> None:
    try:
        per_campaign = [approved_in(database, f"c{index}", "orwiki", [f"R{index}-{n}" for n in range(size)])
                        for index, size in enumerate(sizes)]
        taken = [d.id for d in claims.claim_talkpages(database, "w", "orwiki", limit, 60)]
    finally:
        with database.transaction() as session:
            for table in reversed(Base.metadata.sorted_tables):
                session.execute(delete(table))
    # By construction: the first of each campaign (in campaign order), then the second of each, and so on.
    expected = [ids[turn] for turn in range(max(sizes)) for ids in per_campaign if turn < len(ids)][:limit]
    assert taken == expected


def test_a_failure_of_the_wiki_gives_the_attempt_back_unless_the_edit_may_have_landed(database: Database) -> None:
    refused, lost, conflict = approved(database, 3)
    claims.claim(database, "w", ["talkpage"], 10, 60)
    assert claims.record(database, "w", refused, RetryLater("read-only", pause="readonly"), POLICY) == \
        DeliveryStatus.pending
    assert claims.record(database, "w", lost, Uncertain("no answer", pause="unreachable"), POLICY) == \
        DeliveryStatus.pending
    assert claims.record(database, "w", conflict, RetryLater("edit conflict"), POLICY) == DeliveryStatus.pending
    assert [row(database, i).attempts for i in (refused, lost, conflict)] == [0, 1, 1]
    assert row(database, refused).last_error == "read-only"


def test_a_wiki_down_for_longer_than_max_attempts_never_fails_a_delivery_but_age_does(database: Database) -> None:
    [delivery_id] = approved(database)
    start = utcnow()
    for hour in range(1, 3 * POLICY.max_attempts):
        now = start + timedelta(hours=hour)
        assert claims.claim(database, "w", ["talkpage"], 10, 60, now=now)
        outcome = Uncertain("503", pause="failing") if hour % 2 else RetryLater("maxlag", pause="lagged")
        assert claims.record(database, "w", delivery_id, outcome, POLICY, now=now) == DeliveryStatus.pending
    late = start + timedelta(days=POLICY.max_age_days, hours=1)
    claims.claim(database, "w", ["talkpage"], 10, 60, now=late)
    assert claims.record(database, "w", delivery_id, RetryLater("read-only", pause="readonly"), POLICY,
                         now=late) == DeliveryStatus.failed
    assert "7 days" in (row(database, delivery_id).last_error or "")


def test_a_wiki_pause_backs_off_to_its_own_cap() -> None:
    policy = claims.RetryPolicy(base_seconds=60, cap_seconds=6 * 3600, pause_cap_seconds=600)
    assert 30 <= policy.pause_delay(1) <= 60
    assert policy.pause_delay(20) <= 600
    assert policy.pause_delay(1, after=5) == 5
