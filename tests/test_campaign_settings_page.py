"""/campaigns/<slug>/settings: its organizers and admins change every setting but the slug (and the wiki once
there are nominations), close the campaign, appoint organizers under the existing rule, and read a short
history of changes with before and after."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from kudos import campaigns
from kudos.clock import utcnow
from kudos.config import Config
from kudos.db import Database
from kudos.models import Campaign, CampaignKind
from tests.factories import make_nomination
from tests.webtools import sign_in_as, web_app, web_config

# Changing settings asks the campaign's wiki whether the person is blocked there.
pytestmark = pytest.mark.usefixtures("local_test_wikis")


def _seed(database: Database, config: Config) -> None:
    with database.transaction() as session:
        campaigns.create(session, config, slug="walk", name="Photo walk", wiki="orwiki", actor="Cora",
                         kind=CampaignKind.event, organizers=["Olga"], starts=utcnow() - timedelta(days=1),
                         ends=utcnow() + timedelta(days=5))
        campaigns.create(session, config, slug="other", name="Other", wiki="orwiki", actor="Ada",
                         organizers=["Oscar"])


def _client(database: Database, who: str | None) -> FlaskClient:
    config = web_config(database)
    _seed(database, config)
    return sign_in_as(web_app(database, config).test_client(), who)


def _form(client: FlaskClient) -> dict[str, object]:
    """The settings form as the page shows it, ready to post back."""
    page = client.get("/campaigns/walk/settings").get_data(as_text=True)
    data: dict[str, object] = {}
    for name, value in re.findall(r'<input[^>]*name="(\w+)"[^>]*value="([^"]*)"', page):
        if name not in ("awards", "channels", "username", "back"):
            data[name] = value
    data["awards"] = re.findall(r'name="awards" value="(\w+)" checked', page)
    data["kind"] = "event"
    data["wiki"] = "orwiki"
    data["description"] = ""
    return data


def _campaign(database: Database) -> Campaign:
    with database.session() as session:
        campaign = session.scalar(select(Campaign).where(Campaign.slug == "walk"))
        assert campaign is not None
        session.expunge(campaign)
        return campaign


def test_an_organizer_changes_settings_and_sees_them_in_the_history(database: Database) -> None:
    client = _client(database, "Olga")
    data = {**_form(client), "name": "Photo walk in Cuttack", "min_editcount": "25"}
    response = client.post("/campaigns/walk/settings", data=data)
    assert response.status_code == 302
    campaign = _campaign(database)
    assert (campaign.name, campaign.min_editcount, campaign.slug) == ("Photo walk in Cuttack", 25, "walk")
    page = client.get("/campaigns/walk/settings").get_data(as_text=True)
    assert "changed settings" in page
    assert "Name: Photo walk → Photo walk in Cuttack" in page
    assert "Minimum edits for nominators: – → 25" in page


def test_a_refused_change_says_why_next_to_the_field_and_changes_nothing(database: Database) -> None:
    client = _client(database, "Olga")
    before = _campaign(database)
    data = {**_form(client), "name": "Renamed", "ends": "2020-01-01T00:00"}
    response = client.post("/campaigns/walk/settings", data=data)
    assert response.status_code == 400
    beside = re.search(r'id="ends-error">(.*?)</div>\s*</div>', response.get_data(as_text=True), re.DOTALL)
    assert beside is not None and "The campaign cannot end before it starts." in beside.group(1)
    after = _campaign(database)
    assert (after.name, after.ends) == (before.name, before.ends)


def test_the_slug_never_changes(database: Database) -> None:
    client = _client(database, "Olga")
    assert client.post("/campaigns/walk/settings", data={**_form(client), "slug": "renamed"}).status_code == 302
    assert _campaign(database).slug == "walk"


@pytest.mark.parametrize("who", ["Oscar", "Nina", "Cora"])
def test_others_cannot_see_or_change_the_settings(database: Database, who: str) -> None:
    """Oscar organizes another campaign; Nina organizes none; Cora created this one but does not organize it."""
    client = _client(database, who)
    assert client.get("/campaigns/walk/settings").status_code == 403
    assert client.post("/campaigns/walk/settings", data={"name": "Mine now"}).status_code == 403
    assert client.post("/campaigns/walk/close").status_code == 403
    assert _campaign(database).name == "Photo walk" and _campaign(database).closed_at is None


def test_closing_stops_nominations_and_says_so(database: Database) -> None:
    client = _client(database, "Olga")
    response = client.post("/campaigns/walk/close")
    assert response.status_code == 302
    assert _campaign(database).closed_at is not None
    page = client.get("/campaigns/walk/settings").get_data(as_text=True)
    assert "no new nominations. Reviews and deliveries go on." in page and "closed the campaign" in page
    assert "Close now" not in page


def test_the_wiki_is_locked_once_there_are_nominations(database: Database) -> None:
    config = web_config(database)
    client = _client(database, "Olga")
    with database.transaction() as session:
        make_nomination(session, config, campaigns.get(session, "walk"), nominator="Nina", recipient="Ravi")
    page = client.get("/campaigns/walk/settings").get_data(as_text=True)
    assert "The campaign has nominations, so its wiki can no longer change." in page
    response = client.post("/campaigns/walk/settings", data={**_form(client), "wiki": "enwiki"})
    assert response.status_code == 400
    assert "The campaign has nominations, so its wiki cannot change." in response.get_data(as_text=True)
    assert _campaign(database).wiki == "orwiki"


def test_appointing_from_the_settings_page_follows_the_existing_rule(database: Database) -> None:
    # Olga organizes but did not create the campaign: no form, the rule is explained.
    olga_page = _client(database, "Olga").get("/campaigns/walk/settings").get_data(as_text=True)
    assert 'name="back" value="settings"' not in olga_page
    assert "appointed by tool admins and by the person who created the campaign" in olga_page
    admin = sign_in_as(web_app(database, web_config(database)).test_client(), "Ada")
    assert 'name="back" value="settings"' in admin.get("/campaigns/walk/settings").get_data(as_text=True)
    response = admin.post("/campaigns/walk/organizers", data={"username": "Omar", "back": "settings"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/campaigns/walk/settings")
    assert "Omar" in _campaign_organizers(database)
    assert "made <bdi>Omar</bdi> an organizer" in admin.get("/campaigns/walk/settings").get_data(as_text=True)


def _campaign_organizers(database: Database) -> set[str]:
    with database.session() as session:
        return campaigns.get(session, "walk").organizers


def test_the_participant_import_starts_from_the_event_page(database: Database) -> None:
    client = _client(database, "Olga")
    data = {**_form(client), "event_url": "https://meta.wikimedia.org/wiki/Special:EventDetails/4711"}
    assert client.post("/campaigns/walk/settings", data=data).status_code == 302
    page = client.get("/campaigns/walk/participants").get_data(as_text=True)
    assert re.search(r'id="event" name="event"[^>]*value="4711"', page)


LANGUAGES = [("or", '<html lang="or" dir="ltr">'), ("he", '<html lang="he" dir="rtl">')]


@pytest.mark.parametrize("language,marker", LANGUAGES)
def test_the_settings_page_speaks_odia_and_hebrew(database: Database, language: str, marker: str) -> None:
    page = _client(database, "Olga").get(f"/campaigns/walk/settings?uselang={language}").get_data(as_text=True)
    assert marker in page
    assert {"or": "Photo walkର ସେଟିଂ", "he": "הגדרות Photo walk"}[language] in page


def test_a_wikis_community_campaign_keeps_its_kind_and_saving_it_unchanged_changes_nothing(
        database: Database) -> None:
    config = web_config(database)
    with database.transaction() as session:
        campaigns.ensure_community_campaigns(session, config)
    admin = sign_in_as(web_app(database, config).test_client(), "Ada")
    page = admin.get("/campaigns/orwiki-community/settings").get_data(as_text=True)
    assert re.findall(r'name="kind" type="radio" value="(\w+)"', page) == ["community"]  # it does not become an event
    data: dict[str, object] = dict(re.findall(r'<input[^>]*name="(name|starts|ends|min_editcount|event_url)"'
                                              r'[^>]*value="([^"]*)"', page))
    data.update(wiki="orwiki", kind="community", description="",
                awards=re.findall(r'name="awards" value="(\w+)" checked', page))
    response = admin.post("/campaigns/orwiki-community/settings", data=data, follow_redirects=True)
    assert response.status_code == 200 and "Nothing was changed." in response.get_data(as_text=True)
    with database.session() as session:
        assert campaigns.get(session, "orwiki-community").kind == CampaignKind.community
