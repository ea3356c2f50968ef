"""Helpers for the social-channel tests: approved nominations with their outbox rows, and the job's part."""

from __future__ import annotations

import itertools
import secrets
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from kudos import nominations, people
from kudos.channels import Posted
from kudos.config import Config
from kudos.db import Database
from kudos.models import Base, Consent, Delivery, DeliveryStatus, Nomination
from kudos.outbox import is_social
from tests.factories import make_campaign, make_nomination
from tests.support import make_config

_slugs = itertools.count(1)
MESSAGE = "Wrote three fine articles about rivers — thanks @everyone & <b>all</b>!"


def sqlite_database(folder: Path) -> Database:
    database = Database(f"sqlite:///{folder}/kudos.sqlite")
    Base.metadata.create_all(database.engine)
    return database


def social_config(channels: dict[str, dict[str, Any]], **overrides: Any) -> Config:
    # A fresh tool URL per test: the servers live for the session and ids restart in each test's database.
    return make_config(channels=channels, tool_url=f"https://kudos.test/{secrets.token_hex(4)}", **overrides)


def approve(database: Database, config: Config, channels: list[str], recipient: str = "Ravi",
            consent: Consent | None = Consent.granted, message: str = MESSAGE) -> int:
    """An approved nomination on a campaign with these channels; returns its id."""
    with database.transaction() as session:
        campaign = make_campaign(session, config, slug=f"campaign-{next(_slugs)}", channels=tuple(channels))
        if consent is not None:
            people.set_consent(session, recipient, consent)
        nomination = make_nomination(session, config, campaign, recipient=recipient, message=message)
        nominations.approve(session, config, nomination, "Olga Organizer")
        return nomination.id


def social_deliveries(session: Session, nomination_id: int,
                      status: DeliveryStatus | None = DeliveryStatus.pending) -> list[Delivery]:
    """What the job would claim: the nomination's social deliveries (in `status`), nomination loaded."""
    query = (select(Delivery).options(selectinload(Delivery.nomination).selectinload(Nomination.campaign))
             .where(Delivery.nomination_id == nomination_id).order_by(Delivery.id))
    if status is not None:
        query = query.where(Delivery.status == status)
    return [d for d in session.scalars(query) if is_social(d.channel)]


def by_channel(session: Session, nomination_id: int, results: dict[int, Any]) -> dict[str, Any]:
    names = {d.id: d.channel for d in social_deliveries(session, nomination_id, status=None)}
    return {names[delivery_id]: outcome for delivery_id, outcome in results.items()}


def record(database: Database, results: dict[int, Any]) -> None:
    """The job's part, reduced to what these tests need: Posted → done with the post's id."""
    with database.transaction() as session:
        for delivery_id, outcome in results.items():
            if isinstance(outcome, Posted):
                delivery = session.get(Delivery, delivery_id)
                assert delivery is not None
                delivery.status = DeliveryStatus.done
                delivery.external_id, delivery.external_url = outcome.external_id, outcome.url
