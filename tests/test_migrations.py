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
