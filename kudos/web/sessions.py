"""Flask's session, kept in the database (kudos.sessions explains why and how); the cookie holds a signed id.

A session gets a row only once it holds something (a CSRF token, a sign-in, a message to show), so the
public wall and the health check never write. A new id is issued whenever the signed-in person changes —
sign-in, sign-out, or a test that sets `session["user"]` — and the old row is deleted, so an id planted
before sign-in is worthless after it. A signed-in session ends `session_lifetime_hours` after sign-in;
an anonymous one (a CSRF token, the OAuth handshake's request token) after an hour at most.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, Request, Response, session
from flask.json.tag import TaggedJSONSerializer
from flask.sessions import SecureCookieSession, SessionInterface
from itsdangerous import BadSignature, Signer

from kudos import clock, sessions
from kudos.config import Config
from kudos.db import Database

ANONYMOUS_LIFETIME = timedelta(hours=1)
SALT = "kudos.session-id.v1"


class StoredSession(SecureCookieSession):
    def __init__(self, initial: Any = None, session_id: str | None = None, username: str | None = None,
                 expires_at: datetime | None = None) -> None:
        super().__init__(initial)
        self.session_id = session_id
        self.stored_username = username
        self.expires_at = expires_at
        self.renew = False
        self.stale_cookie = False  # the browser sent the id of a session that has ended

    def start_over(self) -> None:
        """Forget everything, and have the next response carry a new id (the old one ends)."""
        self.clear()
        self.renew = True


def _username(session: StoredSession) -> str | None:
    user = session.get("user")
    name = user.get("username") if isinstance(user, dict) else None
    return str(name) if name else None


class DatabaseSessionInterface(SessionInterface):
    serializer = TaggedJSONSerializer()

    def __init__(self, config: Config, database: Database) -> None:
        self.lifetime = config.session_lifetime
        self.database = database

    def _signer(self, app: Flask) -> Signer:
        return Signer(app.secret_key or "", salt=SALT, key_derivation="hmac", digest_method=hashlib.sha256)

    def open_session(self, app: Flask, request: Request) -> StoredSession:
        cookie = request.cookies.get(self.get_cookie_name(app))
        if not cookie:
            return StoredSession()
        try:
            session_id = self._signer(app).unsign(cookie).decode("ascii")
        except (BadSignature, UnicodeDecodeError):
            session_id = None
        found = None
        if session_id is not None:
            with self.database.engine.connect() as connection:
                found = sessions.load(connection, session_id, clock.utcnow())
        if found is None:  # forged, ended or expired: the browser is anonymous now, and may drop the cookie
            anonymous = StoredSession()
            anonymous.stale_cookie = True
            return anonymous
        data, expires_at = found
        stored = StoredSession(self.serializer.loads(data), session_id, expires_at=expires_at)
        stored.stored_username = _username(stored)
        return stored

    def save_session(self, app: Flask, session: StoredSession, response: Response) -> None:  # type: ignore[override]
        if session.accessed:
            response.vary.add("Cookie")
        username = _username(session)
        renew = session.renew or username != session.stored_username
        if not (session.modified or renew):
            if session.stale_cookie:
                self._forget_cookie(app, response, had_one=True)
            return
        if not session:
            if session.session_id:
                with self.database.transaction() as db:
                    sessions.end(db, session.session_id)
            self._forget_cookie(app, response, had_one=bool(session.session_id) or session.stale_cookie)
            return
        now = clock.utcnow()
        with self.database.transaction() as db:
            if session.session_id and renew:
                sessions.end(db, session.session_id)
            if not renew and session.session_id:
                if sessions.replace_data(db, session.session_id, self.serializer.dumps(dict(session)), now):
                    return
                # Ended while this request ran: it stays ended, whatever this request wanted to keep.
                self._forget_cookie(app, response, had_one=True)
                return
            session.session_id = sessions.new_id()
            session.expires_at = now + (self.lifetime if username else min(self.lifetime, ANONYMOUS_LIFETIME))
            sessions.create(db, session.session_id, username, self.serializer.dumps(dict(session)), now,
                            session.expires_at)
        response.set_cookie(
            self.get_cookie_name(app), self._signer(app).sign(session.session_id).decode("ascii"),
            # A signed-in session's cookie ends with it; an anonymous one's when the browser closes.
            expires=session.expires_at if username else None,
            httponly=self.get_cookie_httponly(app), domain=self.get_cookie_domain(app),
            path=self.get_cookie_path(app), secure=self.get_cookie_secure(app),
            samesite=self.get_cookie_samesite(app), partitioned=self.get_cookie_partitioned(app))
        response.vary.add("Cookie")

    def _forget_cookie(self, app: Flask, response: Response, had_one: bool) -> None:
        if had_one:
            response.delete_cookie(
                self.get_cookie_name(app), domain=self.get_cookie_domain(app), path=self.get_cookie_path(app),
                secure=self.get_cookie_secure(app), httponly=self.get_cookie_httponly(app),
                samesite=self.get_cookie_samesite(app), partitioned=self.get_cookie_partitioned(app))
            response.vary.add("Cookie")


def init_app(app: Flask, config: Config, database: Database) -> None:
    app.session_interface = DatabaseSessionInterface(config, database)


def untouched() -> bool:
    """Whether the request brought no session and its answer will start none: no row, no cookie."""
    current = session._get_current_object()  # type: ignore[attr-defined]
    return (isinstance(current, StoredSession) and current.session_id is None and not current
            and not (current.modified or current.renew or current.stale_cookie))


def start_over() -> None:
    """The current session forgets everything and ends; the next response gives the browser a new id."""
    current = session._get_current_object()  # type: ignore[attr-defined]
    if isinstance(current, StoredSession):
        current.start_over()
    else:
        current.clear()
