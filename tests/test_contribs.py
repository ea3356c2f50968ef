"""Contribution refresh against the real local MediaWiki: edits made at known timestamps, counted per day,
fetched 50 users per request with continuation, incrementally, and fed into the report."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from kudos import campaigns, contribs, participants, report
from kudos.config import Config
from kudos.db import Database
from kudos.models import ContribCursor, ContribDay, ParticipantSource
from tests import insight_scenario as scenario
from tests.factories import make_campaign
from tests.support import make_config
from tests.test_report import check_scenario_report
from tests.wiki_people import create_accounts

_prepared: dict[str, Any] = {}


def wiki_config(local_wiki: Any, database: Database) -> Config:
    wikis = {"orwiki": {"api_url": local_wiki.api_url, "language": "or", "name": "Local test wiki"}}
    return make_config(database_url=database.url, wikis=wikis)


def _revisions(local_wiki: Any, edits: dict[str, list[tuple[date, int]]]) -> None:
    from tests.servers.mediawiki import ImportedRevision

    revisions = [
        ImportedRevision(f"Insight test/{user}", f"Edit {n} of {day} by {user}", user,
                         datetime(day.year, day.month, day.day, 12, n))
        for user, days in edits.items() for day, count in days for n in range(count)
    ]
    local_wiki.import_revisions(revisions)


def prefix_for(database: Database) -> str:
    # The wiki lives for the whole session and each test runs once per database: separate names keep runs apart.
    return f"{database.dialect.capitalize()} "


@pytest.fixture
def scenario_on_wiki(local_wiki: Any, database: Database) -> Iterator[str]:
    """The scenario's accounts and edits, made once per database backend."""
    prefix = prefix_for(database)
    key = f"scenario-{prefix}"
    if key not in _prepared:
        users = scenario.RECOGNISED + scenario.NOT_RECOGNISED + [scenario.HIDDEN, scenario.OUTSIDER]
        create_accounts(local_wiki, [scenario.name(prefix, u) for u in users])
        _revisions(local_wiki, {scenario.name(prefix, u): days for u, days in scenario.EDITS.items()})
        _prepared[key] = True
    yield prefix


def test_refreshed_contributions_give_the_hand_computed_report(local_wiki: Any, database: Database,
                                                               scenario_on_wiki: str) -> None:
    prefix = scenario_on_wiki
    config = wiki_config(local_wiki, database)
    with database.transaction() as session:
        scenario.seed(session, config, prefix=prefix, late=False)
    before = local_wiki.request_count()
    summary = contribs.refresh(database, config, scenario.REFRESHED_AT)
    assert summary.requests == local_wiki.request_count() - before == 1  # 15 users share one window
    assert summary.users == 15  # 14 listed (not hidden) participants and the recognised outsider
    with database.transaction() as session:
        campaign = campaigns.get(session, "scenario")
        participants.add(session, campaign, [scenario.name(prefix, "Late")], ParticipantSource.paste, "Olga")
        # The job recomputes the snapshot after every refresh; Late joined after this one.
        assert report.store_snapshots(session, scenario.REFRESHED_AT) == 1
    with database.session() as session:
        stored = {(row.username, row.day): row.edits for row in session.scalars(select(ContribDay))}
        # Hid is hidden from the report but, as a recognised recipient, still followed.
        expected = {(scenario.name(prefix, user), day): count for user, days in scenario.EDITS.items()
                    for day, count in days if user != scenario.NEVER_REFRESHED}
        assert stored == expected
        built = report.build(session, campaigns.get(session, "scenario"), scenario.REFRESHED_AT)
    assert built.retention_as_of == scenario.REFRESHED_AT
    check_scenario_report(built)


@pytest.fixture
def batch_users(local_wiki: Any, database: Database) -> list[str]:
    """120 accounts; every tenth one edited once, on a different day of 2026-02."""
    prefix = prefix_for(database)
    names = [f"{prefix}Batch {i:03d}" for i in range(120)]
    if f"batch-{prefix}" not in _prepared:
        create_accounts(local_wiki, names)
        _revisions(local_wiki, {names[i]: [(date(2026, 2, 1 + i // 10), 1)] for i in range(0, 120, 10)})
        _prepared[f"batch-{prefix}"] = True
    return names


def _campaign_with(database: Database, config: Config, names: list[str]) -> None:
    with database.transaction() as session:
        campaign = make_campaign(session, config, slug="batch", starts=datetime(2026, 1, 1),
                                 ends=datetime(2026, 1, 31))
        participants.add(session, campaign, names, ParticipantSource.paste, "Olga")


def _usercontribs_requests(local_wiki: Any, since: int) -> list[dict[str, str]]:
    paths = [path for _, path in list(local_wiki.requests_logged())[since:] if "usercontribs" in path]
    return [{k: v[0] for k, v in parse_qs(urlsplit(p).query).items()} for p in paths]


def _log_length(local_wiki: Any) -> int:
    return len(list(local_wiki.requests_logged()))


def test_120_participants_take_three_requests(local_wiki: Any, database: Database,
                                              batch_users: list[str]) -> None:
    config = wiki_config(local_wiki, database)
    _campaign_with(database, config, batch_users)
    start = _log_length(local_wiki)
    before = local_wiki.request_count()
    summary = contribs.refresh(database, config, datetime(2026, 5, 31, 10, 0))
    assert local_wiki.request_count() - before == summary.requests == 3
    sent = _usercontribs_requests(local_wiki, start)
    assert [len(r["ucuser"].split("|")) for r in sent] == [50, 50, 20]
    assert all(r["uclimit"] == "max" and r["ucprop"] == "timestamp" for r in sent)
    with database.session() as session:
        stored = {(row.username, row.day): row.edits for row in session.scalars(select(ContribDay))}
    assert stored == {(batch_users[i], date(2026, 2, 1 + i // 10)): 1 for i in range(0, 120, 10)}
    assert summary.edits == 12


def test_continuation_is_followed(local_wiki: Any, database: Database, batch_users: list[str],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(contribs, "UCLIMIT", "2")
    config = wiki_config(local_wiki, database)
    _campaign_with(database, config, batch_users)
    before = local_wiki.request_count()
    summary = contribs.refresh(database, config, datetime(2026, 5, 31, 10, 0))
    # Edits per batch of 50: 5, 5 and 2; two per page → 3 + 3 + 1 requests.
    expected = sum(max(1, math.ceil(k / 2)) for k in (5, 5, 2))
    assert local_wiki.request_count() - before == summary.requests == expected == 7
    assert summary.edits == 12


def test_refresh_is_incremental(local_wiki: Any, database: Database, batch_users: list[str]) -> None:
    config = wiki_config(local_wiki, database)
    _campaign_with(database, config, batch_users)
    first = datetime(2026, 5, 31, 10, 0)
    contribs.refresh(database, config, first)

    second = first + timedelta(days=1)
    start = _log_length(local_wiki)
    summary = contribs.refresh(database, config, second)
    sent = _usercontribs_requests(local_wiki, start)
    assert summary.requests == len(sent) == 3 and summary.edits == 0
    assert {(r["ucstart"], r["ucend"]) for r in sent} == {("2026-05-31T10:00:01Z", "2026-06-01T10:00:00Z")}

    user = batch_users[7]
    _revisions(local_wiki, {user: [(date(2026, 6, 1), 1)]})  # 12:00, after the second refresh
    third = second + timedelta(days=1)
    summary = contribs.refresh(database, config, third)
    assert summary.requests == 3 and summary.edits == 1
    with database.session() as session:
        days = {row.day: row.edits for row in session.scalars(select(ContribDay).where(ContribDay.username == user))}
        cursor = session.get(ContribCursor, ("orwiki", user))
    assert days == {date(2026, 6, 1): 1}
    assert cursor is not None and (cursor.since, cursor.until) == (datetime(2026, 1, 1), third)


def test_an_earlier_campaign_start_backfills_only_the_missing_span(local_wiki: Any, database: Database,
                                                                   batch_users: list[str]) -> None:
    config = wiki_config(local_wiki, database)
    with database.transaction() as session:
        campaign = make_campaign(session, config, slug="late-start", starts=datetime(2026, 2, 5),
                                 ends=datetime(2026, 2, 28))
        participants.add(session, campaign, batch_users[:20], ParticipantSource.paste, "Olga")
    contribs.refresh(database, config, datetime(2026, 3, 1))
    with database.session() as session:
        assert session.scalar(select(ContribDay.edits).where(ContribDay.username == batch_users[0])) is None
    with database.transaction() as session:
        early = make_campaign(session, config, slug="early", starts=datetime(2026, 1, 15),
                              ends=datetime(2026, 2, 1))
        participants.add(session, early, batch_users[:20], ParticipantSource.paste, "Olga")
    start = _log_length(local_wiki)
    contribs.refresh(database, config, datetime(2026, 3, 1))
    windows = {(r["ucstart"], r["ucend"]) for r in _usercontribs_requests(local_wiki, start)}
    assert windows == {("2026-01-15T00:00:00Z", "2026-02-04T23:59:59Z")}
    with database.session() as session:
        stored = {(row.username, row.day) for row in session.scalars(select(ContribDay))}
    # Batch 000 edited on 02-01 and Batch 010 on 02-02: before the first campaign, inside the backfilled span.
    assert stored == {(batch_users[0], date(2026, 2, 1)), (batch_users[10], date(2026, 2, 2))}


def test_the_cli_command_refreshes(local_wiki: Any, database: Database, batch_users: list[str]) -> None:
    from kudos.web import create_app

    config = wiki_config(local_wiki, database)
    with database.transaction() as session:
        participants.add(session, make_campaign(session, config), batch_users[:3], ParticipantSource.paste, "Olga")
    result = create_app(config, database).test_cli_runner().invoke(args=["refresh-contribs"])
    assert result.exit_code == 0, result.output
    assert re.search(r"Refreshed contributions: 3 users, 1 batches, 1 API requests", result.output)
