"""Database engines and units of work, for SQLite (the default) and MariaDB (Toolforge's ToolsDB)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from kudos import figures_version, wall_version


def make_engine(url: str, **options: Any) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, **options)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    # ToolsDB closes idle connections after a few minutes: recycle well before and ping on checkout.
    options.setdefault("pool_pre_ping", True)
    options.setdefault("pool_recycle", 280)
    if "charset" not in parsed.query:
        parsed = parsed.update_query_dict({"charset": "utf8mb4"})
    return create_engine(parsed, **options)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # The driver's own transaction handling would defer BEGIN; we issue it ourselves (see below).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA busy_timeout = 30000")
    cursor.close()


def _sqlite_begin_immediate(connection: Any) -> None:
    # A unit of work takes the write lock up front (BEGIN IMMEDIATE), so two processes that read and
    # then write serialise on the busy timeout instead of failing with "database is locked" when a
    # read lock cannot be upgraded. Plain reads keep SQLite's deferred BEGIN and never wait.
    if connection.get_execution_options().get("kudos_write"):
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.exec_driver_sql("BEGIN")


class Database:
    """One engine and its session factory; the web tool, the job and the CLI each hold one."""

    def __init__(self, url: str, **options: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **options)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        # Every unit of work moves the versions of the dashboard figures it changed, then, when it changes what
        # the public wall shows, the wall's (conditional requests): the campaigns' rows before the one row
        # every change of the wall waits for.
        figures_version.watch(self.sessions)
        wall_version.watch(self.sessions)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def session(self) -> Session:
        return self.sessions()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A unit of work: everything inside commits together or not at all."""
        with self.sessions() as session, session.begin():
            session.connection(execution_options={"kudos_write": True})
            yield session

    def ping(self) -> None:
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()
