"""Export and erasure: after deleting, no row in any table names the person, and the wall forgets them."""

from __future__ import annotations

import json
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from kudos import campaigns, nominations, people, privacy
from kudos.db import Database
from kudos.models import (
    AuditEvent,
    Base,
    CampaignKind,
    Consent,
    Delivery,
    DeliveryStatus,
    MemberRole,
    Nomination,
    NominationStatus,
)
from kudos.web import create_app
from tests.factories import make_campaign, make_nomination
from tests.support import make_config

NAME = "Zelda Quux"
FORMS = ("Zelda Quux", "Zelda_Quux", "Zelda%20Quux", "Zelda")
TALK_URL = "https://or.wikipedia.org/w/index.php?title=User_talk:Zelda_Quux&oldid=5"
POST_URL = "https://wikis.world/@kudos/110000000000000001"


def _deliver(nomination: Nomination, urls: dict[str, str | None]) -> None:
    for delivery in nomination.deliveries:
        delivery.status = DeliveryStatus.done
        delivery.external_url = urls.get(delivery.channel)


def _seed(database: Database) -> dict[str, int]:
    config = make_config(database_url=database.url)
    with database.transaction() as session:
        campaign = make_campaign(session, config, organizers=("Olga",), channels=("mastodon",))
        people.set_consent(session, NAME, Consent.granted)
        received = make_nomination(session, config, campaign, nominator="Nina", recipient=NAME,
                                   message="Zelda Quux photographed every temple in Puri.")
        nominations.approve(session, config, received, "Olga")
        _deliver(received, {"talkpage": TALK_URL, "mastodon": POST_URL})
        made = make_nomination(session, config, campaign, nominator=NAME, recipient="Ravi")
        mention = make_nomination(session, config, campaign, nominator="Nina", recipient="Ravi Kumar",
                                  message="Ravi Kumar and Zelda Quux ran the workshop together.")
        nominations.approve(session, config, mention, "Olga")
        own = campaigns.create(session, config, slug="zelda-walk", name="Photo walk", wiki="orwiki", actor=NAME,
                               kind=CampaignKind.event, organizers=[NAME])
        campaigns.add_member(session, campaign, NAME, MemberRole.organizer, "Olga")
        reviewed = make_nomination(session, config, own, nominator="Nina", recipient="Oscar")
        nominations.reject(session, reviewed, NAME, "Not about the photo walk.")
        return {"received": received.id, "made": made.id, "mention": mention.id}


def _client(database: Database) -> FlaskClient:
    app = create_app(make_config(database_url=database.url), database)
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    with client.session_transaction() as session:
        session["user"] = {"username": NAME, "editcount": 10}
    return client


def _rows_naming_the_person(database: Database) -> list[tuple[str, str, Any]]:
    found = []
    with database.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            for row in connection.execute(table.select()):
                for column, value in row._mapping.items():
                    if isinstance(value, str | dict | list) and any(f in json.dumps(value) for f in FORMS):
                        found.append((table.name, column, value))
    return found


def test_export_holds_everything_about_the_person(database: Database) -> None:
    ids = _seed(database)
    response = _client(database).get("/me/data.json")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    data = response.get_json()
    assert data["username"] == NAME
    assert data["person"]["consent"] == "granted"
    assert [n["id"] for n in data["nominations_received"]] == [ids["received"]]
    assert [n["id"] for n in data["nominations_made"]] == [ids["made"]]
    urls = {d["channel"]: d["external_url"] for d in data["nominations_received"][0]["deliveries"]}
    assert urls["talkpage"] == TALK_URL and urls["mastodon"] == POST_URL
    assert {r["role"] for r in data["campaign_roles"]} == {"organizer"}
    assert data["campaigns_created"] == ["zelda-walk"]
    assert len(data["nominations_reviewed"]) == 1
    actions = {e["action"] for e in data["audit_events"]}
    assert {"nomination.create", "consent.granted", "nomination.rejected"} <= actions


def test_delete_leaves_no_trace_but_the_fact(database: Database) -> None:
    ids = _seed(database)
    client = _client(database)
    assert NAME in client.get("/").get_data(as_text=True)  # consented: the wall names them before

    page = client.get("/me/delete").get_data(as_text=True)
    assert TALK_URL.replace("&", "&amp;") in page and POST_URL in page
    assert client.post("/me/delete", data={}).status_code == 400  # the box must be ticked
    response = client.post("/me/delete", data={"confirm": "y"})
    assert response.status_code == 200
    answer = response.get_data(as_text=True)
    assert "Your data is deleted" in answer and POST_URL in answer and TALK_URL.replace("&", "&amp;") in answer

    assert _rows_naming_the_person(database) == []
    with database.session() as session:
        facts = list(session.scalars(select(AuditEvent).where(AuditEvent.action == privacy.ERASED_ACTION)))
        assert len(facts) == 1
        assert facts[0].actor.startswith("Deleted user ")
        assert facts[0].data == {"nominations_made": 1, "nominations_received": 1, "published_elsewhere": 2}
        received = session.get(Nomination, ids["received"])
        assert received is not None and received.recipient == facts[0].actor and received.message == ""
        made = session.get(Nomination, ids["made"])
        assert made is not None and made.status == NominationStatus.withdrawn and made.pending_key is None
        mention = session.get(Nomination, ids["mention"])
        assert mention is not None and mention.message.startswith("Ravi Kumar and Deleted user ")
        assert session.scalar(select(Delivery.external_url).where(Delivery.nomination_id == ids["received"],
                                                                  Delivery.channel == "talkpage")) is None

    # Signed out, and gone from every public page.
    assert client.get("/me/data.json").status_code == 302
    for path in ("/", "/feed.atom"):
        text = client.get(path).get_data(as_text=True)
        assert not any(form in text for form in FORMS), path


def test_erasure_is_stable_and_keyed(database: Database) -> None:
    config = make_config(database_url=database.url)
    other = make_config(database_url=database.url, secret_key="another-secret-key-0123456789")
    assert privacy.placeholder(config, "zelda_Quux") == privacy.placeholder(config, NAME)
    assert privacy.placeholder(config, NAME) != privacy.placeholder(other, NAME)
    with database.transaction() as session:
        erasure = privacy.erase(session, config, "Nobody Here")
    assert erasure.nominations_received == 0 and erasure.published == []


def test_privacy_page_states_the_retention_period(database: Database) -> None:
    app = create_app(make_config(database_url=database.url, retention_days=90), database)
    text = app.test_client().get("/privacy").get_data(as_text=True)
    assert "deleted after 90 days" in text
