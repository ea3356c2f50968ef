"""The session store: browser sessions as rows of `web_session`, so that they can be ended.

Kudos used Flask's default session, a signed cookie that holds the session itself: nothing on the server
could end it, so a copy outlived sign-out and another device outlived erasure, for the cookie's 31 days.
Sessions now live in the database every web worker and replica shares, and survive restarts:

- the browser holds a random 256-bit id, signed with the secret key; the row is keyed by the id's
  SHA-256, so the table cannot be replayed as cookies;
- signing out deletes the row, “sign out everywhere” and erasure delete every row of that user name,
  and each row carries its absolute end (`session_lifetime_hours` after sign-in), checked on every
  request; `flask prune` deletes the rows past their end;
- a row is only ever updated in place, never written again once deleted, so a request that was still
  running when its session ended cannot bring it back.

Why not Flask-Session's SQLAlchemy backend: it needs Flask-SQLAlchemy (a second engine and pool beside
`kudos.db.Database`), creates its table itself at start-up instead of through the Alembic migrations,
keeps no user name beside the session, so ending one person's sessions would mean decoding every row,
and stores the raw session id. A per-person generation counter would end all of a person's sessions but
never just one. This module needs no Flask: the web tool's SessionInterface (kudos.web.sessions) calls it,
and so do erasure and `flask prune`.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from kudos.models import WebSession


def new_id() -> str:
    return secrets.token_urlsafe(32)


def _key(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def load(connection: Connection, session_id: str, now: datetime) -> tuple[str, datetime] | None:
    """The stored data and end of a live session, or None when it ended, expired or never existed."""
    row = connection.execute(
        select(WebSession.data, WebSession.expires_at)
        .where(WebSession.id_hash == _key(session_id), WebSession.expires_at > now)).first()
    return (row.data, row.expires_at) if row else None


def create(session: Session, session_id: str, username: str | None, data: str, now: datetime,
           expires_at: datetime) -> None:
    session.add(WebSession(id_hash=_key(session_id), username=username, data=data, created_at=now,
                           expires_at=expires_at))


def replace_data(session: Session, session_id: str, data: str, now: datetime) -> bool:
    """Store new data for a live session; False when it has ended meanwhile (it stays ended)."""
    result = session.execute(
        update(WebSession).where(WebSession.id_hash == _key(session_id), WebSession.expires_at > now)
        .values(data=data).execution_options(synchronize_session=False))
    return bool(result.rowcount)  # type: ignore[attr-defined]


def end(session: Session, session_id: str) -> None:
    session.execute(delete(WebSession).where(WebSession.id_hash == _key(session_id))
                    .execution_options(synchronize_session=False))


def end_all(session: Session, username: str) -> int:
    """End every session of this user name (exact: `E` is not `Ee`), on every device."""
    result = session.execute(delete(WebSession).where(WebSession.username == username)
                             .execution_options(synchronize_session=False))
    return int(result.rowcount)  # type: ignore[attr-defined]


def prune(session: Session, now: datetime) -> int:
    result = session.execute(delete(WebSession).where(WebSession.expires_at <= now)
                             .execution_options(synchronize_session=False))
    return int(result.rowcount)  # type: ignore[attr-defined]
