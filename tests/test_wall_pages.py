"""The public wall: campaign and personal pages, permalinks, pagination, filters, Atom feeds, JSON API."""

from __future__ import annotations

from datetime import timedelta

import feedparser
from flask.testing import FlaskClient

from kudos.clock import utcnow
from kudos.db import Database
from kudos.models import Consent
from tests.factories import make_campaign, make_nomination
from tests.webtools import deliver, web_app, web_config


def _seed(database: Database) -> dict[str, int]:
    config = web_config(database)
    with database.transaction() as session:
        workshop = make_campaign(session, config, slug="workshop")
        other = make_campaign(session, config, slug="photo-walk", wiki="enwiki")
        shared = deliver(session, config, workshop, "Sharmila", consent=Consent.granted,
                         message="Photographed every temple in the old town.")
        private = deliver(session, config, workshop, "Pritam", consent=Consent.refused,
                          message="Secretly fixed all the broken references.")
        unknown = deliver(session, config, other, "Uma", message="Translated the help pages into English.")
        for nomination in (shared, private, unknown):
            nomination.deliveries[0].external_url = f"{DIFF}{nomination.recipient}&diff={nomination.id}"
        pending = make_nomination(session, config, workshop, recipient="Pia")
        return {"shared": shared.id, "private": private.id, "unknown": unknown.id, "pending": pending.id}


DIFF = "https://or.wikipedia.org/w/index.php?title=User_talk:"


def _client(database: Database) -> FlaskClient:
    return web_app(database).test_client()


def test_campaign_page_shows_only_that_campaigns_shoutouts(database: Database) -> None:
    _seed(database)
    page = _client(database).get("/campaigns/workshop").get_data(as_text=True)
    assert "Sharmila" in page and "Photographed every temple" in page
    assert "An editor on Odia Wikipedia was thanked." in page  # Pritam, who refused
    assert "Pritam" not in page and "Secretly fixed" not in page
    assert "editor on English Wikipedia" not in page  # Uma is in the other campaign


def test_unknown_campaign_page_is_a_404(database: Database) -> None:
    assert _client(database).get("/campaigns/nope").status_code == 404


def test_consenting_recipient_has_a_personal_page(database: Database) -> None:
    _seed(database)
    response = _client(database).get("/users/orwiki/Sharmila")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Shout-outs for <bdi>Sharmila</bdi>" in page and "Photographed every temple" in page


def test_recipient_without_consent_has_no_personal_page(database: Database) -> None:
    _seed(database)
    client = _client(database)
    for path in ("/users/orwiki/Pritam", "/users/enwiki/Uma", "/users/orwiki/Never_thanked"):
        response = client.get(path)
        assert response.status_code == 404, path
        page = response.get_data(as_text=True).split('id="content"')[1]
        assert "only for editors who have chosen to share" in page
        assert "Pritam" not in page and "Uma" not in page
    assert client.get("/users/nowiki/Sharmila").status_code == 404


def test_permalink_of_a_consenting_recipient_names_them(database: Database) -> None:
    ids = _seed(database)
    page = _client(database).get(f"/shoutouts/{ids['shared']}").get_data(as_text=True)
    assert "<bdi>Sharmila</bdi> was thanked" in page and "Photographed every temple" in page and "Nina" in page


def test_permalink_without_consent_says_only_that_an_editor_was_thanked(database: Database) -> None:
    ids = _seed(database)
    client = _client(database)
    for key, wiki in (("private", "Odia Wikipedia"), ("unknown", "English Wikipedia")):
        response = client.get(f"/shoutouts/{ids[key]}")
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert f"An editor on {wiki} was thanked" in page
        for personal in ("Pritam", "Uma", "Secretly fixed", "Translated the help", "Nina"):
            assert personal not in page


def test_wall_and_permalink_link_the_barnstars_edit_only_after_consent(database: Database) -> None:
    ids = _seed(database)
    client = _client(database)
    edit = f'<a href="{DIFF}Sharmila&amp;diff={ids["shared"]}">See the barnstar on the wiki</a>'
    for path in ("/", "/campaigns/workshop", "/users/orwiki/Sharmila", f"/shoutouts/{ids['shared']}"):
        page = client.get(path).get_data(as_text=True)
        assert edit in page, path
        assert page.count("See the barnstar on the wiki") == 1, path  # the edits of Pritam and Uma name them
    for key in ("private", "unknown"):
        assert "See the barnstar" not in client.get(f"/shoutouts/{ids[key]}").get_data(as_text=True)


def test_permalink_of_an_undelivered_nomination_is_a_404(database: Database) -> None:
    ids = _seed(database)
    assert _client(database).get(f"/shoutouts/{ids['pending']}").status_code == 404
    assert _client(database).get("/shoutouts/999999").status_code == 404


def test_wall_is_newest_first_with_keyset_pages(database: Database) -> None:
    config = web_config(database)
    start = utcnow() - timedelta(days=30)
    with database.transaction() as session:
        campaign = make_campaign(session, config)
        for i in range(25):
            deliver(session, config, campaign, f"Editor {i:02d}", consent=Consent.granted,
                    at=start + timedelta(hours=i))
    client = _client(database)
    first = client.get("/").get_data(as_text=True)
    assert first.index("Editor 24") < first.index("Editor 23")
    assert "Editor 04" not in first and first.count('kudos-shoutout"') == 20
    older = first.split('rel="next" href="')[1].split('"')[0].replace("&amp;", "&")
    second = client.get(older).get_data(as_text=True)
    assert second.count('kudos-shoutout"') == 5
    assert "Editor 04" in second and "Editor 05" not in second and 'rel="next"' not in second


def test_wall_filters_by_wiki_and_campaign(database: Database) -> None:
    _seed(database)
    client = _client(database)
    by_wiki = client.get("/?wiki=enwiki").get_data(as_text=True)
    assert "editor on English Wikipedia" in by_wiki and "Sharmila" not in by_wiki
    by_campaign = client.get("/?campaign=photo-walk").get_data(as_text=True)
    assert "editor on English Wikipedia" in by_campaign and "Sharmila" not in by_campaign
    everything = client.get("/?wiki=unknownwiki").get_data(as_text=True)
    assert "Sharmila" in everything and "editor on English Wikipedia" in everything


def test_feeds_are_valid_atom_with_privacy(database: Database) -> None:
    ids = _seed(database)
    client = _client(database)
    main = feedparser.parse(client.get("/feed.atom").data)
    assert not main.bozo, main.bozo_exception
    assert len(main.entries) == 3
    titles = {e.title for e in main.entries}
    assert titles == {"Sharmila was thanked", "An editor on Odia Wikipedia was thanked",
                      "An editor on English Wikipedia was thanked"}
    assert "Secretly fixed" not in client.get("/feed.atom").get_data(as_text=True)
    response = client.get("/campaigns/workshop/feed.atom")
    assert response.headers["Content-Type"].startswith("application/atom+xml")
    campaign = feedparser.parse(response.data)
    assert not campaign.bozo, campaign.bozo_exception
    assert campaign.feed.title == "Kudos shout-outs: Campaign workshop"
    assert len(campaign.entries) == 2
    links = {e.link for e in campaign.entries}
    assert f"https://kudos.toolforge.org/shoutouts/{ids['shared']}" in links  # the permalink, from tool_url
    # An entry is the same entry in every language: its id does not follow ?uselang=.
    odia = feedparser.parse(client.get("/campaigns/workshop/feed.atom?uselang=or").data)
    assert [e.id for e in odia.entries] == [e.id for e in campaign.entries] and {e.link for e in odia.entries} == links
    assert client.get("/campaigns/nope/feed.atom").status_code == 404


def test_api_lists_shoutouts_with_the_same_privacy_rules(database: Database) -> None:
    ids = _seed(database)
    response = _client(database).get("/api/v1/shoutouts")
    assert response.status_code == 200 and response.is_json
    data = response.get_json()
    assert data["next"] is None
    by_nomination = {s["nomination_id"]: s for s in data["shoutouts"]}
    assert set(by_nomination) == {ids["shared"], ids["private"], ids["unknown"]}
    shared = by_nomination[ids["shared"]]
    assert shared["recipient"] == "Sharmila" and shared["nominator"] == "Nina" and not shared["anonymous"]
    assert shared["url"] == f"http://localhost/shoutouts/{ids['shared']}"
    for key in ("private", "unknown"):
        item = by_nomination[ids[key]]
        assert item["anonymous"] is True
        assert item["recipient"] is item["nominator"] is item["message"] is item["link"] is None
    assert "Pritam" not in response.get_data(as_text=True)


def test_api_pages_with_a_next_cursor_and_filters(database: Database) -> None:
    config = web_config(database)
    with database.transaction() as session:
        campaign = make_campaign(session, config)
        other = make_campaign(session, config, slug="elsewhere", wiki="enwiki")
        for i in range(5):
            deliver(session, config, campaign, f"Editor {i}", consent=Consent.granted)
        deliver(session, config, other, "Elsa", consent=Consent.granted)
    client = _client(database)
    seen = []
    url = "/api/v1/shoutouts?limit=2&wiki=orwiki"
    while url:
        data = client.get(url).get_json()
        seen += [s["recipient"] for s in data["shoutouts"]]
        url = data["next"]
    assert seen == [f"Editor {i}" for i in range(4, -1, -1)]
    assert [s["recipient"] for s in client.get("/api/v1/shoutouts?campaign=elsewhere").get_json()["shoutouts"]] \
        == ["Elsa"]
    bad = client.get("/api/v1/shoutouts?wiki=nowiki")
    assert bad.status_code == 400 and "Unknown wiki" in bad.get_json()["error"]
