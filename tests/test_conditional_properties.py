"""For every sequence of changes: a poll told "304 Not Modified" would have got exactly what it already has.

Changes come from the tool's own rules (nominating, approving, the delivery job, consent, opt-out, renames,
erasure, edits), with names that collide by prefix and case; after each one, every polled address is asked
again with the ETag it gave before.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from kudos import accounts, campaigns, nominations, people, privacy
from kudos.config import Config
from kudos.db import Database
from kudos.errors import DomainError
from kudos.models import Consent, Nomination, NominationStatus
from tests.factories import make_campaign
from tests.privacy_support import empty
from tests.test_conditional import deliver_all
from tests.webtools import web_app, web_config

NAMES = ["Ana", "Ananya", "E", "Ee", "Great", "Greatness"]
POLLED = ["/feed.atom", "/campaigns/c0/feed.atom", "/campaigns/c1/feed.atom", "/api/v1/shoutouts",
          "/api/v1/shoutouts?limit=1", "/api/v1/shoutouts?wiki=enwiki", "/feed.atom?uselang=or"]

name = st.sampled_from(NAMES)
index = st.integers(0, 20)
change = st.one_of(
    st.tuples(st.just("nominate"), name, st.integers(0, 1),
              st.sampled_from(["Thanks for the maps!", "Great work on E."])),
    st.tuples(st.just("approve"), index),
    st.tuples(st.just("deliver"), st.sampled_from([("talkpage",), ("mastodon",)])),
    st.tuples(st.just("consent"), name, st.sampled_from([Consent.granted, Consent.refused])),
    st.tuples(st.just("opt_out"), name),
    st.tuples(st.just("rename"), name, name),
    st.tuples(st.just("edit"), index, st.sampled_from(["Edited for tone.", "Ee was great, and Ana too."])),
    st.tuples(st.just("erase"), name),
)


def _nth(session: Any, status: NominationStatus, number: int) -> Nomination:
    rows = list(session.scalars(select(Nomination).where(Nomination.status == status).order_by(Nomination.id)))
    if not rows:
        raise DomainError("kudos-error-notfound-title")
    return rows[number % len(rows)]


def _apply(database: Database, config: Config, kind: str, *args: Any) -> None:
    if kind == "deliver":
        deliver_all(database, args[0])
        return
    with database.transaction() as session:
        if kind == "nominate":
            recipient, campaign, message = args
            nominations.nominate(session, config, campaign=campaigns.get(session, f"c{campaign}"), nominator="Nina",
                                 recipient=recipient, award="barnstar", message=message, link="Mahanadi")
        elif kind == "approve":
            nominations.approve(session, config, _nth(session, NominationStatus.pending, args[0]), "Olga Organizer")
        elif kind == "consent":
            people.set_consent(session, args[0], args[1])
        elif kind == "opt_out":
            people.set_opt_out(session, args[0], True)
        elif kind == "rename":
            accounts.rename(session, args[0], args[1], wiki="orwiki", actor="Kudos", reason="renamed")
        elif kind == "edit":
            _nth(session, NominationStatus.approved, args[0]).message = args[1]
        else:
            privacy.erase(session, config, args[0])


@pytest.fixture
def site(database: Database) -> tuple[Database, Config, Flask]:
    config = web_config(database, channels={"mastodon": {"type": "mastodon"}},
                        ratelimit={"nominations_per_day": 1000, "api": "100000 per minute"})  # polls galore
    return database, config, web_app(database, config)


@settings(max_examples=int(os.environ.get("KUDOS_HYPOTHESIS_EXAMPLES", "10")), deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(thanked=st.lists(st.tuples(name, st.integers(0, 1), st.booleans()), min_size=1, max_size=4),
       changes=st.lists(change, min_size=2, max_size=10))
def test_a_304_is_only_ever_said_of_an_unchanged_answer(site: tuple[Database, Config, Flask],
                                                        thanked: list[tuple[str, int, bool]],
                                                        changes: list[tuple[Any, ...]]) -> None:
    database, config, app = site
    empty(database)
    with database.transaction() as session:
        for number, wiki in enumerate(("orwiki", "enwiki")):
            make_campaign(session, config, slug=f"c{number}", wiki=wiki, channels=("mastodon",))
    # A wall to start from: shout-outs delivered, some of them to people who agreed to sharing.
    for recipient, campaign, agreed in thanked:
        for kind, *args in (("nominate", recipient, campaign, "Thanks for the maps!"), ("approve", -1),
                            ("consent", recipient, Consent.granted if agreed else Consent.refused)):
            try:
                _apply(database, config, kind, *args)
            except DomainError:
                pass
    deliver_all(database)
    client = app.test_client()
    seen = {path: client.get(path) for path in POLLED}
    assert seen["/api/v1/shoutouts"].get_json()["shoutouts"]  # something to change
    for kind, *args in changes:
        try:
            _apply(database, config, kind, *args)
        except DomainError:
            pass  # refused by the rules (a duplicate, one's own nomination …): nothing changed
        for path, before in seen.items():
            polled = client.get(path, headers={"If-None-Match": before.headers["ETag"]})
            now = client.get(path)
            if polled.status_code == 304:
                assert now.data == before.data, (kind, args, path)
            else:
                assert polled.status_code == 200 and polled.data == now.data, (kind, args, path)
                event(f"a new answer after {kind}")
            seen[path] = now
