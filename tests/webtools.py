"""Helpers for view tests: an app on the test database, demo sessions, and delivered shout-outs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from sqlalchemy.orm import Session

from kudos import nominations, people
from kudos.clock import utcnow
from kudos.config import Config
from kudos.db import Database
from kudos.models import Campaign, Consent, DeliveryStatus, Nomination
from kudos.web import create_app
from tests.factories import make_nomination
from tests.support import make_config


def web_config(database: Database, **overrides: object) -> Config:
    overrides.setdefault("admins", ["Ada"])
    return make_config(database_url=database.url, **overrides)


def web_app(database: Database, config: Config | None = None, csrf: bool = False) -> Flask:
    app = create_app(config or web_config(database), database)
    app.config["WTF_CSRF_ENABLED"] = csrf
    return app


def sign_in_as(client: FlaskClient, username: str | None, **extra: object) -> FlaskClient:
    with client.session_transaction() as session:
        session.clear()
        if username:
            session["user"] = {"username": username, "editcount": 500, **extra}
    return client


def deliver(session: Session, config: Config, campaign: Campaign, recipient: str, *, consent: Consent | None = None,
            nominator: str = "Nina", reviewer: str = "Olga Organizer", message: str | None = None,
            at: datetime | None = None) -> Nomination:
    """A nomination approved and delivered on every channel, as the wall sees it."""
    if consent is not None:
        people.set_consent(session, recipient, consent)
    nomination = make_nomination(session, config, campaign, nominator=nominator, recipient=recipient,
                                 **({"message": message} if message else {}))
    nominations.approve(session, config, nomination, reviewer)
    for delivery in nomination.deliveries:
        delivery.status = DeliveryStatus.done
        delivery.done_at = at or utcnow()
    session.flush()
    return nomination


@contextmanager
def count_queries(database: Database) -> Iterator[list[str]]:
    """Every SQL statement the engine runs inside the block."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, _parameters, _context, _executemany):  # type: ignore[no-untyped-def]
        seen.append(statement)

    event.listen(database.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(database.engine, "before_cursor_execute", record)
