"""Counters kept in database rows: the allowances, the wall's version, the dashboard figures' versions.

A counter moves by an upsert, one statement that creates its row or changes it and locks it either way (two
writers never both read the old value). A version moves at the commit of the unit of work that changed what
it counts (`at_commit`), so its lock is held for the commit only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects import mysql, sqlite
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.dml import Insert


def upsert(session: Session, model: type, rows: Mapping[str, Any] | Sequence[Mapping[str, Any]],
           key: Sequence[str], changes: Mapping[str, Any]) -> Insert:
    """Insert `rows`; where a row with the same `key` (its primary or a unique key) exists, set `changes`."""
    if session.get_bind().dialect.name == "sqlite":
        return sqlite.insert(model).values(rows).on_conflict_do_update(index_elements=list(key), set_=dict(changes))
    return mysql.insert(model).values(rows).on_duplicate_key_update(**changes)


def at_commit(sessions: sessionmaker[Session], key: str, move: Callable[[Session, Any], None]) -> None:
    """At the outermost commit of each unit of work of these sessions, after a last flush, `move(session,
    found)` with what its watchers put in `session.info[key]`, if anything; forgotten when the unit ends."""

    def before_commit(session: Session) -> None:
        if session.in_nested_transaction():
            return  # a savepoint: the outermost commit counts
        session.flush()  # what is still pending is looked at too
        found = session.info.pop(key, None)
        if found:
            move(session, found)

    def after_transaction_end(session: Session, transaction: Any) -> None:
        if transaction.parent is None:  # committed or rolled back: nothing is pending any more
            session.info.pop(key, None)

    event.listen(sessions, "before_commit", before_commit)
    event.listen(sessions, "after_transaction_end", after_transaction_end)
