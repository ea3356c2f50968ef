"""“My kudos” and the consent link, through the Flask client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from kudos import consent_links, nominations, people
from kudos.clock import utcnow
from kudos.db import Database
from kudos.models import AuditEvent, Consent, Delivery, DeliveryStatus, NominationStatus
from kudos.web import create_app
from tests.factories import make_campaign, make_nomination
from tests.support import make_config


@pytest.fixture
def app_config(database: Database):  # type: ignore[no-untyped-def]
    return make_config(database_url=database.url)


@pytest.fixture
def client(database: Database, app_config) -> Iterator[FlaskClient]:  # type: ignore[no-untyped-def]
    app = create_app(app_config, database)
    app.config["WTF_CSRF_ENABLED"] = False
    yield app.test_client()


def sign_in(client: FlaskClient, username: str, **extra: object) -> FlaskClient:
    with client.session_transaction() as session:
        session["user"] = {"username": username, "editcount": 100, **extra}
    return client


def _seed(database: Database, config) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Nina's nominations in every state, and one award Nina received."""
    ids = {}
    with database.transaction() as session:
        campaign = make_campaign(session, config, channels=("mastodon",))
        ids["pending"] = make_nomination(session, config, campaign, recipient="Pia").id
        delivered = make_nomination(session, config, campaign, recipient="Dev",
                                    message="Fixed hundreds of citations.")
        nominations.approve(session, config, delivered, "Olga Organizer", message="Fixed many citations, well done.")
        talk = next(d for d in delivered.deliveries if d.channel == "talkpage")
        talk.status, talk.done_at = DeliveryStatus.done, utcnow()
        talk.external_url = "https://or.wikipedia.org/?diff=77"
        ids["delivered"] = delivered.id
        rejected = make_nomination(session, config, campaign, recipient="Rex")
        nominations.reject(session, rejected, "Olga Organizer", "Please link to the articles.")
        ids["rejected"] = rejected.id
        approved = make_nomination(session, config, campaign, recipient="Amy")
        nominations.approve(session, config, approved, "Olga Organizer")
        received = make_nomination(session, config, campaign, nominator="Olga Organizer", recipient="Nina",
                                   message="Nina welcomed every newcomer this month.")
        nominations.approve(session, config, received, "Oscar")
        ids["received"] = received.id
        ids["others"] = make_nomination(session, config, campaign, nominator="Oscar", recipient="Zed").id
    return ids


def test_me_lists_each_status_with_what_comes_next(client: FlaskClient, database: Database, app_config) -> None:  # type: ignore[no-untyped-def]
    _seed(database, app_config)
    page = sign_in(client, "Nina").get("/me").get_data(as_text=True)
    made, received = page.split('id="made"')[1].split('id="received"')
    assert "Waiting for review" in made and "Withdraw" in made
    assert 'href="https://or.wikipedia.org/?diff=77"' in made  # delivered: the diff
    assert "Please link to the articles." in made  # rejected: the reason
    assert "Fixed many citations, well done." in made and "Fixed hundreds of citations." in made  # edited
    assert "the barnstar will be posted shortly" in made  # approved, not yet delivered
    assert "Zed" not in page  # someone else's nomination
    assert "Nina welcomed every newcomer" in received
    assert made.count("<form") == 1  # only the pending one can be withdrawn


def test_withdrawing_my_pending_nomination(client: FlaskClient, database: Database, app_config) -> None:  # type: ignore[no-untyped-def]
    ids = _seed(database, app_config)
    response = sign_in(client, "Nina").post(f"/me/nominations/{ids['pending']}/withdraw")
    assert response.status_code == 302 and response.headers["Location"] == "/me"
    with database.session() as session:
        assert nominations.get(session, ids["pending"]).status == NominationStatus.withdrawn
    again = client.post(f"/me/nominations/{ids['pending']}/withdraw")
    assert again.status_code == 403 and "Only a pending nomination" in again.get_data(as_text=True)


def test_nobody_withdraws_someone_elses_nomination(client: FlaskClient, database: Database, app_config) -> None:  # type: ignore[no-untyped-def]
    ids = _seed(database, app_config)
    response = sign_in(client, "Nina").post(f"/me/nominations/{ids['others']}/withdraw")
    assert response.status_code == 403
    assert client.post("/me/nominations/999999/withdraw").status_code == 404
    with database.session() as session:
        assert nominations.get(session, ids["others"]).status == NominationStatus.pending


@pytest.mark.parametrize("choice", ["granted", "refused"])
def test_consent_is_changed_on_my_kudos(
        client: FlaskClient, database: Database, app_config, choice: str) -> None:  # type: ignore[no-untyped-def]
    _seed(database, app_config)
    response = sign_in(client, "Nina").post("/me/consent", data={"choice": choice})
    assert response.status_code == 302
    with database.session() as session:
        assert people.consent_of(session, "Nina") == Consent(choice)
    shown = "Now: <strong>yes" if choice == "granted" else "Now: <strong>no"
    assert shown in client.get("/me").get_data(as_text=True)
    assert client.post("/me/consent", data={"choice": "maybe"}).status_code == 400


def test_opting_out_and_back_in(client: FlaskClient, database: Database) -> None:
    sign_in(client, "Nina")
    assert client.post("/me/opt-out", data={"opted_out": "yes"}).status_code == 302
    with database.session() as session:
        assert people.is_opted_out(session, "Nina")
    assert client.post("/me/opt-out", data={"opted_out": "no"}).status_code == 302
    with database.session() as session:
        assert not people.is_opted_out(session, "Nina")
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "person")).all()
    assert actions == ["opt_out", "opt_in"]


def test_blocked_people_manage_their_own_choices(client: FlaskClient, database: Database) -> None:
    sign_in(client, "Bob", blocked=True)
    assert client.get("/me").status_code == 200
    assert client.post("/me/consent", data={"choice": "refused"}).status_code == 302
    assert client.post("/me/opt-out", data={"opted_out": "yes"}).status_code == 302
    with database.session() as session:
        assert people.consent_of(session, "Bob") == Consent.refused
        assert people.is_opted_out(session, "Bob")


def test_my_kudos_needs_sign_in(client: FlaskClient) -> None:
    response = client.get("/me")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=/me")
    assert client.post("/me/consent", data={"choice": "granted"}).status_code == 403


def test_every_form_on_my_kudos_needs_the_csrf_token(database: Database, app_config) -> None:  # type: ignore[no-untyped-def]
    ids = _seed(database, app_config)
    client = sign_in(create_app(app_config, database).test_client(), "Nina")
    for path, data in (("/me/consent", {"choice": "granted"}), ("/me/opt-out", {"opted_out": "yes"}),
                       (f"/me/nominations/{ids['pending']}/withdraw", {})):
        assert client.post(path, data=data).status_code == 400
    with database.session() as session:
        assert people.consent_of(session, "Nina") == Consent.unknown
        assert nominations.get(session, ids["pending"]).status == NominationStatus.pending


# --- the consent link -----------------------------------------------------------------------------

def _link(database: Database, config) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    ids = _seed(database, config)
    return ids["received"], "/consent/" + consent_links.token_for(config, ids["received"], "Nina")


def test_consent_link_sends_strangers_to_sign_in_and_back(client: FlaskClient, database: Database, app_config) -> None:  # type: ignore[no-untyped-def]
    _id, path = _link(database, app_config)
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/login?next={path}"


def _shout_out_status(database: Database, nomination_id: int) -> DeliveryStatus:
    with database.session() as session:
        return session.scalars(select(Delivery.status).where(Delivery.nomination_id == nomination_id,
                                                             Delivery.channel == "mastodon")).one()


def test_the_recipient_confirms_through_the_link(client: FlaskClient, database: Database, app_config) -> None:  # type: ignore[no-untyped-def]
    nomination_id, path = _link(database, app_config)
    assert _shout_out_status(database, nomination_id) == DeliveryStatus.awaiting_consent
    page = sign_in(client, "Nina").get(path)
    assert page.status_code == 200 and "Nina welcomed every newcomer" in page.get_data(as_text=True)
    assert client.post(path, data={"choice": "granted"}).status_code == 302
    with database.session() as session:
        assert people.consent_of(session, "Nina") == Consent.granted
    assert _shout_out_status(database, nomination_id) == DeliveryStatus.pending  # released to the job


def test_the_recipient_refuses_through_the_link(client: FlaskClient, database: Database, app_config) -> None:  # type: ignore[no-untyped-def]
    nomination_id, path = _link(database, app_config)
    assert sign_in(client, "Nina").post(path, data={"choice": "refused"}).status_code == 302
    with database.session() as session:
        assert people.consent_of(session, "Nina") == Consent.refused
    assert _shout_out_status(database, nomination_id) == DeliveryStatus.skipped


def test_anyone_else_gets_a_403_that_says_why(client: FlaskClient, database: Database, app_config) -> None:  # type: ignore[no-untyped-def]
    _id, path = _link(database, app_config)
    sign_in(client, "Oscar")
    page = client.get(path)
    assert page.status_code == 403 and "only they can answer it" in page.get_data(as_text=True)
    assert client.post(path, data={"choice": "granted"}).status_code == 403
    with database.session() as session:
        assert people.consent_of(session, "Nina") == Consent.unknown
        assert people.consent_of(session, "Oscar") == Consent.unknown


def test_a_tampered_link_is_not_found(client: FlaskClient, database: Database, app_config) -> None:  # type: ignore[no-untyped-def]
    nomination_id, path = _link(database, app_config)
    sign_in(client, "Nina")
    forged = "/consent/" + consent_links.token_for(make_config(secret_key="guessed-secret-0123456789"),
                                                   nomination_id, "Nina")
    for bad in (path[:-2] + "xx", forged, "/consent/abc"):
        response = client.get(bad)
        assert response.status_code == 404 and "not valid" in response.get_data(as_text=True)
        assert client.post(bad, data={"choice": "granted"}).status_code == 404
