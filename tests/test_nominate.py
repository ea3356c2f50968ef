"""Nominating through the web form, with every wiki check against the real local MediaWiki."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from markupsafe import escape
from sqlalchemy import delete, func, select

from kudos import campaigns, nominations, people, plaintext
from kudos.clock import utcnow
from kudos.config import Config
from kudos.db import Database
from kudos.models import AuditEvent, Campaign, MemberRole, Nomination, NominationStatus
from kudos.web import create_app
from tests.factories import make_campaign
from tests.support import make_config
from tests.wiki_people import create_accounts

NOMINATOR = "Nomi Nina"


@pytest.fixture(scope="module")
def wiki(local_wiki) -> Any:  # type: ignore[no-untyped-def]
    """The session wiki with this module's people and page (names start with "Nomi")."""
    create_accounts(local_wiki, [f"Nomi {name}" for name in ("Nina", "Ravi", "Rita", "Blocked", "Bob")])
    local_wiki.block("Nomi Blocked")
    local_wiki.block("Nomi Bob")
    local_wiki.revid = local_wiki.edit("Nomi Page", "An article about rivers.", user="Nomi Ravi")
    return local_wiki


def wiki_config(database: Database, api_url: str, per_day: int = 3) -> Config:
    return make_config(database_url=database.url, ratelimit={"nominations_per_day": per_day},
                       wikis={"testwiki": {"api_url": api_url, "language": "en", "name": "Test Wiki"}})


def _campaigns(database: Database, config: Config) -> None:
    with database.transaction() as session:
        make_campaign(session, config, slug="ws", wiki="testwiki", organizers=("Olga",))
        make_campaign(session, config, slug="closed", wiki="testwiki", starts=utcnow() - timedelta(days=9),
                      ends=utcnow() - timedelta(days=1))
        make_campaign(session, config, slug="veterans", wiki="testwiki", min_editcount=50)


def _app(database: Database, config: Config, csrf: bool = False) -> Flask:
    _campaigns(database, config)
    app = create_app(config, database)
    app.config["WTF_CSRF_ENABLED"] = csrf
    return app


def sign_in(client: FlaskClient, username: str = NOMINATOR, **extra: object) -> FlaskClient:
    with client.session_transaction() as session:
        session["user"] = {"username": username, "editcount": 1000, **extra}
    return client


@pytest.fixture
def app(database: Database, wiki) -> Flask:  # type: ignore[no-untyped-def]
    return _app(database, wiki_config(database, wiki.api_url))


@pytest.fixture
def client(app: Flask) -> Iterator[FlaskClient]:
    yield sign_in(app.test_client())


def valid(wiki: Any, **changes: str) -> dict[str, str]:  # type: ignore[misc]
    data = {"campaign": "ws", "recipient": "nomi_Ravi", "award": "teamwork",
            "message": "Wrote a fine article about rivers, with sources.",
            "link": f"{wiki.index_url}?diff={wiki.revid}"}
    data.update(changes)
    return data


def count(database: Database) -> int:
    with database.session() as session:
        return int(session.scalar(select(func.count()).select_from(Nomination)) or 0)


def test_the_form_preselects_the_campaign_shows_its_wiki_and_award_images(client: FlaskClient) -> None:
    page = client.get("/nominate?campaign=veterans").get_data(as_text=True)
    assert '<option selected value="veterans">' in page
    assert "Test Wiki" in page
    assert 'src="/static/awards/teamwork-barnstar.svg"' in page  # shipped with Kudos, not loaded from Commons
    assert "closed" not in page.split('id="campaign"')[1].split("</select>")[0]  # only open campaigns


def test_preview_renders_through_the_wiki_then_confirm_saves(client: FlaskClient, database: Database, wiki) -> None:  # type: ignore[no-untyped-def]
    data = valid(wiki, message="I fixed {{cite}} and [[links]] <b>x</b> ~~~~ in the rivers article.")
    before = wiki.request_count()
    preview = client.post("/nominate", data=data)
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200, page
    assert wiki.request_count() - before == 3  # one list=users (recipient and nominator), the link, the parse
    rendered = page.split('class="talk-preview"')[1].split("</div>\n<form")[0]
    assert "Teamwork Barnstar" in rendered and "<h2" in rendered  # the wiki's own rendering
    assert "{{cite}}" in rendered and "[[links]]" in rendered  # the message stays text
    assert "&lt;b&gt;x&lt;/b&gt;" in rendered and "<b>x</b>" not in rendered
    assert "<script" not in rendered and "style=" not in rendered  # sanitized
    assert count(database) == 0  # a preview saves nothing
    response = client.post("/nominate/confirm", data=data)
    assert response.status_code == 302 and response.headers["Location"] == "/me"
    with database.session() as session:
        saved = session.scalars(select(Nomination)).one()
        assert (saved.recipient, saved.nominator, saved.award) == ("Nomi Ravi", NOMINATOR, "teamwork")
        assert saved.link == f"Special:Diff/{wiki.revid}" and saved.status == NominationStatus.pending
    assert "now waits for the organizers" in client.get("/me").get_data(as_text=True)


def test_change_something_goes_back_to_the_filled_form(client: FlaskClient, wiki) -> None:  # type: ignore[no-untyped-def]
    data = valid(wiki, step="edit", message="Rivers, rivers and more rivers.")
    page = client.post("/nominate", data=data).get_data(as_text=True)
    assert "Rivers, rivers and more rivers." in page and 'value="nomi_Ravi"' in page
    assert "cdx-field__validation-message" not in page


@pytest.mark.parametrize(("changes", "sentence"), [
    ({"recipient": "Nomi Nobody"}, "There is no user “<bdi>Nomi Nobody</bdi>” on Test Wiki"),
    ({"recipient": "nomi_Nina"}, "You cannot nominate yourself"),
    ({"recipient": "Nomi Blocked"}, "<bdi>Nomi Blocked</bdi> is blocked on Test Wiki"),
    ({"recipient": "Nomi|Ravi"}, "is not a possible user name"),
    ({"recipient": "Nomi Rita"}, "<bdi>Nomi Rita</bdi> has chosen not to receive awards"),  # opted out below
    ({"link": "Nomi Missing Page"}, "There is no page “Nomi Missing Page” on Test Wiki"),
    ({"link": "https://en.wikipedia.org/wiki/Rivers"}, "The link points to en.wikipedia.org, not to Test Wiki"),
    ({"link": "{index}?diff=99999999"}, "There is no revision 99999999 on Test Wiki"),
    ({"message": "Thanks!"}, "Write between 10 and 1000 characters"),
    ({"message": "x" * 1001}, "Write between 10 and 1000 characters"),
    ({"campaign": "closed"}, "Choose a campaign that is open for nominations now"),
    ({"campaign": "veterans"}, "at least 50 edits; you have 0"),  # counted on the campaign's wiki
    ({"award": "golden-goose"}, "Choose one of the awards offered on Test Wiki"),
    ({"recipient": ""}, "Name the person you want to thank"),
])
@pytest.mark.parametrize("step", ["/nominate", "/nominate/confirm"])
def test_each_problem_is_named_and_everything_typed_is_kept(
        client: FlaskClient, database: Database, wiki, changes: dict[str, str], sentence: str, step: str) -> None:  # type: ignore[no-untyped-def]
    with database.transaction() as session:
        people.set_opt_out(session, "Nomi Rita", True)
    data = valid(wiki, **{k: v.format(index=wiki.index_url) for k, v in changes.items()})
    response = client.post(step, data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert sentence in page, page  # user names are isolated in <bdi>; no sentence holds & < > or quotes
    for field in ("recipient", "message", "link"):
        assert str(escape(data[field])) in page  # nothing typed is lost
    assert count(database) == 0


def test_a_second_identical_pending_nomination_is_refused(client: FlaskClient, database: Database, wiki) -> None:  # type: ignore[no-untyped-def]
    assert client.post("/nominate/confirm", data=valid(wiki)).status_code == 302
    again = client.post("/nominate/confirm", data=valid(wiki, message="Another kind word for the same person."))
    assert again.status_code == 400
    assert "You already have a pending nomination of <bdi>Nomi Ravi</bdi>" in again.get_data(as_text=True)
    assert "Another kind word for the same person." in again.get_data(as_text=True)
    assert count(database) == 1


def test_nominators_blocked_on_the_wiki_are_refused(app: Flask, database: Database, wiki) -> None:  # type: ignore[no-untyped-def]
    client = sign_in(app.test_client(), "Nomi Bob")  # not blocked at login, but blocked on Test Wiki
    response = client.post("/nominate/confirm", data=valid(wiki))
    assert response.status_code == 400
    assert "Accounts blocked on Test Wiki cannot nominate" in response.get_data(as_text=True)
    assert count(database) == 0


def test_trusted_nominators_are_approved_on_submission(client: FlaskClient, database: Database, wiki) -> None:  # type: ignore[no-untyped-def]
    with database.transaction() as session:
        campaign = session.scalars(select(Campaign).where(Campaign.slug == "ws")).one()
        campaigns.add_member(session, campaign, NOMINATOR, MemberRole.trusted, "Olga")
    preview = client.post("/nominate", data=valid(wiki)).get_data(as_text=True)
    assert "you are a trusted nominator" in preview
    response = client.post("/nominate/confirm", data=valid(wiki))
    assert response.status_code == 302
    with database.session() as session:
        saved = session.scalars(select(Nomination)).one()
        assert saved.status == NominationStatus.approved and saved.reviewer == f"trusted:{NOMINATOR}"
        assert sorted(d.channel for d in saved.deliveries) == ["talkpage", "wall"]  # the campaign has no social channel
        assert session.scalar(select(AuditEvent.details).where(AuditEvent.action == "nomination.approved"))
    assert "was approved at once" in client.get("/me").get_data(as_text=True)


def test_nominations_are_rate_limited_per_person_per_day(client: FlaskClient, database: Database, wiki,  # type: ignore[no-untyped-def]
                                                        app: Flask) -> None:
    for _ in range(2):  # refused forms do not count
        assert client.post("/nominate/confirm", data=valid(wiki, recipient="Nomi Nobody")).status_code == 400
    for _ in range(3):
        assert client.post("/nominate/confirm", data=valid(wiki)).status_code == 302
        with database.transaction() as session:  # withdraw, so the next one is not a duplicate
            pending = session.scalars(select(Nomination).where(Nomination.status == NominationStatus.pending)).one()
            nominations.withdraw(session, pending, NOMINATOR)
    data = valid(wiki, message="The fourth kind word today, about rivers.")
    limited = client.post("/nominate/confirm", data=data)
    page = limited.get_data(as_text=True)
    assert limited.status_code == 429
    assert "at most 3 nominations from one person per day" in page and "This nomination was not saved." in page
    assert "The fourth kind word today, about rivers." in page  # what they wrote is not lost
    assert count(database) == 3
    other = sign_in(app.test_client(), "Nomi Rita")  # another person still may
    assert other.post("/nominate/confirm", data=valid(wiki)).status_code == 302


def test_confirm_needs_the_csrf_token(database: Database, wiki) -> None:  # type: ignore[no-untyped-def]
    client = sign_in(_app(database, wiki_config(database, wiki.api_url), csrf=True).test_client())
    assert client.post("/nominate/confirm", data=valid(wiki)).status_code == 400
    assert client.post("/nominate", data=valid(wiki)).status_code == 400
    assert count(database) == 0
    page = client.get("/nominate").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    assert client.post("/nominate/confirm", data=valid(wiki, csrf_token=token)).status_code == 302


def test_a_wiki_that_does_not_answer_gives_a_sentence_and_keeps_the_form(database: Database, wiki) -> None:  # type: ignore[no-untyped-def]
    from tests.stub_http import free_port

    config = wiki_config(database, f"http://127.0.0.1:{free_port()}/api.php")
    client = sign_in(_app(database, config).test_client())
    response = client.post("/nominate/confirm", data=valid(wiki))
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "Test Wiki could not be reached to check whether these users exist; try again" in page
    assert str(escape(valid(wiki)["message"])) in page
    assert count(database) == 0


def test_blocked_and_anonymous_people_cannot_nominate(app: Flask) -> None:
    anonymous = app.test_client()
    assert anonymous.get("/nominate").headers["Location"].startswith("/login?next=/nominate")
    blocked = sign_in(app.test_client(), "Nomi Bob", blocked=True)
    page = blocked.get("/nominate")
    assert page.status_code == 403 and "My kudos" in page.get_data(as_text=True)


# --- no input produces a 500, and invalid input never a nomination ---------------------------------

ANY_TEXT = st.text(st.characters(codec="utf-8"), max_size=300)  # control characters, RTL, emoji …
LONG = st.text(st.sampled_from("אבג abc \u202e\u200f\x00\x1b\t\r\n{}[]|<>~'&"), min_size=900, max_size=1100)
VALID_RECIPIENTS = {"Nomi Ravi", "Nomi Rita"}
TYPED_VALID_RECIPIENT = re.compile(r"[ _]*[Nn]omi[ _]+R(avi|ita)[ _]*")  # as MediaWiki reads user names
# A valid form by construction: the recipient typed as people type names (case of the first letter, spaces
# or underscores, blanks around), any message of an accepted length, a link or none.
VALID_FORMS = st.fixed_dictionaries({
    "campaign": st.just("ws"),
    "recipient": st.builds(lambda name, first, gap, pad: pad + (first(name[0]) + name[1:]).replace(" ", gap) + pad,
                           st.sampled_from(sorted(VALID_RECIPIENTS)), st.sampled_from([str.upper, str.lower]),
                           st.sampled_from([" ", "_", "  ", "_ _"]), st.sampled_from(["", " ", "  "])),
    "award": st.sampled_from(["barnstar", "teamwork", "diligence"]),
    "message": st.text(st.characters(codec="utf-8"), min_size=12, max_size=300),
    "link": st.sampled_from(["", "Nomi Page", " Nomi Page "]),
})
# What may replace one field of a valid form: near misses first, then anything.
SPOILERS = {
    "campaign": st.sampled_from(["closed", "veterans", "", "WS", "ws ", "w"]) | ANY_TEXT,
    "recipient": st.sampled_from(["Nomi Nina", "nomi_Nina", "Nomi Blocked", "Nomi Nobody", "Nomi Rav", "Nomi Ravii"])
    | ANY_TEXT,
    "award": st.sampled_from(["nope", "Barnstar", "barnstar ", ""]) | ANY_TEXT,
    "message": st.sampled_from(["short", " " * 20, "\r\n" * 12]) | ANY_TEXT | LONG,
    "link": st.sampled_from(["Nomi Nowhere", "https://evil.example/?diff=1"]) | ANY_TEXT | LONG,
}
ONE_FIELD_SPOILED = st.tuples(VALID_FORMS, st.sampled_from(sorted(SPOILERS))).flatmap(
    lambda drawn: SPOILERS[drawn[1]].map(lambda value: {**drawn[0], drawn[1]: value}))


@settings(max_examples=int(os.environ.get("KUDOS_HYPOTHESIS_EXAMPLES", "40")), deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=VALID_FORMS | ONE_FIELD_SPOILED)
def test_no_input_gives_a_500_or_an_invalid_nomination(
        hypo_client: tuple[FlaskClient, Database], data: dict[str, str]) -> None:
    client, database = hypo_client
    try:
        preview = client.post("/nominate", data=data)
        confirm = client.post("/nominate/confirm", data=data)
    finally:
        with database.transaction() as session:  # each example starts with no pending nomination
            saved = session.execute(delete(Nomination)).rowcount
    assert preview.status_code in (200, 400), preview.get_data(as_text=True)
    assert confirm.status_code in (302, 400), confirm.get_data(as_text=True)
    # Every field is read under the one text rule (kudos.plaintext, tested on its own): the message keeps
    # its lines, every other field is one line with its blanks folded.
    text = plaintext.clean(data["message"]).strip()
    line = {key: plaintext.line(value) for key, value in data.items()}
    expected = (line["campaign"] == "ws" and TYPED_VALID_RECIPIENT.fullmatch(line["recipient"]) is not None
                and line["award"] in ("barnstar", "teamwork", "diligence") and 10 <= len(text) <= 1000
                and line["link"] in ("", "Nomi Page"))
    event("valid input" if expected else "invalid input")
    assert (confirm.status_code == 302) == expected, confirm.get_data(as_text=True)
    assert (preview.status_code == 200) == expected, preview.get_data(as_text=True)
    assert saved == (1 if expected else 0)


@pytest.fixture
def hypo_client(database: Database, wiki) -> tuple[FlaskClient, Database]:  # type: ignore[no-untyped-def]
    app = _app(database, wiki_config(database, wiki.api_url, per_day=100_000))
    return sign_in(app.test_client()), database
