"""Databases for the tests: a SQLite file and a throwaway MariaDB database, each migrated once per session.

`database` runs a test once per backend; rows are deleted after each test so tests stay independent
without paying for a migration each time.

Which backends a test runs on (keep to this when adding a test):

- Both, the default, for everything whose outcome the database can change: claims and leases (SQLite's
  BEGIN IMMEDIATE against MariaDB's row locks and SKIP LOCKED), migrations, queries (collation, types,
  upserts, the wall's STRAIGHT_JOIN), privacy (export and erasure across every table) and the web pages
  that read and write rows.
- MariaDB only (`ON_MARIADB`), for the wiki's and the delivery job's behaviour where the database only
  stores what happened: {{nobots}} and redirects, rendering, wiki faults and outages, renames, logins,
  read-only mode, signals. These run `python -m wikibot` subprocesses against the real MediaWiki and cost
  seconds each; production runs on MariaDB (ToolsDB), so their one run is there. The database code they
  pass through is run on both backends by the tests that are about it: test_wikibot_claims (claims,
  records, leases, wiki pauses), test_lanes, test_accounts (renames), test_consent and test_privacy, and
  as a whole job on SQLite by test_wikibot_delivery's first test, test_wikibot_lanes' three replicas
  (processes at once, kill -9, lane and claim leases taken over) and test_social_job (the social journal).
- SQLite only (`ON_SQLITE`), for web-layer checks that read nothing a backend could answer differently.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pymysql
import pytest
from sqlalchemy import delete

from kudos import migrate
from kudos.db import Database
from kudos.models import Base
from tests.support import need

MARIADB_HOST = os.environ.get("KUDOS_TEST_MARIADB_HOST", "127.0.0.1")
MARIADB_PORT = int(os.environ.get("KUDOS_TEST_MARIADB_PORT", "3306"))


def mariadb_available() -> bool:
    try:
        pymysql.connect(host=MARIADB_HOST, port=MARIADB_PORT, user="root", password="", connect_timeout=3).close()
        return True
    except pymysql.err.MySQLError:
        return False


def _admin_execute(sql: str) -> None:
    connection = pymysql.connect(host=MARIADB_HOST, port=MARIADB_PORT, user="root", password="")
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
        connection.commit()
    finally:
        connection.close()


@pytest.fixture(scope="session")
def mariadb_url() -> Iterator[str]:
    """The URL of an empty MariaDB database that exists for this test session only."""
    need(mariadb_available(), f"MariaDB at {MARIADB_HOST}:{MARIADB_PORT}")
    name = f"kudos_test_{secrets.token_hex(4)}"
    _admin_execute(f"CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
    try:
        yield f"mysql+pymysql://root@{MARIADB_HOST}:{MARIADB_PORT}/{name}?charset=utf8mb4"
    finally:
        _admin_execute(f"DROP DATABASE IF EXISTS {name}")


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path: Path = tmp_path_factory.mktemp("sqlite") / "kudos.sqlite"
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def _migrated() -> dict[str, Database]:
    return {}


# See the module's docstring for which tests use these.
ON_MARIADB = pytest.mark.parametrize("database", ["mariadb"], indirect=True)
ON_SQLITE = pytest.mark.parametrize("database", ["sqlite"], indirect=True)


@pytest.fixture(params=["sqlite", "mariadb"])
def database(request: pytest.FixtureRequest, _migrated: dict[str, Database]) -> Iterator[Database]:
    """A migrated database on each backend, empty at the start of every test (both unless the test is
    marked ON_MARIADB or ON_SQLITE by the rule in this module's docstring)."""
    backend: str = request.param
    if backend not in _migrated:
        url = request.getfixturevalue(f"{backend}_url")
        migrate.upgrade(url)
        _migrated[backend] = Database(url)
    db = _migrated[backend]
    try:
        yield db
    finally:
        with db.engine.begin() as connection:
            for table in reversed(Base.metadata.sorted_tables):
                connection.execute(delete(table))
