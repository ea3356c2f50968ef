"""Creating a campaign at /campaigns/new: tool admins always, others when the wiki says they meet its bar
(not blocked, enough edits, an old enough account), asked of the real local MediaWiki; each bad field is
refused next to the field and nothing is created."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from kudos.config import Config
from kudos.db import Database
from kudos.models import AuditEvent, Campaign, MemberRole
from tests import support
from tests.servers.mediawiki import LocalWiki
from tests.webtools import sign_in_as, web_app, web_config
from tests.wiki_people import create_accounts

VETERAN, NEWCOMER, BLOCKED = "Cc Veteran", "Cc Newcomer", "Cc Blocked"
pytestmark = pytest.mark.usefixtures("local_test_wikis")


@pytest.fixture(scope="module")
def accounts(local_wiki: LocalWiki) -> Iterator[None]:
    create_accounts(local_wiki, [VETERAN, NEWCOMER, BLOCKED])
    local_wiki.set_editcounts({VETERAN: 120, NEWCOMER: 4, BLOCKED: 500})
    local_wiki.block(BLOCKED)
    yield
    local_wiki.unblock(BLOCKED)


def _config(database: Database, **bar: object) -> Config:
    wikis = {wiki_id: dict(spec) for wiki_id, spec in support.TEST_WIKIS.items()}
    wikis["orwiki"]["timezone"] = "Asia/Kolkata"
    creation = {"min_edits": 50, "min_account_age_days": 0, **bar}
    return web_config(database, wikis=wikis, campaign_creation=creation,
                      channels={"odia-matrix": {"type": "matrix", "wikis": ["orwiki"]},
                                "mastodon": {"type": "mastodon"}})


def _client(database: Database, who: str | None, **bar: object) -> FlaskClient:
    return sign_in_as(web_app(database, _config(database, **bar)).test_client(), who)


FORM = {"name": "Saturday workshop", "slug": "sat-workshop", "wiki": "orwiki", "kind": "workshop",
        "starts": "2026-12-05T10:00", "ends": "2026-12-05T18:00", "description": "Writing about Odia villages.",
        "awards": ["barnstar", "teamwork"], "default_award": "teamwork", "min_editcount": "10",
        "trusted": "Tara\nTina", "channels": ["odia-matrix"],
        "event_url": "https://meta.wikimedia.org/wiki/Special:EventDetails/42"}


def _campaigns(database: Database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(Campaign)) or 0


@pytest.fixture(autouse=True)
def _freeze_year(monkeypatch: pytest.MonkeyPatch) -> None:
    # The form's dates are in December 2026: "now" is a little before, so no date is a year ahead.
    monkeypatch.setattr("kudos.campaign_settings.utcnow", lambda: datetime(2026, 12, 1))


def test_an_admin_creates_a_campaign_with_every_setting(database: Database) -> None:
    client = _client(database, "Ada")
    page = client.get("/campaigns/new")
    assert page.status_code == 200 and 'name="slug"' in page.get_data(as_text=True)
    response = client.post("/campaigns/new", data=FORM)
    assert response.status_code == 302 and response.headers["Location"].endswith("/campaigns/sat-workshop/settings")
    with database.session() as session:
        campaign = session.scalar(select(Campaign).where(Campaign.slug == "sat-workshop"))
        assert campaign is not None
        # 10:00 in Kolkata is 04:30 UTC.
        assert (campaign.starts, campaign.ends) == (datetime(2026, 12, 5, 4, 30), datetime(2026, 12, 5, 12, 30))
        assert campaign.organizers == {"Ada"} and campaign.usernames(MemberRole.trusted) == {"Tara", "Tina"}
        assert (campaign.awards, campaign.default_award) == (["barnstar", "teamwork"], "teamwork")
        assert campaign.channels == ["odia-matrix"]
        assert campaign.min_editcount == 10 and campaign.created_by == "Ada"
    settings = client.get("/campaigns/sat-workshop/settings").get_data(as_text=True)
    assert 'value="2026-12-05T10:00"' in settings  # shown again in the wiki's time


def test_someone_over_the_bar_creates_and_becomes_its_organizer(database: Database, accounts: None) -> None:
    response = _client(database, VETERAN).post("/campaigns/new", data=FORM)
    assert response.status_code == 302
    with database.session() as session:
        campaign = session.scalar(select(Campaign).where(Campaign.slug == "sat-workshop"))
        assert campaign is not None and campaign.organizers == {VETERAN}


def test_someone_below_the_bar_is_told_what_is_missing_and_whom_to_ask(database: Database, accounts: None) -> None:
    client = _client(database, NEWCOMER)
    page = client.get("/campaigns/new")
    text = page.get_data(as_text=True)
    assert page.status_code == 403
    assert "Campaigns on Odia Wikipedia need at least 50 edits there; you have 4." in text
    assert "Ada" in text and "A tool admin can create the campaign for you" in text
    assert client.post("/campaigns/new", data=FORM).status_code == 403
    assert _campaigns(database) == 0


def test_a_young_account_is_told_its_age(database: Database, accounts: None) -> None:
    page = _client(database, VETERAN, min_account_age_days=30).get("/campaigns/new")
    assert page.status_code == 403
    assert "Your account must be at least 30 days old; it is 0 days old." in page.get_data(as_text=True)


def test_self_service_off_leaves_creation_to_admins(database: Database, accounts: None) -> None:
    client = _client(database, VETERAN, self_service=False)
    page = client.get("/campaigns/new")
    assert page.status_code == 403 and "On Odia Wikipedia only tool admins create campaigns." in page.get_data(
        as_text=True)
    assert client.post("/campaigns/new", data=FORM).status_code == 403
    assert _client(database, "Ada", self_service=False).post("/campaigns/new", data=FORM).status_code == 302


def test_an_account_blocked_on_the_wiki_cannot_create(database: Database, accounts: None) -> None:
    client = _client(database, BLOCKED)
    page = client.get("/campaigns/new")
    assert page.status_code == 403 and "Your account is blocked on Odia Wikipedia." in page.get_data(as_text=True)
    assert client.post("/campaigns/new", data=FORM).status_code == 403 and _campaigns(database) == 0


def test_anonymous_people_are_sent_to_sign_in(database: Database) -> None:
    client = _client(database, None)
    assert client.get("/campaigns/new").status_code == 302
    assert client.post("/campaigns/new", data=FORM).status_code == 403


BAD = [
    ("slug", {"slug": "Sat Workshop!"}, "may hold only lower-case letters, digits and hyphens"),
    ("ends", {"ends": "2026-12-04T10:00"}, "The campaign cannot end before it starts."),
    ("wiki", {"wiki": "dewiki"}, "The wiki “dewiki” is not configured"),
    ("awards", {"awards": ["barnstar", "goldstar"]}, "The award “goldstar” is not in the catalogue of Odia"),
    ("default_award", {"awards": ["barnstar"], "default_award": "teamwork"},
     "The default award “teamwork” is not among the awards offered."),
    ("channels", {"channels": ["telegram"]}, "The channel “telegram” is not configured."),
    ("channels", {"wiki": "enwiki", "channels": ["odia-matrix"]},
     "The channel “odia-matrix” does not post for English Wikipedia."),
    ("starts", {"starts": "2028-01-01T10:00", "ends": ""}, "A campaign can start at most a year from now."),
    ("min_editcount", {"min_editcount": "-5"}, "The minimum edit count cannot be negative."),
    ("min_editcount", {"min_editcount": "many"}, "Enter a whole number, such as 50."),
    ("event_url", {"event_url": "https://example.org/event"}, "Give the address of a CampaignEvents registration"),
    ("starts", {"starts": "next Saturday"}, "Enter a date and time such as 2026-12-05 10:00."),
    ("ends", {"ends": "0001-01-01T00:00"}, "Enter a date and time such as 2026-12-05 10:00."),
    ("min_editcount", {"min_editcount": "99999999999999999999"}, "The minimum edit count can be at most"),
    ("trusted", {"trusted": "Tara\nTina{{x}}"}, "“Tina{{x}}” cannot be a user name."),
]


@pytest.mark.parametrize("field,changes,sentence", BAD, ids=[f"{b[0]}-{i}" for i, b in enumerate(BAD)])
def test_a_bad_field_gets_its_sentence_next_to_it_and_nothing_is_created(
        database: Database, field: str, changes: dict[str, object], sentence: str) -> None:
    events = _audit_count(database)
    response = _client(database, "Ada").post("/campaigns/new", data={**FORM, **changes})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    beside = re.search(rf'id="{field}-error">(.*?)</div>\s*</div>', page, re.DOTALL)
    assert beside is not None and sentence in beside.group(1)
    assert 'value="Saturday workshop"' in page  # what was typed is kept
    assert _campaigns(database) == 0 and _audit_count(database) == events


def test_a_taken_slug_is_refused_next_to_the_slug(database: Database) -> None:
    client = _client(database, "Ada")
    assert client.post("/campaigns/new", data=FORM).status_code == 302
    response = client.post("/campaigns/new", data={**FORM, "name": "Another workshop"})
    assert response.status_code == 400
    beside = re.search(r'id="slug-error">(.*?)</div>\s*</div>', response.get_data(as_text=True), re.DOTALL)
    assert beside is not None and "A campaign called “sat-workshop” already exists." in beside.group(1)
    assert _campaigns(database) == 1


def _audit_count(database: Database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(AuditEvent)) or 0


LANGUAGES = [("or", '<html lang="or" dir="ltr">'), ("he", '<html lang="he" dir="rtl">')]


@pytest.mark.parametrize("language,marker", LANGUAGES)
def test_the_form_speaks_odia_and_hebrew(database: Database, language: str, marker: str) -> None:
    page = _client(database, "Ada").get(f"/campaigns/new?uselang={language}").get_data(as_text=True)
    assert marker in page
    title = {"or": "ଏକ ଅଭିଯାନ ତିଆରି କରନ୍ତୁ", "he": "יצירת מבצע"}[language]
    assert f"<h1>{title}</h1>" in page


def test_the_form_can_ask_whether_a_short_name_is_free(database: Database) -> None:
    client = _client(database, "Ada")
    assert client.get("/campaigns/new/slug?slug=sat-workshop").get_json() == {
        "slug": "sat-workshop", "available": True, "message": None}
    assert client.post("/campaigns/new", data=FORM).status_code == 302
    taken = client.get("/campaigns/new/slug?slug=sat-workshop").get_json()
    assert taken["available"] is False and taken["message"] == "A campaign called “sat-workshop” already exists."
    bad = client.get("/campaigns/new/slug?slug=Bad%20Slug&uselang=or").get_json()
    assert bad["available"] is False and bad["message"].startswith("ଅଭିଯାନର")
