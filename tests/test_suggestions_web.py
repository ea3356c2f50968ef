"""The suggestions page and its actions: what is shown (from stored rows only, never asking a wiki), snooze, "not
for this campaign" and undo, thanking one person through the pre-filled form and several at once through the
bulk page's rules, the bar's settings, and the report's line.

Suggestions are stored as the delivery job stores them (`refresh.store`); thanking asks the real local MediaWiki,
where the suggested people have accounts and the cited edit exists.
"""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from kudos import people
from kudos.clock import utcnow
from kudos.config import Config
from kudos.db import Database
from kudos.models import AuditEvent, Campaign, Nomination, NominationStatus, Suggestion
from kudos.suggestions import refresh
from kudos.suggestions.wiki import Account, Edit
from tests.factories import make_campaign, make_nomination
from tests.servers.mediawiki import LocalWiki
from tests.webtools import sign_in_as, web_app, web_config

ON_SQLITE = pytest.mark.parametrize("database", ["sqlite"], indirect=True)
pytestmark = pytest.mark.usefixtures("local_test_wikis")  # thanking asks the campaign's wiki
OLGA = "Olga Organizer"
RAVI, SITA, OPAL, PENNY = "Sgw Ravi", "Sgw Sita", "Sgw Opal", "Sgw Penny"
FAKE = 10**6  # revision ids of edits that only the stored suggestion knows
_made: dict[str, int] = {}


@pytest.fixture(scope="module")
def revid(local_wiki: LocalWiki) -> int:
    """An edit of Ravi's on the wiki, which the suggestion cites."""
    if "revid" not in _made:
        local_wiki.create_accounts([RAVI, SITA, OPAL, PENNY])
        _made["revid"] = local_wiki.edit("Sgw Konark", "The Sun Temple at Konark, with sources.", "Konark", RAVI)
    return _made["revid"]


def _edit(revid: int, title: str, sizediff: int, hours: int, *, reverted: bool = False, new: bool = False) -> Edit:
    return Edit(revid=revid, title=title, ns=0, timestamp=utcnow() - timedelta(hours=hours), sizediff=sizediff,
                comment=f"Worked on {title}", new=new, reverted=reverted, viewable=True)


def _seed(database: Database, config: Config, revid: int, **bar: int) -> int:
    """A campaign and four people the job found: Ravi (10 edits, a new page and a reverted one among his notable
    edits), Sita (8), Opal (9) and Penny (8, with 450 edits in all)."""
    now = utcnow().replace(microsecond=0)
    ravi = [_edit(revid, "Sgw Konark", 640, 3), _edit(FAKE + 1, "Sgw Puri", -2000, 5, reverted=True),
            _edit(FAKE + 2, "Sgw Chilika", 300, 9, new=True)] + [_edit(FAKE + 3 + n, "Sgw Konark", 10, 20 + n)
                                                                 for n in range(8)]
    people_found = {RAVI: (11, 60, ravi)} | {
        name: (uid, count, [_edit(900 + uid * 10 + n, f"Sgw {name} page", 50, 30 + n) for n in range(edits)])
        for name, uid, count, edits in ((SITA, 12, 40, 8), (OPAL, 13, 30, 9), (PENNY, 14, 450, 8))}
    with database.transaction() as session:
        campaign = make_campaign(session, config, slug="walk", organizers=(OLGA,))
        for key, value in bar.items():
            setattr(campaign, f"suggest_{key}", value)
        found: refresh.Assessed = {}
        for name, (uid, count, edits) in people_found.items():
            account = Account(name, True, uid, editcount=count, registered=now - timedelta(days=uid))
            found[uid] = (account, "participant", refresh.figures(edits, now - timedelta(days=7), 7))
        refresh.store(session, campaign.id, found, {}, now)
        return campaign.id


@pytest.fixture
def client(database: Database, revid: int) -> FlaskClient:
    config = web_config(database)
    _seed(database, config, revid)
    app = web_app(database, config)
    app.extensions["kudos.config_for_tests"] = config
    return sign_in_as(app.test_client(), OLGA)


def _cards(page: str) -> list[str]:
    return [html.unescape(name) for name in re.findall(r'class="cdx-card kudos-suggestion"[^>]*data-username="([^"]*)"',
                                                        page)]


def _row(database: Database, name: str) -> Suggestion:
    with database.session() as session:
        row = session.scalar(select(Suggestion).where(Suggestion.username == name))
        assert row is not None
        session.expunge(row)
        return row


@ON_SQLITE
def test_the_page_shows_the_evidence_from_stored_rows_without_asking_the_wiki(
        client: FlaskClient, database: Database, local_wiki: LocalWiki, revid: int) -> None:
    before = local_wiki.request_count()
    page = client.get("/campaigns/walk/suggestions").get_data(as_text=True)
    assert local_wiki.request_count() == before
    assert _cards(page) == [RAVI, OPAL, PENNY, SITA]  # most active first
    ravi = page.split(f'data-username="{RAVI}"')[1].split("</li>\n\n")[0]
    assert "10 edits to 2 pages in the last 7 days, 1020 bytes added" in ravi  # Puri's reverted edit not counted
    assert "1 reverted (not counted)" in ravi and "60 edits in all" in ravi and "registered 11 days ago" in ravi
    edits = re.findall(r'<li class="kudos-edit([^"]*)" data-revid="(\d+)">', ravi)
    assert edits == [(" kudos-edit--reverted", str(FAKE + 1)), ("", str(revid)), ("", str(FAKE + 2))]
    assert f'href="{local_wiki.index_url}?diff={revid}"' in ravi
    assert f'<time datetime="{(utcnow() - timedelta(hours=3)):%Y-%m-%d}' in ravi  # when, as the wiki said
    assert ravi.count("Thank for this edit") == 2  # never for the reverted one
    thank = html.unescape(re.search(r'class="[^"]*kudos-thank" href="([^"]+)"', ravi).group(1))  # type: ignore[union-attr]
    assert urlsplit(thank).path == "/nominate" and parse_qs(urlsplit(thank).query) == {
        "campaign": ["walk"], "wiki": ["orwiki"], "user": [RAVI], "link": [f"Special:Diff/{revid}"],
        "via": ["suggestions"]}
    line = html.unescape(re.search(r'id="line-11"[^>]*value="([^"]*)"', ravi).group(1))  # type: ignore[union-attr]
    assert line == "You added 640 bytes to “Sgw Konark” — thank you for that, and for your 10 edits to 2 pages in " \
                   "the last 7 days!"
    assert _row(database, RAVI).shown_at is not None  # the report counts who was shown


@ON_SQLITE
def test_opted_out_pending_and_over_the_bar_people_are_not_shown(client: FlaskClient, database: Database) -> None:
    with database.transaction() as session:
        people.set_opt_out(session, OPAL, True)
        campaign = session.scalar(select(Campaign).where(Campaign.slug == "walk"))
        assert campaign is not None
        make_nomination(session, web_config(database), campaign, nominator="Nina", recipient=SITA)
    assert _cards(client.get("/campaigns/walk/suggestions").get_data(as_text=True)) == [RAVI, PENNY]
    done = client.post("/campaigns/walk/suggestions/settings", data={
        "min_edits": "8", "days": "7", "max_edits": "400", "snooze_days": "3", "newcomer_days": "0"})
    assert done.status_code == 302
    page = client.get("/campaigns/walk/suggestions").get_data(as_text=True)
    assert _cards(page) == [RAVI] and "Snooze for 3 days" in page


@ON_SQLITE
@pytest.mark.parametrize("bad", [{"min_edits": "0"}, {"days": "abc"}, {"days": "91"}, {"max_edits": "9" * 40},
                                 {"snooze_days": ""}, {"newcomer_days": "-1"}, {"days": "7\r\n8"}])
def test_a_bar_out_of_range_is_refused_with_a_sentence_and_changes_nothing(
        client: FlaskClient, database: Database, bad: dict[str, str]) -> None:
    data = {"min_edits": "8", "days": "7", "max_edits": "500", "snooze_days": "10", "newcomer_days": "30", **bad}
    refused = client.post("/campaigns/walk/suggestions/settings", data=data)
    assert refused.status_code == 400
    assert "Give a whole number from" in refused.get_data(as_text=True)
    with database.session() as session:
        campaign = session.scalar(select(Campaign).where(Campaign.slug == "walk"))
        assert campaign is not None
        assert (campaign.suggest_min_edits, campaign.suggest_days, campaign.suggest_snooze_days) == (8, 7, 10)


@ON_SQLITE
def test_snooze_and_set_aside_are_recorded_with_who_and_undone(client: FlaskClient, database: Database) -> None:
    ravi, sita = _row(database, RAVI), _row(database, SITA)
    assert client.post("/campaigns/walk/suggestions/snooze", data={"user_id": str(ravi.user_id)}).status_code == 302
    assert client.post("/campaigns/walk/suggestions/dismiss", data={"user_id": str(sita.user_id)}).status_code == 302
    page = client.get("/campaigns/walk/suggestions").get_data(as_text=True)
    assert _cards(page) == [OPAL, PENNY]
    until = (utcnow() + timedelta(days=10)).strftime("%Y-%m-%d")
    assert f"<bdi>{RAVI}</bdi>, until {until} (by <bdi>{OLGA}</bdi>)" in page
    assert f"<bdi>{SITA}</bdi>, set aside by <bdi>{OLGA}</bdi> on {utcnow():%Y-%m-%d}" in page
    again = client.post("/campaigns/walk/suggestions/dismiss", data={"user_id": str(sita.user_id)})
    assert again.status_code == 409 and "already set aside" in again.get_data(as_text=True)
    with database.session() as session:
        events = [(e.action, e.data["username"]) for e in session.scalars(
            select(AuditEvent).where(AuditEvent.action.like("suggestion.%")).order_by(AuditEvent.id))]
    assert events == [("suggestion.snooze", RAVI), ("suggestion.dismiss", SITA)]
    for row in (ravi, sita):
        assert client.post("/campaigns/walk/suggestions/restore", data={"user_id": str(row.user_id)}).status_code == 302
    assert _cards(client.get("/campaigns/walk/suggestions").get_data(as_text=True)) == [RAVI, OPAL, PENNY, SITA]


@ON_SQLITE
@pytest.mark.parametrize(("user_id", "sentence"), [
    *((bad, "That person is not among this campaign's suggestions.")
      for bad in ("", "abc", "0", "-11", "11\r\n12", str(2**63), "9" * 400)),
    ("999", "There is no suggestion number 999 in “Campaign walk”."),
])
def test_an_unknown_person_is_a_sentence_not_an_error(client: FlaskClient, database: Database, user_id: str,
                                                      sentence: str) -> None:
    for action in ("snooze", "dismiss", "restore"):
        refused = client.post(f"/campaigns/walk/suggestions/{action}", data={"user_id": user_id})
        assert refused.status_code == 404
        assert sentence in html.unescape(refused.get_data(as_text=True))
    with database.session() as session:
        assert session.scalar(select(AuditEvent.id).where(AuditEvent.action.like("suggestion.%"))) is None


@ON_SQLITE
def test_thank_opens_the_form_filled_in_and_the_nomination_is_counted_for_the_report(
        client: FlaskClient, database: Database, revid: int) -> None:
    link = f"Special:Diff/{revid}"
    client.get("/campaigns/walk/suggestions")  # the organizer sees the four suggestions, then thanks one
    form = client.get(f"/nominate?campaign=walk&wiki=orwiki&user={RAVI}&link={link}&via=suggestions")
    page = form.get_data(as_text=True)
    assert form.status_code == 200 and '<input type="hidden" name="via" value="suggestions">' in page
    message = html.unescape(re.search(r"<textarea[^>]*>\s*(.*?)</textarea>", page, re.S).group(1))  # type: ignore[union-attr]
    assert message.startswith("You added 640 bytes to “Sgw Konark”")
    data = {"campaign": "walk", "recipient": RAVI, "award": "barnstar", "message": message, "link": link,
            "via": "suggestions"}
    preview = client.post("/nominate", data=data)
    assert preview.status_code == 200, preview.get_data(as_text=True)[:800]
    assert preview.get_data(as_text=True).count('name="via" value="suggestions"') == 2  # confirm, and change
    assert client.post("/nominate/confirm", data=data).status_code == 302
    ravi = _row(database, RAVI)
    assert ravi.thanked_at is not None and ravi.nomination_id is not None
    assert RAVI not in _cards(client.get("/campaigns/walk/suggestions").get_data(as_text=True))
    report = client.get("/campaigns/walk/report").get_data(as_text=True)
    assert "Praise suggestions: 4 people shown to organizers, 1 thanked from a suggestion; median time from " \
           "becoming eligible to being thanked: 0.0 h." in report
    csv = client.get("/campaigns/walk/report.csv").get_data(as_text=True)
    assert "suggestions,shown,,,4,\n" in csv and "suggestions,thanked_from_a_suggestion,,,1,4\n" in csv


@ON_SQLITE
def test_several_at_once_each_with_a_line_through_the_bulk_rules(client: FlaskClient, database: Database) -> None:
    client.get("/campaigns/walk/suggestions")
    ids = {name: _row(database, name).user_id for name in (RAVI, SITA, OPAL)}
    sent = client.post("/campaigns/walk/suggestions/thank", data={
        "pick": [str(ids[RAVI]), str(ids[SITA]), str(ids[OPAL])], "award": "teamwork", "approve": "y",
        f"line-{ids[RAVI]}": "Thank you for the Konark article and its sources!",
        f"line-{ids[SITA]}": "Thanks!", f"line-{ids[OPAL]}": "Thank you for the photos of Opal's village."})
    page = sent.get_data(as_text=True)
    assert sent.status_code == 200, page[:800]
    assert "2 nominations created and approved" in page and "One person was not thanked" in page
    assert f"<bdi>{SITA}</bdi>: <span dir=\"auto\">The message is too short" in page
    assert _cards(page) == [PENNY, SITA]  # the thanked leave the page; Sita keeps what was typed
    assert re.search(rf'id="line-{ids[SITA]}"[^>]*value="Thanks!"', page)
    with database.session() as session:
        made = {n.recipient: n for n in session.scalars(select(Nomination))}
    assert set(made) == {RAVI, OPAL} and all(n.status == NominationStatus.approved for n in made.values())
    assert made[RAVI].message == "Thank you for the Konark article and its sources!" and made[RAVI].award == "teamwork"
    assert _row(database, OPAL).nomination_id == made[OPAL].id and _row(database, SITA).thanked_at is None


@ON_SQLITE
def test_nothing_ticked_or_a_forged_tick_is_refused(client: FlaskClient, database: Database) -> None:
    for picks in ([], ["12\r\n"], ["99999"]):
        refused = client.post("/campaigns/walk/suggestions/thank", data={"pick": picks, "award": "barnstar"})
        assert refused.status_code in (400, 404), refused.get_data(as_text=True)[:300]
    with database.session() as session:
        assert session.scalar(select(Nomination.id)) is None


@ON_SQLITE
@pytest.mark.parametrize(("language", "direction", "heading"), [
    ("he", "rtl", "למי מגיעה תודה עכשיו"), ("or", "ltr", "ଏବେ କିଏ ଧନ୍ୟବାଦ ପାଇବା ଉଚିତ")])
def test_the_page_speaks_hebrew_and_odia(client: FlaskClient, language: str, direction: str, heading: str) -> None:
    page = client.get(f"/campaigns/walk/suggestions?uselang={language}").get_data(as_text=True)
    assert f'<html lang="{language}" dir="{direction}">' in page and heading in page


@ON_SQLITE
def test_a_closed_campaign_says_why_it_has_no_suggestions(database: Database, revid: int) -> None:
    config = web_config(database)
    campaign_id = _seed(database, config, revid)
    with database.transaction() as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        campaign.ends = utcnow() - timedelta(days=1)
    page = sign_in_as(web_app(database, config).test_client(), OLGA).get("/campaigns/walk/suggestions")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "not open for nominations now, so it has no suggestions" in text
    assert _cards(text) == []


def test_the_links_to_the_page(client: Any) -> None:
    for path in ("/dashboard", "/campaigns/walk/follow-up", "/campaigns/walk/report"):
        assert 'href="/campaigns/walk/suggestions"' in client.get(path).get_data(as_text=True), path
