"""Sessions live in the database: logout, erasure and “sign out everywhere” end them for good, and they expire.

Each test signs in through the real demo login form (CSRF token included) and carries the session cookie
between test clients as a copied cookie or a second device would; two apps on one database stand for two
gunicorn workers, or the tool before and after a restart.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from flask.testing import FlaskClient
from sqlalchemy import func, select

from kudos import clock, maintenance
from kudos.db import Database
from kudos.models import WebSession
from kudos.web import create_app
from tests.support import make_config

COOKIE = "kudos_session"
TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def _app(database: Database, **overrides: object) -> Flask:
    overrides.setdefault("admins", ["Ada"])
    return create_app(make_config(database_url=database.url, **overrides), database)


def _token(client: FlaskClient, path: str) -> str:
    found = TOKEN.search(client.get(path).get_data(as_text=True))
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def _sign_in(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    response = client.post("/login", data={"username": username, "csrf_token": _token(client, "/login")})
    assert response.status_code == 302
    assert _who(client) == username
    return client


def _cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None
    return cookie.value


def _device(app: Flask, cookie: str) -> FlaskClient:
    """Another browser holding a copy of the cookie."""
    client = app.test_client()
    client.set_cookie(COOKIE, cookie)
    return client


def _who(client: FlaskClient) -> str | None:
    response = client.get("/me")
    if response.status_code == 302:
        assert "/login" in response.headers["Location"]
        return None
    assert response.status_code == 200
    found = re.search(r'class="kudos-account__who">[^<]*<bdi>([^<]+)</bdi>', response.get_data(as_text=True))
    assert found, "a signed-in page names the person in the header"
    return found.group(1)


def _rows(database: Database, username: str | None = None) -> int:
    with database.session() as session:
        query = select(func.count()).select_from(WebSession)
        if username is not None:
            query = query.where(WebSession.username == username)
        return session.scalar(query) or 0


def test_a_copied_cookie_is_dead_after_logout_in_every_worker(database: Database) -> None:
    worker_a, worker_b = _app(database), _app(database)
    client = _sign_in(worker_a, "Alice")
    copy = _cookie(client)
    assert _who(_device(worker_b, copy)) == "Alice"  # the other worker knows the session: it is in the database
    response = client.post("/logout", data={"csrf_token": _token(client, "/me")})
    assert response.status_code == 302
    assert _who(_device(worker_a, copy)) is None
    assert _who(_device(worker_b, copy)) is None
    assert _who(_device(_app(database), copy)) is None  # nor after a restart
    assert _rows(database, "Alice") == 0
    stale = _device(worker_a, copy)
    stale.get("/")
    assert stale.get_cookie(COOKIE) is None  # the dead cookie is dropped, so it is not looked up again


def test_a_session_survives_a_restart(database: Database) -> None:
    copy = _cookie(_sign_in(_app(database), "Alice"))
    assert _who(_device(_app(database), copy)) == "Alice"


def test_erasure_ends_every_session_of_the_person_and_no_one_elses(database: Database) -> None:
    app = _app(database)
    laptop, phone, other = _sign_in(app, "Alice"), _sign_in(app, "Alice"), _sign_in(app, "Alice Smith")
    response = laptop.post("/me/delete", data={"confirm": "y", "csrf_token": _token(laptop, "/me/delete")})
    assert response.status_code == 200
    assert _who(laptop) is None and _who(phone) is None
    assert _who(other) == "Alice Smith"
    assert _rows(database, "Alice") == 0


def test_sign_out_everywhere_ends_all_of_my_sessions(database: Database) -> None:
    app = _app(database)
    laptop, phone, other = _sign_in(app, "Ee"), _sign_in(app, "Ee"), _sign_in(app, "E")
    page = laptop.get("/me").get_data(as_text=True)
    assert 'action="/logout/everywhere"' in page
    response = laptop.post("/logout/everywhere", data={"csrf_token": _token(laptop, "/me")})
    assert response.status_code == 302
    assert _who(laptop) is None and _who(phone) is None
    assert _who(other) == "E"


def test_sign_out_everywhere_needs_the_csrf_token(database: Database) -> None:
    app = _app(database)
    laptop, phone = _sign_in(app, "Alice"), _sign_in(app, "Alice")
    assert phone.post("/logout/everywhere").status_code == 400
    assert _who(laptop) == "Alice" and _who(phone) == "Alice"


def test_a_request_that_outlives_the_logout_does_not_bring_the_session_back(database: Database) -> None:
    app = _app(database)
    client = _sign_in(app, "Alice")
    late = _device(app, _cookie(client))
    with late.session_transaction() as session:  # opened before the logout, saved after it
        client.post("/logout", data={"csrf_token": _token(client, "/me")})
        session["note"] = "written by a slow request"
    assert _who(_device(app, _cookie(client) if client.get_cookie(COOKIE) else "")) is None
    assert _who(late) is None
    assert _rows(database, "Alice") == 0


def test_signing_in_starts_a_new_session_id(database: Database) -> None:
    app = _app(database)
    client = app.test_client()
    token = _token(client, "/login")
    anonymous = _cookie(client)
    client.post("/login", data={"username": "Alice", "csrf_token": token})
    assert _cookie(client) != anonymous
    planted = _device(app, anonymous)  # a session id planted before sign-in never becomes Alice's
    assert _who(planted) is None


def test_the_database_never_holds_the_cookie(database: Database) -> None:
    cookie = _cookie(_sign_in(_app(database), "Alice"))
    session_id = cookie.rsplit(".", 1)[0]
    with database.session() as session:
        stored = session.scalars(select(WebSession.id_hash)).all()
    assert stored and session_id not in stored and cookie not in stored
    assert hashlib.sha256(session_id.encode()).hexdigest() in stored


def test_a_cookie_forged_with_the_secret_key_opens_nothing(database: Database) -> None:
    """The old scheme: whoever knew secret_key could sign {"user": …} and be anyone. Now it holds only an id."""
    app = _app(database)
    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    assert serializer is not None
    forged = serializer.dumps({"user": {"username": "Ada", "editcount": 5000}})
    client = _device(app, forged)
    refused = client.get("/admin/deliveries")  # Ada is an admin: the forged cookie would open it
    assert refused.status_code == 302 and refused.headers["Location"].startswith("/login")
    assert _who(client) is None


def _frozen(monkeypatch: pytest.MonkeyPatch, moment: datetime) -> None:
    monkeypatch.setattr(clock, "utcnow", lambda: moment)


def test_sessions_end_after_the_configured_lifetime(database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    start = datetime(2026, 12, 1, 9, 0, 0)
    _frozen(monkeypatch, start)
    app = _app(database, session_lifetime_hours=2)
    client = _sign_in(app, "Alice")
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None and cookie.expires is not None
    assert abs(cookie.expires.replace(tzinfo=None) - (start + timedelta(hours=2))) <= timedelta(seconds=1)
    _frozen(monkeypatch, start + timedelta(hours=2) - timedelta(seconds=1))
    assert _who(client) == "Alice"
    _frozen(monkeypatch, start + timedelta(hours=2))
    assert _who(client) is None


def test_the_default_lifetime_is_half_a_day(database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    start = datetime(2026, 12, 1, 9, 0, 0)
    _frozen(monkeypatch, start)
    client = _sign_in(_app(database), "Alice")
    _frozen(monkeypatch, start + timedelta(hours=12))
    assert _who(client) is None


def test_prune_deletes_expired_sessions_and_keeps_live_ones(database: Database,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    start = datetime(2026, 12, 1, 9, 0, 0)
    _frozen(monkeypatch, start)
    app = _app(database, session_lifetime_hours=1)
    _sign_in(app, "Alice")
    _frozen(monkeypatch, start + timedelta(minutes=90))
    live = _sign_in(app, "Bob")
    before = _rows(database)
    with database.transaction() as session:
        report = maintenance.prune(session, app.extensions["kudos.config"], start + timedelta(minutes=90))
    assert report.sessions_deleted == 1
    assert _rows(database, "Alice") == 0 and _rows(database) == before - report.sessions_deleted
    assert _who(live) == "Bob"
    assert any("sessions" in line for line in report.lines())


@pytest.mark.parametrize("hours", [0, -1, 2.5, "twelve", True, 24 * 91])
def test_a_lifetime_that_is_not_whole_hours_is_refused(hours: object) -> None:
    from kudos.errors import ConfigError

    with pytest.raises(ConfigError, match="“session_lifetime_hours” must be a whole number of hours"):
        make_config(session_lifetime_hours=hours)


def test_a_new_secret_key_signs_everyone_out(database: Database) -> None:
    """toolforge/README.md: changing TOOL_SECRET_KEY signs everyone out (the cookie's signature no longer holds)."""
    cookie = _cookie(_sign_in(_app(database), "Alice"))
    assert _who(_device(_app(database), cookie)) == "Alice"  # the same key: still Alice
    assert _who(_device(_app(database, secret_key=secrets.token_hex(32)), cookie)) is None
