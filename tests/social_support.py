"""Helpers for the social-channel tests: the session's servers as channels, approved nominations with their
outbox rows."""

from __future__ import annotations

import itertools
import secrets
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from kudos import nominations, people
from kudos.config import Config
from kudos.db import Database
from kudos.models import Base, Consent, Delivery, DeliveryStatus, Nomination
from kudos.outbox import is_social
from tests.factories import make_campaign, make_nomination
from tests.servers.bluesky import LocalPDS
from tests.servers.chat_stubs import ChatStubs
from tests.servers.mastodon import MastodonMock
from tests.servers.matrix import LocalSynapse
from tests.support import make_config

_slugs = itertools.count(1)
MESSAGE = "Wrote three fine articles about rivers — thanks @everyone & <b>all</b>!"


def sqlite_database(folder: Path) -> Database:
    database = Database(f"sqlite:///{folder}/kudos.sqlite")
    Base.metadata.create_all(database.engine)
    return database


ALL = ["matrix", "bluesky", "mastodon", "telegram", "discord", "slack", "zulip"]
CHAT_ID = "-1001234567890"


@pytest.fixture(scope="module")
def matrix_room(synapse: LocalSynapse) -> dict[str, str]:
    _user, token = synapse.register_user(f"kudos{secrets.token_hex(3)}", "bot-password")
    room = synapse.create_room(token, "Kudos announcements")
    return {"token": token, "room_id": room}


@pytest.fixture(scope="module")
def bluesky_account(bluesky_pds: LocalPDS) -> dict[str, str]:
    handle, did, app_password = bluesky_pds.create_account("kudos")
    return {"handle": handle, "did": did, "app_password": app_password}


@pytest.fixture
def database(tmp_path: Path) -> Database:
    return sqlite_database(tmp_path)


def channel_settings(synapse: LocalSynapse, matrix_room: dict[str, str], bluesky_pds: LocalPDS,
                     bluesky_account: dict[str, str], mastodon_server: MastodonMock,
                     chat_stubs: ChatStubs) -> dict[str, dict[str, Any]]:
    """Seven channels pointing at this session's servers and stubs."""
    return {
        "matrix": {"type": "matrix", "homeserver": synapse.base_url, "access_token": matrix_room["token"],
                   "room_id": matrix_room["room_id"]},
        "bluesky": {"type": "bluesky", "base_url": bluesky_pds.base_url, "identifier": bluesky_account["handle"],
                    "app_password": bluesky_account["app_password"], "hashtags": ["Wikipedia"]},
        "mastodon": {"type": "mastodon", "base_url": mastodon_server.base_url,
                     "access_token": mastodon_server.token, "hashtags": ["Wikipedia", "Kudos"]},
        "telegram": {"type": "telegram", "base_url": chat_stubs.telegram_base_url,
                     "bot_token": chat_stubs.telegram_token, "chat_id": CHAT_ID},
        "discord": {"type": "discord", "webhook_url": chat_stubs.discord_webhook_url()},
        "slack": {"type": "slack", "webhook_url": chat_stubs.slack_webhook_url()},
        "zulip": {"type": "zulip", "site": chat_stubs.zulip_site, "email": chat_stubs.zulip_email,
                  "api_key": chat_stubs.zulip_key, "stream": "general", "topic": "Kudos"},
    }


@pytest.fixture
def servers(synapse: LocalSynapse, matrix_room: dict[str, str], bluesky_pds: LocalPDS,
            bluesky_account: dict[str, str], mastodon_server: MastodonMock, chat_stubs: ChatStubs) -> Config:
    """A configuration whose seven channels point at this session's servers and stubs (emptied first)."""
    mastodon_server.reset()
    return social_config(channel_settings(synapse, matrix_room, bluesky_pds, bluesky_account, mastodon_server,
                                          chat_stubs))


def social_config(channels: dict[str, dict[str, Any]], **overrides: Any) -> Config:
    # A fresh tool URL per test: the servers live for the session and ids restart in each test's database.
    return make_config(channels=channels, tool_url=f"https://kudos.example.org/{secrets.token_hex(4)}", **overrides)


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
