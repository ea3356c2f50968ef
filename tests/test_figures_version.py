"""The dashboard keeps each campaign's figures under its version (kudos.figures_version): every change to a row
a figure is counted from moves that campaign's version, in whichever process it happens, and figures kept
between pages are always the ones a fresh count gives.

The campaigns' slugs and the recipients' names collide on purpose (prefixes, case variants), and the writes
go through a second connection to the database, as the delivery job's would.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Column, select, update
from sqlalchemy.sql import visitors

from kudos import claims, dashboard, figures_version, nominations, participants
from kudos.clock import utcnow
from kudos.config import Config
from kudos.db import Database
from kudos.errors import DomainError
from kudos.models import (
    Campaign,
    Delivery,
    DeliveryStatus,
    FiguresVersion,
    Nomination,
    NominationStatus,
    ParticipantSource,
    Person,
)
from tests.factories import make_campaign, make_nomination
from tests.webtools import web_config

SOCIAL = ("mastodon",)
SLUGS = ("walk", "walk-b", "walk-bb")
NAMES = ("Asha", "asha", "Asha2", "Ash")


@pytest.fixture
def writer(database: Database) -> Iterator[Database]:
    """Another connection pool to the same database: another process's writes."""
    other = Database(database.url)
    yield other
    other.engine.dispose()


def _versions(database: Database) -> dict[int, int]:
    with database.session() as session:
        return {row.campaign_id: row.version for row in session.scalars(select(FiguresVersion))}


def _setup(database: Database) -> tuple[Config, dict[str, int]]:
    config = web_config(database)
    with database.transaction() as session:
        made = {slug: make_campaign(session, config, slug=slug, organizers=("Olga",), channels=SOCIAL)
                for slug in SLUGS}
        session.flush()
        return config, {slug: campaign.id for slug, campaign in made.items()}


def _moved(database: Database, before: dict[int, int]) -> set[int]:
    after = _versions(database)
    return {campaign_id for campaign_id in after.keys() | before.keys()
            if after.get(campaign_id, 0) != before.get(campaign_id, 0)}


def test_each_change_moves_its_own_campaigns_version_only(database: Database, writer: Database) -> None:
    config, ids = _setup(database)
    walk, walk_b = ids["walk"], ids["walk-b"]

    def change(action) -> set[int]:  # type: ignore[no-untyped-def]
        before = _versions(database)
        with writer.transaction() as session:
            action(session)
        return _moved(database, before)

    def campaign(session, slug: str) -> Campaign:  # type: ignore[no-untyped-def]
        return session.scalars(select(Campaign).where(Campaign.slug == slug)).one()

    assert change(lambda s: make_nomination(s, config, campaign(s, "walk"), recipient="Asha")) == {walk}
    pending = lambda s: s.scalars(select(Nomination).where(Nomination.recipient == "Asha")).one()  # noqa: E731
    assert change(lambda s: nominations.approve(s, config, pending(s), "Olga")) == {walk}
    # A delivery's status, the participants, the campaign's own end.
    assert change(lambda s: setattr(s.scalars(select(Delivery).limit(1)).one(), "status",
                                    DeliveryStatus.failed)) == {walk}
    assert change(lambda s: participants.add(s, campaign(s, "walk-b"), ["Asha2"], ParticipantSource.paste,
                                             "Olga")) == {walk_b}
    assert change(lambda s: setattr(campaign(s, "walk-b"), "ends", utcnow() - timedelta(days=9))) == {walk_b}
    # A nomination moved to another campaign: both.
    assert change(lambda s: setattr(pending(s), "campaign_id", walk_b)) == {walk, walk_b}
    # A bulk statement names no campaign: the generation, part of every campaign's version.
    assert change(lambda s: s.execute(update(Delivery).where(Delivery.status == DeliveryStatus.failed)
                                      .values(status=DeliveryStatus.pending))) == {figures_version.GENERATION}
    # Nothing a figure counts: a person's consent, a rolled-back change.
    assert change(lambda s: s.add(Person(username="Asha", created_at=utcnow()))) == set()
    before = _versions(database)
    with pytest.raises(RuntimeError), writer.transaction() as session:
        make_nomination(session, config, campaign(session, "walk"), recipient="Ash")
        raise RuntimeError("rolled back")
    assert _moved(database, before) == set()


def test_the_delivery_jobs_claims_and_releases_move_no_version(database: Database, writer: Database) -> None:
    config, _ids = _setup(database)
    with database.transaction() as session:
        walk = session.scalars(select(Campaign).where(Campaign.slug == "walk")).one()
        nominations.approve(session, config, make_nomination(session, config, walk, recipient="Asha"), "Olga")
    before = _versions(database)
    taken = claims.claim(writer, "worker-1", ["talkpage", "wall"], 10, 60)
    assert taken
    assert claims.release(writer, "worker-1", [delivery.id for delivery in taken]) == len(taken)
    assert _moved(database, before) == set()


def test_a_kept_figure_is_counted_again_when_a_barnstar_leaves_the_week(database: Database) -> None:
    config, ids = _setup(database)
    now = utcnow()
    with database.transaction() as session:
        walk = session.get(Campaign, ids["walk"])
        nomination = make_nomination(session, config, walk, recipient="Asha")
        nominations.approve(session, config, nomination, "Olga")
        for delivery in nomination.deliveries:
            # It leaves the week a minute from now, well within the time figures are kept.
            delivery.status, delivery.done_at = DeliveryStatus.done, now - timedelta(days=7) + timedelta(minutes=1)
    kept = dashboard.Kept()

    def week(at: datetime) -> list[int]:
        with database.session() as session:
            return [row.delivered_week for row in dashboard.organized(session, "Olga", SOCIAL, at, kept=kept)
                    if row.slug == "walk"]

    assert week(now) == [1]
    assert week(now + timedelta(seconds=59)) == [1]
    assert week(now + timedelta(minutes=2)) == [0]


def test_a_kept_figure_is_counted_again_when_the_campaign_enters_the_follow_up_window(database: Database) -> None:
    """Participants not yet thanked are counted only while a follow-up reminder can show (7 to 30 days after
    the end): the day a campaign's end enters that window, its kept figures are not the ones to show."""
    _config, ids = _setup(database)
    now = utcnow()
    with database.transaction() as session:
        walk = session.get(Campaign, ids["walk"])
        # The window opens a minute from now, well within the time figures are kept.
        walk.starts, walk.ends = now - timedelta(days=20), now - timedelta(days=7) + timedelta(minutes=1)
        participants.add(session, walk, ["Asha"], ParticipantSource.paste, "Olga")
    kept = dashboard.Kept()

    def due(at: datetime) -> list[int]:
        with database.session() as session:
            return [row.unrecognised for row in dashboard.organized(session, "Olga", SOCIAL, at, kept=kept)
                    if row.slug == "walk"]

    assert due(now) == [0]
    assert due(now + timedelta(minutes=2)) == [1]


def test_a_change_made_by_hand_in_the_database_shows_once_the_figures_are_kept_no_longer(database: Database) -> None:
    config, ids = _setup(database)
    with database.transaction() as session:
        make_nomination(session, config, session.get(Campaign, ids["walk"]), recipient="Asha")
    kept = dashboard.Kept()
    now = utcnow()

    def waiting(at: datetime) -> list[int]:
        with database.session() as session:
            return [row.waiting for row in dashboard.organized(session, "Olga", SOCIAL, at, kept=kept)
                    if row.slug == "walk"]

    assert waiting(now) == [1]
    with database.engine.begin() as connection:  # a maintainer's SQL: no unit of work of the tool
        connection.execute(update(Nomination).values(status=NominationStatus.rejected, pending_key=None))
    assert waiting(now + dashboard.KEPT_AT_MOST - timedelta(seconds=1)) == [1]
    assert waiting(now + dashboard.KEPT_AT_MOST) == [0]


# Steps of the property test: (what, campaign, which row or name, how much).
STEPS = st.lists(st.tuples(st.sampled_from(["nominate", "approve", "reject", "deliver", "participant", "ends",
                                             "later", "bulk"]),
                           st.integers(0, len(SLUGS) - 1), st.integers(0, 50),
                           st.sampled_from(list(DeliveryStatus))),
                 min_size=1, max_size=10)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS)
def test_kept_figures_are_always_those_a_fresh_count_gives(database: Database, writer: Database,
                                                           steps: list[tuple[str, int, int, DeliveryStatus]]) -> None:
    config = web_config(database)
    with database.transaction() as session:
        if session.scalar(select(Campaign.id).where(Campaign.slug == SLUGS[0])) is None:
            for slug in SLUGS:
                make_campaign(session, config, slug=slug, organizers=("Olga",), channels=SOCIAL)
    kept = dashboard.Kept()
    now = utcnow()
    for n, (what, which, row, status) in enumerate(steps):
        try:
            with writer.transaction() as session:
                campaign = session.scalars(select(Campaign).where(Campaign.slug == SLUGS[which])).one()
                waiting = session.scalars(select(Nomination).where(Nomination.status == NominationStatus.pending)
                                          .order_by(Nomination.id)).all()
                deliveries = session.scalars(select(Delivery).order_by(Delivery.id)).all()
                if what == "nominate":
                    make_nomination(session, config, campaign, nominator=f"Nominator {now.timestamp()} {n}",
                                    recipient=NAMES[row % len(NAMES)])
                elif what in ("approve", "reject") and waiting:
                    chosen = waiting[row % len(waiting)]
                    if what == "approve":
                        nominations.approve(session, config, chosen, "Olga")
                    else:
                        nominations.reject(session, chosen, "Olga", "Not this time.")
                elif what == "deliver" and deliveries:
                    chosen_delivery = deliveries[row % len(deliveries)]
                    chosen_delivery.status = status
                    chosen_delivery.done_at = now if status in (DeliveryStatus.done, DeliveryStatus.skipped) else None
                elif what == "participant":
                    participants.add(session, campaign, [NAMES[row % len(NAMES)]], ParticipantSource.paste, "Olga")
                elif what == "ends":
                    campaign.ends = now - timedelta(days=row)
                elif what == "later":
                    now += timedelta(hours=row * 5)
                elif what == "bulk":
                    session.execute(update(Delivery).values(status=DeliveryStatus.failed)
                                    .where(Delivery.campaign_id == campaign.id, Delivery.status == status))
        except DomainError:
            pass  # refused (a campaign that has ended takes no nomination): nothing changed
        with database.session() as session:
            fresh = dashboard.organized(session, "Olga", SOCIAL, now, cap=2)
            assert dashboard.organized(session, "Olga", SOCIAL, now, cap=2, kept=kept) == fresh, (n, what)


def test_every_table_the_figures_are_counted_from_is_watched() -> None:
    """A figure counted from a table nobody watches would be kept after that table changed."""
    read = {getattr(column.table, "element", column.table).name
            for statement in (dashboard._statement(SOCIAL, 2), dashboard._DELIVERED_SINCE)
            for column in visitors.iterate(statement) if isinstance(column, Column)}
    assert read <= figures_version.WATCHED, read - figures_version.WATCHED
    assert {"nomination", "delivery", "participant"} <= read  # the statements were looked into


def test_writers_racing_on_the_same_campaigns_lose_no_version_and_never_deadlock(database: Database,
                                                                                 writer: Database) -> None:
    """Two processes nominating into two campaigns in opposite orders, each in its own transactions: every
    commit moves both versions, none waits for the other for ever."""
    config, ids = _setup(database)
    before = _versions(database)
    errors: list[BaseException] = []

    def nominate(db: Database, order: tuple[str, ...], worker: int) -> None:
        try:
            for round_ in range(8):
                with db.transaction() as session:
                    for slug in order:
                        make_nomination(session, config, session.get(Campaign, ids[slug]),
                                        nominator=f"Racer {worker}.{round_}", recipient=f"Ravi {slug}")
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=nominate, args=(db, order, n)) for n, (db, order) in
               enumerate([(database, ("walk", "walk-b")), (writer, ("walk-b", "walk"))])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    after = _versions(database)
    assert [after[ids[slug]] - before.get(ids[slug], 0) for slug in ("walk", "walk-b")] == [16, 16]
