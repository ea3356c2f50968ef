"""Praise suggestions against the real local MediaWiki: seeded edit histories, the bar, what is stored and what
the wiki is asked (50 people a request, continuation followed), renames followed, nothing about the excluded.

The people (prefix "Sg ") and their edits are made once for the module; each test builds its campaign and
refreshes. Wiki behaviour does not depend on the database, so these run on SQLite only.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import event, select

from kudos import participants, people
from kudos.clock import utcnow
from kudos.config import Config
from kudos.db import Database
from kudos.models import Campaign, ParticipantSource, Suggestion
from kudos.suggestions import bar, decisions, listing, refresh
from kudos.suggestions import wiki as suggestion_wiki
from tests.factories import make_campaign, make_nomination
from tests.servers.mediawiki import ImportedRevision, LocalWiki
from tests.stub_http import Recorded, Reply, StubServer
from tests.support import make_config

ON_SQLITE = pytest.mark.parametrize("database", ["sqlite"], indirect=True)

# name → (edits in the last days, the pages they go to); every edit adds text, the first of a page creates it
EDITORS = {
    "Sg Eligible": (10, ("Sg River", "Sg Lake", "Sg Hill")),
    "Sg Ana": (8, ("Sg Ana page",)),  # a prefix of Ananya's name: neither is mistaken for the other
    "Sg Ananya": (5, ("Sg Ananya page",)),  # too few
    "Sg Few": (7, ("Sg Few page",)),  # one short of the bar
    "Sg Many": (9, ("Sg Many page",)),  # 600 edits in all
    "Sg Blocked": (9, ("Sg Blocked page",)),
    "Sg Opted": (9, ("Sg Opted page",)),  # opted out of Kudos
    "Sg Thanked": (9, ("Sg Thanked page",)),  # already nominated in the campaign
    "Sg Snoozy": (9, ("Sg Snoozy page",)),
    "Sg Mixed": (9, ("Sg Mixed page",)),  # and two big edits of "Sg Disputed" that were rolled back
    "Sg Reverted": (6, ("Sg Reverted page",)),  # and three rolled back: 6 count, not 9
    "Sg Newcomer": (8, ("Sg Newcomer page",)),  # signed up on the wiki, not a participant
    "Sg Renamed Old": (9, ("Sg Renamed page",)),  # signed up; renamed by a test below
}
NEWCOMERS = ("Sg Newcomer", "Sg Renamed Old")
ROLLED_BACK = {"Sg Mixed": ("Sg Disputed", 2), "Sg Reverted": ("Sg Quarrel", 3)}
STALE = "Sg Stale"  # nine edits, but eight days ago
BATCH = [f"Sg Batch {n:03d}" for n in range(110)]  # participants without edits
PARTICIPANTS = [name for name in EDITORS if name not in NEWCOMERS] + [STALE]
_prepared: dict[str, Any] = {}


def _text(title: str, n: int) -> str:
    return f"{title}: " + " ".join(f"sentence {i} about {title}." for i in range(n + 1))


@pytest.fixture(scope="module")
def wiki(local_wiki: LocalWiki) -> LocalWiki:
    """The people and their edits, made once: imported with their timestamps, then two rollbacks."""
    if "done" in _prepared:
        return local_wiki
    now = datetime.utcnow()
    local_wiki.create_accounts([n for n in EDITORS if n not in NEWCOMERS] + [STALE] + BATCH)
    local_wiki.create_accounts(list(NEWCOMERS), signed_up=True)
    revisions = []
    for name, (count, titles) in EDITORS.items():
        for n in range(count):
            title = titles[n % len(titles)]
            revisions.append(ImportedRevision(title, _text(title, n), name, now - timedelta(hours=100 - n),
                                              f"{name} edit {n}"))
    for n in range(9):
        revisions.append(ImportedRevision("Sg Stale page", _text("Sg Stale page", n), STALE,
                                          now - timedelta(days=8, hours=n)))
    for name, (title, count) in ROLLED_BACK.items():
        revisions.append(ImportedRevision(title, "A page someone else started.", "Admin", now - timedelta(days=20)))
        revisions += [ImportedRevision(title, "A page someone else started." + " Disputed text." * 300 * (n + 1),
                                       name, now - timedelta(hours=50 - n), "a big change") for n in range(count)]
    local_wiki.import_revisions(revisions)
    for name, (title, _count) in ROLLED_BACK.items():
        local_wiki.rollback(title, name)
    local_wiki.set_editcounts({"Sg Many": 600, "Sg Eligible": 40})
    local_wiki.block("Sg Blocked")
    _prepared["done"] = True
    return local_wiki


def _config(wiki: LocalWiki, database: Database) -> Config:
    return make_config(database_url=database.url, wikis={
        "orwiki": {"api_url": wiki.api_url, "language": "or", "name": "Local test wiki"}})


def _campaign(database: Database, config: Config, names: list[str], newcomer_days: int = 30) -> int:
    with database.transaction() as session:
        campaign = make_campaign(session, config, slug="suggest", organizers=("Olga",))
        campaign.suggest_newcomer_days = newcomer_days
        if names:
            participants.add(session, campaign, names, ParticipantSource.paste, "Olga")
        people.set_opt_out(session, "Sg Opted", True)
        make_nomination(session, config, campaign, nominator="Nina", recipient="Sg Thanked")
        return campaign.id


def _shown(database: Database, campaign_id: int) -> dict[str, listing.Shown]:
    with database.session() as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        return {s.username: s for s in listing.page(session, campaign, utcnow(), per_page=500).items}


def _asked(wiki: LocalWiki, since: int) -> list[dict[str, str]]:
    paths = [path for _, path in wiki.requests_logged()[since:] if "api.php" in path and "kudosfixture" not in path]
    return [{k: v[0] for k, v in parse_qs(urlsplit(p).query).items()} for p in paths]


@ON_SQLITE
def test_the_bar_picks_exactly_the_praiseworthy(wiki: LocalWiki, database: Database) -> None:
    config = _config(wiki, database)
    campaign_id = _campaign(database, config, PARTICIPANTS)
    start = len(wiki.requests_logged())
    summary = refresh.refresh(database, config)
    assert not summary.failed
    shown = _shown(database, campaign_id)
    mine = {name for name in shown if name.startswith("Sg ")}
    assert mine == {"Sg Eligible", "Sg Ana", "Sg Snoozy", "Sg Mixed", "Sg Newcomer", "Sg Renamed Old"}
    assert shown["Sg Newcomer"].source == "newcomer" and shown["Sg Eligible"].source == "participant"
    asked = {name for query in _asked(wiki, start) for name in query.get("ususers", "").split("|") if name}
    # Opted out and already thanked: the wiki is not even asked about them.
    assert "Sg Opted" not in asked and "Sg Thanked" not in asked and "Sg Eligible" in asked

    eligible = shown["Sg Eligible"]
    assert (eligible.edits, eligible.pages, eligible.editcount, eligible.days, eligible.reverted) == (10, 3, 40, 7, 0)
    assert eligible.bytes_added == sum(len(_text(t, n)) for t, n in (("Sg River", 9), ("Sg Lake", 7), ("Sg Hill", 8)))
    # The biggest changes, then the newest: creating "Sg Hill" with three sentences (+86 bytes) beats adding three
    # to "Sg River" (+81, edits 9 and 6, then 3).
    assert [(e.comment, e.title, e.sizediff, e.new) for e in eligible.notable] == [
        ("Sg Eligible edit 2", "Sg Hill", 86, True), ("Sg Eligible edit 9", "Sg River", 81, False),
        ("Sg Eligible edit 6", "Sg River", 81, False)]
    assert eligible.age_days(utcnow()) == 0

    mixed = shown["Sg Mixed"]
    assert (mixed.edits, mixed.reverted) == (9, 2)  # the rolled-back edits are not counted …
    assert [e.reverted for e in mixed.notable] == [True, True, False]  # … but marked among the notable
    assert mixed.evidence is not None and mixed.evidence.title == "Sg Mixed page"


@ON_SQLITE
def test_snoozed_set_aside_opted_out_and_thanked_people_leave_the_page(wiki: LocalWiki, database: Database) -> None:
    config = _config(wiki, database)
    campaign_id = _campaign(database, config, PARTICIPANTS, newcomer_days=0)
    refresh.refresh(database, config)
    shown = _shown(database, campaign_id)
    now = utcnow()
    with database.transaction() as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        decisions.snooze(session, campaign, shown["Sg Snoozy"].user_id, "Olga", now)
        decisions.dismiss(session, campaign, shown["Sg Ana"].user_id, "Olga", now)
        make_nomination(session, config, campaign, nominator="Nina", recipient="Sg Mixed")
    refresh.refresh(database, config)
    assert {n for n in _shown(database, campaign_id) if n.startswith("Sg ")} == {"Sg Eligible"}
    with database.session() as session:
        rows = {row.username: row for row in session.scalars(select(Suggestion))}
    # Nothing is kept about people who are no longer suggestions, beyond the decision about them.
    assert rows["Sg Ana"].edits is None and rows["Sg Ana"].notable == [] and rows["Sg Ana"].dismissed_by == "Olga"
    assert rows["Sg Snoozy"].edits == 9  # snoozed people come back with their figures
    assert "Sg Mixed" not in rows  # pending nomination: never shown, so nothing is kept at all
    with database.transaction() as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        decisions.restore(session, campaign, shown["Sg Ana"].user_id, "Olga")
        session.get(Suggestion, (campaign_id, shown["Sg Snoozy"].user_id)).snoozed_until = now  # type: ignore[union-attr]
    refresh.refresh(database, config)
    assert {n for n in _shown(database, campaign_id) if n.startswith("Sg ")} == {"Sg Eligible", "Sg Ana", "Sg Snoozy"}


@ON_SQLITE
def test_a_stricter_bar_applies_at_once_and_a_looser_one_at_the_next_refresh(wiki: LocalWiki,
                                                                             database: Database) -> None:
    config = _config(wiki, database)
    campaign_id = _campaign(database, config, PARTICIPANTS, newcomer_days=0)
    refresh.refresh(database, config)
    with database.transaction() as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        bar.update(session, campaign, "Olga", min_edits=10, days=7)
    assert {n for n in _shown(database, campaign_id) if n.startswith("Sg ")} == {"Sg Eligible"}
    with database.transaction() as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        bar.update(session, campaign, "Olga", min_edits=6, max_edits=1000)
    refresh.refresh(database, config)
    assert {n for n in _shown(database, campaign_id) if n.startswith("Sg ")} == {
        "Sg Eligible", "Sg Ana", "Sg Snoozy", "Sg Mixed", "Sg Few", "Sg Many", "Sg Reverted"}


@ON_SQLITE
def test_fifty_people_a_request_with_contributions_and_accounts_together(
        wiki: LocalWiki, database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    config = _config(wiki, database)
    everyone = PARTICIPANTS + BATCH
    _campaign(database, config, everyone, newcomer_days=0)
    asked_about = len(everyone) - 2  # the opted out and the already thanked are left out
    start = len(wiki.requests_logged())
    summary = refresh.refresh(database, config)
    sent = _asked(wiki, start)
    assert summary.requests == len(sent) == math.ceil(asked_about / 50) == 3
    assert all(q["list"] == "usercontribs|users" and q["ucuser"] == q["ususers"] for q in sent)
    assert sorted(len(q["ucuser"].split("|")) for q in sent) == sorted([50, 50, asked_about - 100])
    first = _shown(database, _only_campaign(database))

    # Five contributions a response: the continuation is followed and changes nothing.
    monkeypatch.setattr(suggestion_wiki, "UCLIMIT", "5")
    start = len(wiki.requests_logged())
    again = refresh.refresh(database, config)
    sent = _asked(wiki, start)
    assert again.continuations > 0 and again.requests == len(sent) == 3 + again.continuations
    assert all("uccontinue" in q for q in sent if q.get("continue"))
    assert _shown(database, _only_campaign(database)).keys() == first.keys()


def _only_campaign(database: Database) -> int:
    with database.session() as session:
        found = session.scalar(select(Campaign.id).where(Campaign.slug == "suggest"))
        assert found is not None
        return found


@ON_SQLITE
def test_a_renamed_newcomer_stays_set_aside_under_the_new_name(wiki: LocalWiki, database: Database) -> None:
    config = _config(wiki, database)
    campaign_id = _campaign(database, config, [])
    refresh.refresh(database, config)
    renamed = _shown(database, campaign_id)["Sg Renamed Old"]
    with database.transaction() as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        decisions.dismiss(session, campaign, renamed.user_id, "Olga", utcnow())
    wiki.rename_user("Sg Renamed Old", "Sg Renamed New")
    refresh.refresh(database, config)
    assert not {"Sg Renamed Old", "Sg Renamed New"} & _shown(database, campaign_id).keys()
    with database.session() as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        aside = listing.set_aside(session, campaign)
        names = set(session.scalars(select(Suggestion.username)))
    assert [(a.user_id, a.username, a.by) for a in aside] == [(renamed.user_id, "Sg Renamed New", "Olga")]
    assert "Sg Renamed Old" not in names


def test_hidden_and_temporary_accounts_and_hidden_sign_ups_are_never_suggested() -> None:
    """MediaWiki 1.39 has no temporary accounts and hiding a user needs suppression rights: the API's answers for
    them, as newer wikis give them, are read here."""
    accounts = {name: suggestion_wiki.Account(name) for name in ("Hidden", "~2025-12345-67", "Temp", "Fine")}
    for answer in ({"userid": 5, "name": "Hidden", "editcount": 9, "hidden": True},
                   {"userid": 6, "name": "~2025-12345-67", "editcount": 9},
                   {"userid": 7, "name": "Temp", "editcount": 9, "temp": True},
                   {"userid": 8, "name": "Fine", "editcount": 9, "blockid": 3, "blockhidden": True}):
        suggestion_wiki._account_from(accounts, answer)
    assert [a.suggestible for a in accounts.values()] == [False, False, False, False]
    assert not suggestion_wiki.askable("~2025-12345-67") and not suggestion_wiki.askable("User:Sg Ana")
    assert suggestion_wiki._newcomer_from({"action": "create", "user": "Sg X", "userhidden": True}) == (None, None)
    assert suggestion_wiki._newcomer_from({"action": "create", "user": "~2025-1"}) == (None, None)
    assert suggestion_wiki._newcomer_from({"action": "create2", "user": "Olga", "title": "User:Sg Made",
                                           "timestamp": "2026-01-02T03:04:05Z"}) == (
        "Sg Made", datetime(2026, 1, 2, 3, 4, 5))


def test_the_job_refreshes_on_its_own_schedule_and_never_stops_for_a_failure(database: Database) -> None:
    config = make_config(database_url=database.url, wikis={
        "orwiki": {"api_url": "http://127.0.0.1:9/api.php", "language": "or", "name": "Nowhere"}})
    with database.transaction() as session:
        make_campaign(session, config, slug="unreachable")
    from wikibot.runner import Runner

    logged: list[dict[str, Any]] = []
    runner = Runner(config, database, worker_id="w1")
    runner.suggestions.log_event = lambda **fields: logged.append(fields)
    first = runner.suggestions.refresh_if_due()
    assert first is not None and first.failed == ["orwiki"]
    assert runner.suggestions.refresh_if_due() is None  # not due again within the hour
    assert logged == [{"event": "suggestions", "outcome": "failed", "campaigns": 1, "people": 0, "suggested": 0,
                       "requests": 1, "failed": "orwiki"}]  # the one attempt that failed


def test_the_bar_refuses_what_is_not_a_whole_number_in_range() -> None:
    for values in ({"min_edits": 0}, {"days": 91}, {"days": True}, {"max_edits": "500"}, {"snooze_days": 2**63},
                   {"colour": 3}):
        with pytest.raises(Exception, match="must be a whole number|is not a setting"):
            bar.check(values)
    assert bar.check({"newcomer_days": 0, "days": 90}) == {"newcomer_days": 0, "days": 90}


@ON_SQLITE
def test_a_wiki_without_growthexperiments_still_gets_its_suggestions(wiki: LocalWiki, database: Database) -> None:
    """The local wiki has no GrowthExperiments: its rest.php answers 404 for user impact, and nothing else changes."""
    config = make_config(database_url=database.url, suggestions={"user_impact_wikis": ["orwiki"]}, wikis={
        "orwiki": {"api_url": wiki.api_url, "language": "or", "name": "Local test wiki"}})
    campaign_id = _campaign(database, config, PARTICIPANTS, newcomer_days=0)
    summary = refresh.refresh(database, config)
    shown = _shown(database, campaign_id)
    assert summary.impact_requests == len(shown) == 4 and not summary.failed
    assert {(s.thanks_received, s.streak_days) for s in shown.values()} == {(None, None)}


class GrowthStub(StubServer):
    """GrowthExperiments' user-impact endpoint, answering as the extension's UserImpact serialises."""

    def route(self, request: Recorded) -> Reply:
        if request.path == "/rest.php/growthexperiments/v0/user-impact/%2342":
            return Reply(200, {"@version": 8, "userId": 42, "userName": "Sg Ana", "receivedThanksCount": 3,
                               "longestEditingStreak": {"datePeriod": {"start": "2026-11-20", "end": "2026-11-24",
                                                                       "days": 5}, "totalEditCountForPeriod": 9}})
        if request.path == "/rest.php/growthexperiments/v0/user-impact/%2343":
            return Reply(200, {"receivedThanksCount": "many", "longestEditingStreak": ""})
        return Reply(404, {"errorKey": "rest-no-match"})


def test_user_impact_adds_thanks_and_streaks_and_ignores_anything_else() -> None:
    stub = GrowthStub().start()
    try:
        config = make_config(wikis={"orwiki": {"api_url": stub.base_url + "/api.php", "language": "or",
                                               "name": "Stub"}})
        client = suggestion_wiki.SuggestClient(config)
        assert client.impact("orwiki", 42) == (3, 5)
        assert client.impact("orwiki", 43) == (None, None)
        assert client.impact("orwiki", 44) == (None, None)
        stub.fail("/rest.php", 500)
        assert client.impact("orwiki", 42) == (None, None)
        assert client.impact_requests == 4 and client.requests == 0
    finally:
        stub.stop()


@pytest.mark.parametrize("database", ["mariadb"], indirect=True)
def test_a_snooze_committed_while_the_job_retires_the_person_is_kept(database: Database) -> None:
    """The job read the row, the organizer snoozed the person and committed, then the job found them no longer a
    suggestion: the row and the snooze stay (InnoDB's delete sees the committed snooze)."""
    config = make_config(database_url=database.url)
    now = utcnow().replace(microsecond=0)
    with database.transaction() as session:
        campaign_id = make_campaign(session, config, slug="race").id
        edits = [suggestion_wiki.Edit(n, "Race page", 0, now, 50, "", False, False, True) for n in range(9)]
        account = suggestion_wiki.Account("Sg Racer", True, 77, editcount=20)
        refresh.store(session, campaign_id, {77: (account, "participant", refresh.figures(edits, now, 7))}, {}, now)

    snoozed: list[bool] = []

    def organizer_snoozes(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith("DELETE FROM suggestion") and not snoozed:
            snoozed.append(True)
            with database.transaction() as other:
                campaign = other.get(Campaign, campaign_id)
                assert campaign is not None
                decisions.snooze(other, campaign, 77, "Olga", now)

    event.listen(database.engine, "before_cursor_execute", organizer_snoozes)
    try:
        with database.transaction() as job:
            refresh.store(job, campaign_id, {}, {}, now)  # no longer found: retire
    finally:
        event.remove(database.engine, "before_cursor_execute", organizer_snoozes)
    assert snoozed
    with database.session() as session:
        row = session.get(Suggestion, (campaign_id, 77))
        assert row is not None and row.snoozed_by == "Olga"
