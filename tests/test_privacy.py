"""Export and erasure: after deleting, no row in any table names the person, and the wall forgets them."""

from __future__ import annotations

import json
import secrets
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from kudos import accounts, campaigns, nominations, people, privacy
from kudos.db import Database
from kudos.models import (
    AuditEvent,
    Base,
    Campaign,
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
from tests.privacy_support import naming, snapshot
from tests.support import make_config

NAME = "Zelda Quux"
FORMS = ("Zelda Quux", "Zelda_Quux", "Zelda%20Quux", "Zelda")
TALK_URL = "https://or.wikipedia.org/w/index.php?title=User_talk:Zelda_Quux&oldid=5"
POST_URL = "https://wikis.world/@kudos/110000000000000001"
MENTION = "Ravi Kumar and Zelda Quux ran the workshop together."  # Nina's words: erasure leaves them alone


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
                                  message=MENTION)
        nominations.approve(session, config, mention, "Olga")
        own = campaigns.create(session, config, slug="zelda-walk", name="Photo walk", wiki="orwiki", actor=NAME,
                               kind=CampaignKind.event, organizers=[NAME])
        campaigns.add_member(session, campaign, NAME, MemberRole.organizer, "Olga")
        reviewed = make_nomination(session, config, own, nominator="Nina", recipient="Oscar")
        nominations.reject(session, reviewed, NAME, "Not about the photo walk.")
        return {"received": received.id, "made": made.id, "mention": mention.id}


def _client(database: Database, username: str = NAME, central_id: int | None = None) -> FlaskClient:
    app = create_app(make_config(database_url=database.url), database)
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    with client.session_transaction() as session:
        session["user"] = {"username": username, "editcount": 10, "central_id": central_id}
    return client


def _rows_naming_the_person(database: Database) -> list[tuple[str, str, Any]]:
    found = []
    with database.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            for row in connection.execute(table.select()):
                for column, value in row._mapping.items():
                    if value == MENTION:
                        continue
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
        assert mention is not None and mention.message == MENTION
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


def _events(database: Database) -> dict[int, tuple[Any, ...]]:
    with database.engine.connect() as connection:
        return {row.id: tuple(row) for row in connection.execute(AuditEvent.__table__.select())}


def test_a_one_letter_account_exports_and_erases_only_its_own_rows(database: Database) -> None:
    """Reported: `E` downloaded 257 of 260 audit rows, nearly all about others, and erasing `E` re-pointed
    other people's consent rows to E's pseudonym. Eve, Ee and Ernest are other people; `e` is E."""
    config = make_config(database_url=database.url)
    with database.transaction() as session:
        campaign = make_campaign(session, config, organizers=("Olga",))
        people.set_consent(session, "Eve", Consent.granted)
        people.set_consent(session, "Eve", Consent.refused)
        for recipient in ("Eve", "Ee", "Ernest"):
            received = make_nomination(session, config, campaign, nominator="Nina", recipient=recipient,
                                       message="E is the letter Eve and Ee thank for everything.")
            nominations.approve(session, config, received, "Olga")
        own = make_nomination(session, config, campaign, nominator="e", recipient="Ravi")
        nominations.reject(session, own, "Olga", "Eve asked for this to be sent by Ee instead.")
    before = _events(database)

    data = _client(database, "e").get("/me/data.json").get_json()
    assert data["username"] == "E"
    exported = {(e["action"], e["object_id"]) for e in data["audit_events"]}
    assert exported == {("nomination.create", str(own.id)), ("nomination.rejected", str(own.id))}

    with database.transaction() as session:
        privacy.erase(session, config, "e")
    after = _events(database)
    changed = {before[i][3] for i in before if before[i] != after.get(i)}
    assert changed == {"nomination.create"}  # E's own, which names E as its actor; the rejection does not


def test_erasing_great_leaves_great_work_alone(database: Database) -> None:
    """Reported: erasing `Great` turned someone else's "Great work all round" into "Deleted user … work"."""
    config = make_config(database_url=database.url)
    message = "Great work all round, and Great's maps too."
    with database.transaction() as session:
        campaign = make_campaign(session, config, organizers=("Olga",), description="Great campaign by Great.")
        other = make_nomination(session, config, campaign, nominator="Nina", recipient="Greatness",
                                message=message)
        nominations.reject(session, other, "Olga", "Great idea, Great, but wrong campaign.")
        make_nomination(session, config, campaign, nominator="Great", recipient="Ravi")
        other_id = other.id
    with database.transaction() as session:
        privacy.erase(session, config, "Great")
    with database.session() as session:
        kept = session.get(Nomination, other_id)
        assert kept is not None
        assert (kept.message, kept.reason) == (message, "Great idea, Great, but wrong campaign.")
        assert kept.recipient == "Greatness" and kept.nominator == "Nina"
        assert session.scalar(select(Campaign.description)) == "Great campaign by Great."


def test_a_renamed_person_is_found_under_both_names_and_erased_from_both(database: Database) -> None:
    """Evelyn became Eve. Rows made before Kudos noticed name Evelyn; the account's ids tie them together:
    first the CentralAuth id of the sign-in (rename not noticed yet), then the rename Kudos followed."""
    config = make_config(database_url=database.url)
    with database.transaction() as session:
        campaign = make_campaign(session, config, organizers=("Olga",))
        first = make_nomination(session, config, campaign, nominator="Nina", recipient="Evelyn",
                                recipient_ids=accounts.Ids(5, 500), message="Evelyn and Eve ran the event.")
        nominations.approve(session, config, first, "Olga")
        people.set_consent(session, "Evelyn", Consent.granted)
        make_nomination(session, config, campaign, nominator="Evelyn", recipient="Nina")
        make_nomination(session, config, campaign, nominator="Olga", recipient="Eve Other")

    data = _client(database, "Eve", central_id=500).get("/me/data.json").get_json()
    assert data["person"]["username"] == "Evelyn" and data["person"]["wiki_accounts"] == [
        {"wiki": "orwiki", "user_id": 5}]
    assert [n["recipient"] for n in data["nominations_received"]] == ["Evelyn"]
    assert len(data["nominations_made"]) == 1

    with database.transaction() as session:  # now Kudos sees the rename: Eve has Evelyn's account ids
        make_nomination(session, config, campaign, nominator="Olga", recipient="Eve",
                        recipient_ids=accounts.Ids(5, 500))
    with database.session() as session:
        names_before = {e["id"] for e in privacy.export(session, config, "Eve")["audit_events"]}
    assert names_before >= {e["id"] for e in data["audit_events"]}  # found by the new name alone

    before = snapshot(database)
    with database.transaction() as session:
        privacy.erase(session, config, "Eve", central_id=500)
    after = snapshot(database)
    assert naming(after, "Eve") == [] and naming(after, "Evelyn") == []
    assert after["person"] == {} and after["wiki_account"] == {}
    for table in ("nomination", "audit_event"):  # Eve Other, whose name starts with Eve, is untouched
        others = {k: row for k, row in before[table].items() if any("Eve Other" in str(c) for c in row)}
        assert others and all(after[table][k] == row for k, row in others.items())


def test_privacy_page_states_the_retention_period(database: Database) -> None:
    app = create_app(make_config(database_url=database.url, retention_days=90), database)
    text = app.test_client().get("/privacy").get_data(as_text=True)
    assert "deleted after 90 days" in text


def test_the_pseudonym_of_an_erased_person_depends_on_the_secret_key() -> None:
    """toolforge/README.md: changing TOOL_SECRET_KEY changes the pseudonyms of erased users."""
    first, second = make_config(secret_key=secrets.token_hex(32)), make_config(secret_key=secrets.token_hex(32))
    ana = privacy.placeholder(first, "Ana")
    assert ana == privacy.placeholder(first, "ana") != privacy.placeholder(first, "Ananya")
    assert ana != privacy.placeholder(second, "Ana")
