"""Nominating from anywhere: `/nominate?wiki=&user=&link=&campaign=` fills the form in; every value is checked as
if typed, and one that cannot be used is dropped with a notice naming it, never an error page.

Filling the form in asks no wiki, so these wikis need not exist.
"""

from __future__ import annotations

import html
import re
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kudos import campaigns, plaintext
from kudos.clock import utcnow
from kudos.db import Database
from kudos.names import canonical_username
from kudos.web import create_app
from kudos.wikiapi import possible_title
from tests.factories import make_campaign
from tests.support import make_config

ON_SQLITE = pytest.mark.parametrize("database", ["sqlite"], indirect=True)
WIKIS = {
    "orwiki": {"api_url": "https://or.wikipedia.org/w/api.php", "language": "or", "name": "Odia Wikipedia"},
    "enwiki": {"api_url": "https://en.wikipedia.org/w/api.php", "language": "en", "name": "English Wikipedia"},
    "local": {"api_url": "http://127.0.0.1:8801/api.php", "language": "en", "name": "Local wiki"},
}


@pytest.fixture
def app(database: Database) -> Flask:
    config = make_config(database_url=database.url, wikis=WIKIS)
    with database.transaction() as session:
        campaigns.ensure_community_campaigns(session, config)
        make_campaign(session, config, slug="walk", wiki="orwiki")
        make_campaign(session, config, slug="over", wiki="orwiki", starts=utcnow() - timedelta(days=9),
                      ends=utcnow() - timedelta(days=1))
    return create_app(config, database)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    client = app.test_client()
    with client.session_transaction() as session:
        session["user"] = {"username": "Nina", "editcount": 500}
    return client


def _form(client: FlaskClient, **args: str) -> tuple[str, str, str, list[str]]:
    """(chosen campaign, recipient, link, notices) of the form that `/nominate?args` shows."""
    response = client.get("/nominate?" + urlencode(args))
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    page = response.get_data(as_text=True)
    chosen = re.search(r'<option selected value="([^"]*)"', page)
    recipient = re.search(r'<input[^>]*id="recipient"[^>]*>', page)
    link = re.search(r'<input[^>]*id="link"[^>]*>', page)
    assert recipient and link

    def value(tag: str) -> str:
        found = re.search(r'value="([^"]*)"', tag)
        return html.unescape(found.group(1)) if found else ""

    notices = [html.unescape(re.sub(r"<[^>]+>", "", n)) for n in
               re.findall(r'<p class="kudos-prefill-notice">(.*?)</p>', page, re.S)]
    return (chosen.group(1) if chosen else ""), value(recipient.group(0)), value(link.group(0)), notices


@ON_SQLITE
def test_every_value_fills_its_field(client: FlaskClient) -> None:
    assert _form(client, wiki="orwiki", user="ravi_kumar", link="Special:Diff/123", campaign="walk") == (
        "walk", "Ravi kumar", "Special:Diff/123", [])
    # As typed into the form: one line each, without control characters (kudos.plaintext).
    assert _form(client, campaign=" walk\r\n", user="Ravi\r\nKumar\x00", link="Konark\u202eTemple") == (
        "walk", "Ravi Kumar", "KonarkTemple", [])


@ON_SQLITE
@pytest.mark.parametrize(("wiki", "campaign"), [
    ("orwiki", "orwiki-community"), ("or.wikipedia.org", "orwiki-community"),
    ("https://or.m.wikipedia.org/", "orwiki-community"), ("//EN.wikipedia.org", "enwiki-community"),
    ("en.m.wikipedia.org", "enwiki-community"), ("127.0.0.1:8801", "local-community"),
])
def test_a_wiki_by_id_or_address_chooses_its_community_campaign(client: FlaskClient, wiki: str,
                                                                campaign: str) -> None:
    assert _form(client, wiki=wiki, user="Ravi")[0] == campaign


@ON_SQLITE
@pytest.mark.parametrize(("args", "kept", "notice"), [
    ({"wiki": "de.wikipedia.org"}, {}, "The link names the wiki de.wikipedia.org, which Kudos does not serve"),
    ({"wiki": "or.wikipedia.org.evil.example"}, {}, "which Kudos does not serve"),
    ({"wiki": "enwiki", "campaign": "walk"}, {"campaign": "walk"}, "its campaign is on another wiki"),
    ({"campaign": "over"}, {}, "The campaign Campaign over ended on"),
    ({"campaign": "walk\r\nSet-Cookie: x=1"}, {}, "Kudos has no campaign named walk Set-Cookie: x=1;"),
    ({"user": "Ravi#Kumar"}, {}, "which cannot be a user name"),
    ({"user": "Ravi|Kumar"}, {}, "which cannot be a user name"),
    ({"user": "R" * 256}, {}, "which cannot be a user name"),
    ({"campaign": "walk", "link": "https://en.wikipedia.org/wiki/Konark"}, {"campaign": "walk"},
     "The link points to en.wikipedia.org, not to Odia Wikipedia"),
    ({"campaign": "walk", "link": "http://["}, {"campaign": "walk"}, "is not a web address Kudos can read"),
    ({"campaign": "walk", "link": "Konark[[Temple]]"}, {"campaign": "walk"}, "cannot be used here"),
])
def test_a_value_that_cannot_be_used_is_dropped_with_a_notice(client: FlaskClient, args: dict[str, str],
                                                              kept: dict[str, str], notice: str) -> None:
    chosen, recipient, link, notices = _form(client, **args)
    assert len(notices) == 1 and notice in notices[0], notices
    assert chosen == kept.get("campaign", chosen)
    assert recipient == "" and link == ""


@ON_SQLITE
def test_a_diff_with_a_huge_revision_number_is_kept_for_the_wiki_to_judge(client: FlaskClient) -> None:
    huge = f"Special:Diff/{2**64}"
    assert _form(client, campaign="walk", link=huge)[2:] == (huge, [])


@ON_SQLITE
def test_the_suggestions_marker_writes_nothing_for_someone_who_is_not_an_organizer(client: FlaskClient) -> None:
    page = client.get("/nominate?campaign=walk&user=Ravi&via=suggestions").get_data(as_text=True)
    assert 'name="via"' not in page and re.search(r"<textarea[^>]*>\s*</textarea>", page)


ANY_TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=40)
VALUES = {
    "wiki": st.sampled_from(["orwiki", "or.m.wikipedia.org", "xx", ""]) | ANY_TEXT,
    "campaign": st.sampled_from(["walk", "over", "enwiki-community", ""]) | ANY_TEXT,
    "user": st.sampled_from(["Ravi", "e", "Ana_P", "Ananya\r\n", ""]) | ANY_TEXT,
    "link": st.sampled_from(["Special:Diff/5", "Konark", "https://or.wikipedia.org/wiki/Konark", "http://[", ""])
    | ANY_TEXT,
}


@ON_SQLITE
@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(args=st.fixed_dictionaries({}, optional=VALUES))
def test_any_values_give_the_form_with_each_one_used_or_named_in_a_notice(client: FlaskClient,
                                                                        args: dict[str, str]) -> None:
    chosen, recipient, link, notices = _form(client, **args)
    given = {key: plaintext.line(value) for key, value in args.items()}
    if recipient:
        assert recipient == canonical_username(given["user"]) and possible_title(recipient)
    if link:
        assert link == given["link"] and plaintext.is_clean_line(link)
    dropped = sum(1 for key, value in given.items() if value and (
        (key == "user" and not recipient) or (key == "link" and not link)
        or (key == "campaign" and chosen != value)))
    # A wiki is used when it chose the campaign; otherwise (unknown, or not the campaign's) it is named.
    assert len(notices) >= dropped
    assert all(len(notice) < 400 for notice in notices)  # a dropped value is shown shortened
