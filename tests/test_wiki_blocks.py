"""Reviewing actions ask the campaign's wiki, at the time of acting, whether the person is blocked there.

The session remembers what Meta-Wiki said at sign-in; a block placed afterwards, or a local block on the
campaign's wiki (which Meta's identify never reports), must still stop approving, rejecting, approving
many, retrying, appointing and bulk nominating. Tested against the real local MediaWiki.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from kudos import campaigns, nominations
from kudos.clock import utcnow
from kudos.config import Config
from kudos.db import Database
from kudos.models import AuditEvent, CampaignKind, CampaignMember, Delivery, DeliveryStatus, Nomination
from kudos.web import create_app
from tests.servers.mediawiki import LocalWiki
from tests.stub_http import free_port
from tests.support import make_config
from tests.wiki_people import create_accounts

OLGA = "Blk Olga"  # creator and organizer of the campaign: allowed everything while not blocked
PEOPLE = [OLGA, "Blk Oscar", "Blk Nina", "Blk Ravi", "Blk Rita", "Blk Sam", "Blk Newbie"]
MESSAGE = "Wrote three fine articles about rivers."

# Run once, on SQLite: the behaviour is the wiki's, not the database's.
pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)


@pytest.fixture(scope="module")
def wiki(local_wiki: LocalWiki) -> LocalWiki:
    create_accounts(local_wiki, PEOPLE)
    return local_wiki


@pytest.fixture
def blocked_olga(wiki: LocalWiki) -> Iterator[None]:
    wiki.block(OLGA)
    try:
        yield
    finally:
        wiki.unblock(OLGA)


def _config(database: Database, api_url: str) -> Config:
    return make_config(database_url=database.url, admins=["Ada"],
                       wikis={"testwiki": {"api_url": api_url, "language": "en", "name": "Test Wiki"}})


def _seed(database: Database, config: Config) -> dict[str, int]:
    with database.transaction() as session:
        campaign = campaigns.create(session, config, slug="blk", name="Blocks", wiki="testwiki", actor=OLGA,
                                    kind=CampaignKind.event, organizers=[OLGA],
                                    starts=utcnow() - timedelta(days=1))
        pending = [nominations.nominate(session, config, campaign=campaign, nominator="Blk Nina", recipient=name,
                                        award="barnstar", message=MESSAGE).id for name in ("Blk Ravi", "Blk Rita")]
        done = nominations.nominate(session, config, campaign=campaign, nominator="Blk Nina", recipient="Blk Sam",
                                    award="barnstar", message=MESSAGE)
        nominations.approve(session, config, done, "Ada")
        talk = done.deliveries[0]
        talk.status, talk.last_error = DeliveryStatus.failed, "The page is protected."
        session.flush()
        return {"ravi": pending[0], "rita": pending[1], "failed": talk.id}


def _app(database: Database, config: Config) -> Flask:
    app = create_app(config, database)
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def _signed_in(app: Flask, username: str = OLGA) -> FlaskClient:
    client = app.test_client()
    with client.session_transaction() as session:
        session["user"] = {"username": username, "editcount": 500, "blocked": False}  # as Meta said at sign-in
    return client


def _state(database: Database) -> tuple[object, ...]:
    with database.session() as session:
        return (
            sorted(session.execute(select(Nomination.id, Nomination.status)).all()),
            sorted(session.execute(select(Delivery.id, Delivery.status)).all()),
            sorted(session.scalars(select(CampaignMember.username))),
            session.scalar(select(func.count()).select_from(AuditEvent)),
        )


def _every_reviewing_action(client: FlaskClient, ids: dict[str, int]) -> dict[str, tuple[int, str]]:
    posts = {
        "approve": (f"/review/{ids['ravi']}/approve", {}),
        "approve with an edit": (f"/review/{ids['ravi']}/approve", {"message": "Edited: " + MESSAGE}),
        "reject": (f"/review/{ids['ravi']}/reject", {"reason": "Not about this event."}),
        "approve selected": ("/review/approve-selected", {"ids": [str(ids["ravi"]), str(ids["rita"])]}),
        "retry": (f"/deliveries/{ids['failed']}/retry", {}),
        "appoint": ("/campaigns/blk/organizers", {"username": "Blk Oscar"}),
        "bulk": ("/campaigns/blk/bulk", {"names": "Blk Newbie", "award": "barnstar",
                                         "message": "Thanks for editing all day at the workshop."}),
    }
    seen = {}
    for what, (path, data) in posts.items():
        response = client.post(path, data=data)
        # approve-selected reports each refusal on the page it returns to.
        text = client.get("/review").get_data(as_text=True) if response.status_code == 302 else \
            response.get_data(as_text=True)
        seen[what] = (response.status_code, text)
    return seen


def test_an_organizer_blocked_on_the_wiki_after_signing_in_can_no_longer_act(
        database: Database, wiki: LocalWiki, blocked_olga: None) -> None:
    config = _config(database, wiki.api_url)
    ids = _seed(database, config)
    before = _state(database)
    seen = _every_reviewing_action(_signed_in(_app(database, config)), ids)
    for what, (status, text) in seen.items():
        assert status == (302 if what == "approve selected" else 403), what
        assert "Your account is blocked on Test Wiki" in text, what
    assert "Approved 0 of 2 selected nominations." in seen["approve selected"][1]
    assert _state(database) == before  # nothing approved, rejected, retried, appointed or nominated


def test_the_same_organizer_acts_while_not_blocked(database: Database, wiki: LocalWiki) -> None:
    config = _config(database, wiki.api_url)
    ids = _seed(database, config)
    client = _signed_in(_app(database, config))
    assert client.post(f"/review/{ids['ravi']}/reject", data={"reason": "Not about this event."}).status_code == 302
    assert client.post("/review/approve-selected", data={"ids": [str(ids["rita"])]}).status_code == 302
    assert client.post(f"/deliveries/{ids['failed']}/retry").status_code == 302
    assert client.post("/campaigns/blk/organizers", data={"username": "Blk Oscar"}).status_code == 302
    with database.session() as session:
        assert {n.recipient: n.status.value for n in session.scalars(select(Nomination))} == {
            "Blk Ravi": "rejected", "Blk Rita": "approved", "Blk Sam": "approved"}
        assert session.get(Delivery, ids["failed"]).status == DeliveryStatus.pending  # type: ignore[union-attr]
        assert "Blk Oscar" in session.scalars(select(CampaignMember.username)).all()


def test_a_wiki_that_cannot_be_asked_refuses_reviewing_actions(database: Database) -> None:
    """Not knowing is not permission: nothing is changed and the person is told why and what to do."""
    config = _config(database, f"http://127.0.0.1:{free_port()}/api.php")  # nothing listens there
    ids = _seed(database, config)
    before = _state(database)
    seen = _every_reviewing_action(_signed_in(_app(database, config)), ids)
    for what, (status, text) in seen.items():
        assert status == (302 if what == "approve selected" else 503), what
        assert "Kudos could not ask Test Wiki whether your account is blocked there" in text, what
    assert _state(database) == before


def test_a_block_on_the_campaigns_wiki_does_not_stop_reading(database: Database, wiki: LocalWiki,
                                                            blocked_olga: None) -> None:
    config = _config(database, wiki.api_url)
    _seed(database, config)
    client = _signed_in(_app(database, config))
    for path in ("/review", "/campaigns/blk/deliveries", "/campaigns/blk/organizers", "/campaigns/blk/bulk", "/me"):
        assert client.get(path).status_code == 200, path
