"""Migrations upgrade and downgrade cleanly on both databases, and match the models."""

from __future__ import annotations

import secrets

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from kudos import migrate
from kudos.db import make_engine
from kudos.models import Base
from tests.servers.database import MARIADB_HOST, MARIADB_PORT, _admin_execute, mariadb_available
from tests.support import need


@pytest.fixture(params=["sqlite", "mariadb"])
def empty_url(request, tmp_path):  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'roundtrip.sqlite'}"
        return
    need(mariadb_available(), "MariaDB")
    name = f"kudos_migrate_{secrets.token_hex(4)}"
    _admin_execute(f"CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
    try:
        yield f"mysql+pymysql://root@{MARIADB_HOST}:{MARIADB_PORT}/{name}?charset=utf8mb4"
    finally:
        _admin_execute(f"DROP DATABASE IF EXISTS {name}")


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade_round_trip(empty_url: str) -> None:
    migrate.upgrade(empty_url)
    assert _tables(empty_url) == set(Base.metadata.tables)
    migrate.downgrade(empty_url, "base")
    assert _tables(empty_url) == set()
    assert migrate.current(empty_url) is None
    migrate.upgrade(empty_url)
    assert _tables(empty_url) == set(Base.metadata.tables)


def test_migrations_match_the_models(empty_url: str) -> None:
    """A model change without its migration shows up here, not in production."""
    migrate.upgrade(empty_url)
    engine = make_engine(empty_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_existing_deliveries_learn_their_campaign(empty_url: str) -> None:
    """0005 copies each delivery's campaign from its nomination, on a database that already has some."""
    migrate.upgrade(empty_url, "0004_user_ids")
    engine = make_engine(empty_url)
    try:
        with engine.begin() as connection:
            for campaign_id, slug in ((1, "first"), (2, "second")):
                connection.execute(text(
                    "INSERT INTO campaign (id, slug, name, wiki, kind, description, channels, created_at) "
                    "VALUES (:id, :slug, :slug, 'orwiki', 'event', '', '[]', '2026-01-01')"),
                    {"id": campaign_id, "slug": slug})
            for nomination_id, campaign_id in ((10, 2), (11, 1)):
                connection.execute(text(
                    "INSERT INTO nomination (id, campaign_id, wiki, nominator, recipient, award, message, link, "
                    "status, created_at) VALUES (:id, :campaign, 'orwiki', 'Nina', 'Ravi', 'barnstar', 'Thanks', "
                    "'Main Page', 'approved', '2026-01-02')"), {"id": nomination_id, "campaign": campaign_id})
                connection.execute(text(
                    "INSERT INTO delivery (nomination_id, channel, status, attempts, next_attempt_at, `key`, "
                    "created_at, updated_at) VALUES (:id, 'wall', 'done', 1, '2026-01-02', :key, '2026-01-02', "
                    "'2026-01-02')"), {"id": nomination_id, "key": f"k{nomination_id}"})
        migrate.upgrade(empty_url)
        with engine.connect() as connection:
            rows = dict(connection.execute(text("SELECT nomination_id, campaign_id FROM delivery")).all())
        assert rows == {10: 2, 11: 1}
    finally:
        engine.dispose()


LEGACY_EVENTS = [  # id, actor, action, object_type, object_id, details: rows as written before 0006
    (1, "Admin", "campaign.create", "campaign", "1", '{"kind": "event", "slug": "walk", "wiki": "orwiki"}'),
    (2, "Admin", "campaign.organizer.add", "campaign", "1", '{"username": "Ee"}'),
    (3, "E", "nomination.create", "nomination", "10", '{"award": "barnstar", "campaign": "walk", "recipient": "Eve"}'),
    (4, "Ee", "nomination.approved", "nomination", "10", '{"before": "pending"}'),
    (5, "Kudos delivery job", "delivery.done", "delivery", "20",
     '{"channel": "talkpage", "external_url": "https://x/User_talk:Eve", "nomination": 10, "reason": null}'),
    (6, "Eve", "consent.granted", "person", "7", '{"before": "unknown"}'),
    (7, "Kudos delivery job", "person.renamed", "person", "7",
     '{"after": "Eve", "before": "Evelyn", "everywhere": true, "nominations": 1, "wiki": "orwiki"}'),
    (8, "Greatness", "nomination.create", "nomination", "11",
     '{"award": "barnstar", "campaign": "walk", "recipient": "Evelyn"}'),
    (9, "Greatness", "nomination.approved", "nomination", "11", '{"before": "pending", "trusted": true}'),
]


def test_existing_audit_rows_learn_whom_they_are_about(empty_url: str) -> None:
    """0006 derives each event's subjects from its actor, its object and exact detail keys, never from text.
    Nomination 11 was made for Evelyn, who is Eve since a rename."""
    migrate.upgrade(empty_url, "0005_delivery_campaign")
    engine = make_engine(empty_url)
    try:
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO campaign (id, slug, name, wiki, kind, description, channels, created_at) "
                "VALUES (1, 'walk', 'Walk', 'orwiki', 'event', 'Great walk with E', '[]', '2026-01-01')"))
            connection.execute(text("INSERT INTO person (id, username, consent, opted_out, created_at) "
                                    "VALUES (7, 'Eve', 'granted', 0, '2026-01-01')"))
            for nomination_id, nominator, reviewer in ((10, "E", "Ee"), (11, "Greatness", "trusted:Greatness")):
                connection.execute(text(
                    "INSERT INTO nomination (id, campaign_id, wiki, nominator, recipient, award, message, link, "
                    "status, reviewer, created_at) VALUES (:id, 1, 'orwiki', :nominator, 'Eve', 'barnstar', "
                    "'E and Ee did great work', '', 'approved', :reviewer, '2026-01-02')"),
                    {"id": nomination_id, "nominator": nominator, "reviewer": reviewer})
            connection.execute(text(
                "INSERT INTO delivery (id, nomination_id, campaign_id, channel, status, attempts, next_attempt_at, "
                "`key`, created_at, updated_at) VALUES (20, 10, 1, 'talkpage', 'done', 1, '2026-01-02', 'k', "
                "'2026-01-02', '2026-01-02')"))
            for row in LEGACY_EVENTS:
                connection.execute(text(
                    "INSERT INTO audit_event (id, at, actor, action, object_type, object_id, details) "
                    "VALUES (:id, '2026-01-03', :actor, :action, :type, :object, :details)"),
                    dict(zip(("id", "actor", "action", "type", "object", "details"), row, strict=True)))
        migrate.upgrade(empty_url)
        with engine.connect() as connection:
            found = set(connection.execute(text("SELECT event_id, name, role FROM audit_subject")).all())
    finally:
        engine.dispose()
    assert found == {
        (1, "Admin", "actor"),
        (2, "Admin", "actor"), (2, "Ee", "details.username"),
        (3, "E", "actor"), (3, "E", "nominator"), (3, "Eve", "recipient"), (3, "Eve", "details.recipient"),
        (4, "Ee", "actor"), (4, "E", "nominator"), (4, "Eve", "recipient"), (4, "Ee", "reviewer"),
        (5, "E", "nominator"), (5, "Eve", "recipient"), (5, "Ee", "reviewer"),
        (6, "Eve", "actor"), (6, "Eve", "person"),
        (7, "Eve", "person"), (7, "Eve", "details.before"), (7, "Eve", "details.after"),
        (8, "Greatness", "actor"), (8, "Greatness", "nominator"), (8, "Eve", "recipient"),
        (8, "Eve", "details.recipient"),
        (9, "Greatness", "actor"), (9, "Greatness", "nominator"), (9, "Eve", "recipient"),
        (9, "Greatness", "reviewer"),
    }
