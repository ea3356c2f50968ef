"""The campaign directory (/campaigns): every campaign open for nominations, wiki by wiki, with its organizers,
dates and the two ways in (its wall, and the nomination form with the campaign chosen); and the nomination
form's answer to a `?campaign=` it cannot choose."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta

import pytest
from flask.testing import FlaskClient

from kudos import campaign_settings, campaigns
from kudos.clock import utcnow
from kudos.db import Database
from kudos.models import MemberRole
from kudos.web import nominate
from tests.factories import make_campaign
from tests.webtools import count_queries, sign_in_as, web_app, web_config

NOW = utcnow()


def _seed(database: Database) -> None:
    config = web_config(database)
    with database.transaction() as session:
        campaigns.ensure_community_campaigns(session, config)
        older = make_campaign(session, config, slug="walk", organizers=("Olga", "Amar"),
                              starts=datetime(2026, 1, 5), ends=NOW + timedelta(days=40))
        older.created_at = NOW - timedelta(days=30)
        make_campaign(session, config, slug="walk-2", organizers=("Oscar",), starts=NOW - timedelta(hours=1),
                      ends=datetime(2027, 3, 9))
        make_campaign(session, config, slug="enwalk", wiki="enwiki", organizers=("Eve",), starts=None, ends=None)
        campaigns.add_member(session, campaigns.get(session, "walk-2"), "Tara", MemberRole.trusted, "Ada")
        make_campaign(session, config, slug="over", ends=NOW - timedelta(seconds=1))  # ended a second ago
        make_campaign(session, config, slug="later", starts=NOW + timedelta(days=2))


@pytest.fixture
def client(database: Database) -> FlaskClient:
    _seed(database)
    return web_app(database).test_client()


def _groups(page: str) -> dict[str, list[str]]:
    found = {}
    for wiki, body in re.findall(r'<section class="kudos-directory-wiki" data-wiki="([^"]+)">(.*?)</section>', page,
                                 re.S):
        found[wiki] = re.findall(r'data-campaign="([^"]+)"', body)
    return found


def _card(page: str, slug: str) -> str:
    found = re.search(rf'data-campaign="{slug}">(.*?)</div></li>', page, re.S)
    assert found, slug
    return found.group(1)


def _text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", fragment)).split())


def test_open_campaigns_wiki_by_wiki_community_first_then_newest(client: FlaskClient) -> None:
    response = client.get("/campaigns")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    # English Wikipedia before Odia Wikipedia (by name); neither the ended nor the future campaign.
    assert _groups(page) == {"enwiki": ["enwiki-community", "enwalk"],
                             "orwiki": ["orwiki-community", "walk-2", "walk"]}
    assert re.search(r"<h2[^>]*>English Wikipedia</h2>", page) and 'lang="or"' in page


def test_each_campaign_shows_its_organizers_dates_and_ways_in(client: FlaskClient) -> None:
    page = client.get("/campaigns").get_data(as_text=True)
    walk = _card(page, "walk")
    assert "Organizers: Amar, Olga" in _text(walk)
    assert f"Jan 5, 2026 to {(NOW + timedelta(days=40)):%b} " in _text(walk)
    assert '<time datetime="2026-01-05T00:00:00Z">Jan 5, 2026</time>' in walk
    assert 'href="/nominate?campaign=walk"' in walk and 'href="/campaigns/walk"' in walk
    walk2 = _card(page, "walk-2")
    assert "Organizer: Oscar" in _text(walk2) and "Tara" not in walk2  # a trusted nominator is no organizer
    assert "to Mar 9, 2027" in _text(walk2)
    assert "Open all year round" in _text(_card(page, "enwalk"))
    community = _text(_card(page, "orwiki-community"))
    assert "Community" in community and "the tool's admins review its nominations" in community


def test_the_directory_is_public_and_cacheable_for_visitors_without_a_session(client: FlaskClient) -> None:
    response = client.get("/campaigns")
    assert response.headers["Cache-Control"] == "public, max-age=60"
    signed_in = sign_in_as(client, "Olga").get("/campaigns")
    assert signed_in.status_code == 200 and signed_in.headers["Cache-Control"] == "private, no-store"


def test_the_navigation_links_to_the_directory(client: FlaskClient) -> None:
    assert 'href="/campaigns" aria-current="page"' in client.get("/campaigns").get_data(as_text=True)
    wall = client.get("/").get_data(as_text=True)
    assert '<a class="kudos-nav__link" href="/campaigns">Campaigns</a>' in wall


def test_the_query_count_does_not_grow_with_the_campaigns(database: Database) -> None:
    config = web_config(database)
    client = web_app(database).test_client()
    counts = []
    for start, stop in ((0, 1), (1, 30)):
        with database.transaction() as session:
            for i in range(start, stop):
                make_campaign(session, config, slug=f"c-{i}", organizers=(f"Org {i}", f"Other {i}"))
        with count_queries(database) as queries:
            assert client.get("/campaigns").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] and counts[1] <= 4, counts


def test_no_campaign_open(database: Database) -> None:
    page = web_app(database).test_client().get("/campaigns").get_data(as_text=True)
    assert "No campaign is open for nominations now." in page


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
@pytest.mark.parametrize(("language", "expected"), [
    ("he", ('dir="rtl"', "5 בינו׳ 2026")),
    ("or", ('dir="ltr"', "ଜାନୁଆରୀ 5, 2026")),
])
def test_dates_and_words_in_the_readers_language(client: FlaskClient, language: str,
                                                 expected: tuple[str, str]) -> None:
    page = client.get(f"/campaigns?uselang={language}").get_data(as_text=True)
    for text in expected:
        assert text in page
    if language == "or":
        assert "ଖୋଲା ଅଭିଯାନ" in page and "କାହାକୁ ମନୋନୀତ କରନ୍ତୁ" in page


# ---------------------------------------------------------------- /nominate?campaign=


def _notices(client: FlaskClient, campaign: str) -> tuple[str, list[str]]:
    response = sign_in_as(client, "Nina").get("/nominate", query_string={"campaign": campaign})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    chosen = re.search(r'<option selected value="([^"]*)"', page)
    notices = [_text(n) for n in re.findall(r'<p class="kudos-prefill-notice">(.*?)</p>', page, re.S)]
    return (chosen.group(1) if chosen else ""), notices


def test_the_directory_link_chooses_the_campaign(client: FlaskClient) -> None:
    assert _notices(client, "walk-2") == ("walk-2", [])


@pytest.mark.parametrize(("slug", "sentence"), [
    ("over", "The campaign Campaign over ended on "),
    ("later", "The campaign Campaign later takes nominations from "),
    ("walk-3", "Kudos has no campaign named walk-3; choose one below."),
    ("x" * 80, "Kudos has no campaign named " + "x" * 60 + "…"),
    ("walk\r\nSet-Cookie: x=1", "Kudos has no campaign named walk Set-Cookie: x=1;"),
])
def test_a_campaign_that_cannot_be_chosen_is_named_with_the_reason(client: FlaskClient, slug: str,
                                                                   sentence: str) -> None:
    chosen, notices = _notices(client, slug)
    assert len(notices) == 1 and notices[0].startswith(sentence), notices
    assert notices[0].endswith("See all open campaigns.")
    assert chosen != slug


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_a_campaign_that_opens_while_the_form_is_made_is_named_without_a_date(
        client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """The form lists the campaigns open when it starts; "later" opens two days on, and by the time the notice
    is written it has (the clock jumps): the notice says only that it was not open."""
    calls: list[None] = []

    def clock() -> datetime:
        calls.append(None)
        return NOW if len(calls) == 1 else NOW + timedelta(days=3)

    monkeypatch.setattr(nominate, "utcnow", clock)
    chosen, notices = _notices(client, "later")
    assert notices == ["The campaign Campaign later is not open for nominations now; choose one below. "
                       "See all open campaigns."]
    assert chosen != "later"


def test_a_campaign_closed_early_leaves_the_directory_and_the_form_says_when(client: FlaskClient,
                                                                           database: Database) -> None:
    with database.transaction() as session:
        walk = campaigns.get(session, "walk")
        campaign_settings.close(session, walk, "Olga", now=datetime(2026, 2, 1, 12))
        walk.ends = NOW + timedelta(days=30)  # even with its end date moved on again
    assert "walk" not in _groups(client.get("/campaigns").get_data(as_text=True))["orwiki"]
    chosen, notices = _notices(client, "walk")
    assert notices == ["The campaign Campaign walk ended on Feb 1, 2026 and takes no more nominations; choose "
                       "another one below. See all open campaigns."]
