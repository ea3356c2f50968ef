"""The campaign report, follow-up list and reminders from stored rows (the wiki tests feed the same scenario
through real edits and a refresh)."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from datetime import date, datetime, timedelta

import pytest
from flask import Flask

from kudos import campaigns, dashboard, report
from kudos.db import Database
from kudos.models import ContribCursor, ContribDay
from kudos.web import create_app
from tests import insight_scenario as scenario
from tests.support import make_config

SVG = "{http://www.w3.org/2000/svg}"


def store_contributions(database: Database, prefix: str = "") -> None:
    """What a refresh at scenario.REFRESHED_AT would have stored."""
    with database.transaction() as session:
        for user, days in scenario.EDITS.items():
            for day, edits in days:
                session.add(ContribDay(wiki="orwiki", username=scenario.name(prefix, user), day=day, edits=edits))
        everyone = scenario.RECOGNISED + scenario.NOT_RECOGNISED + [scenario.HIDDEN, scenario.OUTSIDER]
        for user in everyone:
            if user != scenario.NEVER_REFRESHED:
                session.add(ContribCursor(wiki="orwiki", username=scenario.name(prefix, user),
                                          since=scenario.STARTS, until=scenario.REFRESHED_AT))


def retention_figures(built: report.Report) -> dict[tuple[str, int], tuple[int, int, int]]:
    return {(c.group, c.horizon): (c.active, c.measurable, c.people) for c in built.retention}


def check_scenario_report(built: report.Report) -> None:
    """Every figure of the scenario, computed by hand in tests/insight_scenario.py."""
    assert retention_figures(built) == scenario.EXPECTED
    assert built.nominations == {"pending": 1, "approved": 8, "rejected": 1, "withdrawn": 0}
    assert built.to_approval == report.Durations(8, 25.0, 696.0)
    assert built.to_delivery == report.Durations(3, 4.0, 6.0)
    assert built.deliveries == {"talkpage": {"done": 3, "skipped": 2, "failed": 1, "pending": 2},
                                "wall": {"pending": 8}}
    assert built.skipped_reasons == {"The talk page forbids bots.": 2}
    assert built.recipients == 8
    assert built.consent == {"granted": 2, "refused": 1, "unknown": 5}
    assert built.consent_rate == 0.25


def test_scenario_report_matches_the_hand_computed_figures(database: Database) -> None:
    config = make_config(database_url=database.url)
    with database.transaction() as session:
        scenario.seed(session, config)
    store_contributions(database)
    with database.session() as session:
        campaign = campaigns.get(session, "scenario")
        check_scenario_report(report.build(session, campaign, scenario.REFRESHED_AT))


def test_the_job_snapshot_holds_the_same_figures(database: Database) -> None:
    config = make_config(database_url=database.url)
    with database.transaction() as session:
        scenario.seed(session, config)
    store_contributions(database)
    with database.transaction() as session:
        campaign = campaigns.get(session, "scenario")
        live = report.build(session, campaign, scenario.REFRESHED_AT)
        assert live.retention_as_of is None
        assert report.store_snapshots(session, scenario.REFRESHED_AT) == 1
    with database.session() as session:
        stored = report.build(session, campaigns.get(session, "scenario"), scenario.REFRESHED_AT)
    assert stored.retention == live.retention and stored.retention_as_of == scenario.REFRESHED_AT
    check_scenario_report(stored)


def test_follow_up_lists_exactly_the_participants_without_an_approved_nomination(database: Database) -> None:
    config = make_config(database_url=database.url)
    with database.transaction() as session:
        campaign = scenario.seed(session, config)
    store_contributions(database)
    with database.session() as session:
        rows = report.follow_up(session, session.merge(campaign))
    assert {r.username for r in rows} == set(scenario.NOT_RECOGNISED)
    assert [(r.username, r.edits) for r in rows[:2]] == [("N4", 6), ("Late", 2)]
    assert [r.username for r in rows if r.pending] == ["Pen"]
    assert {r.username: r.edits for r in rows}["N2"] == 0


def test_still_editing_windows_and_small_groups() -> None:
    anchor = date(2026, 1, 10)

    def person(*days: date, through: date | None = date(2026, 12, 31)) -> report.History:
        return report.History("X", anchor, frozenset(days), through)

    assert report.still_editing(person(date(2026, 1, 11)), 30) is True
    assert report.still_editing(person(date(2026, 2, 9)), 30) is True
    assert report.still_editing(person(date(2026, 2, 10)), 30) is False
    assert report.still_editing(person(date(2026, 1, 10)), 30) is False
    assert report.still_editing(person(date(2026, 3, 12)), 90) is True
    assert report.still_editing(person(date(2026, 3, 11)), 90) is False
    assert report.still_editing(person(date(2026, 2, 1), through=date(2026, 2, 8)), 30) is None
    assert report.still_editing(person(through=None), 30) is None
    small = report.retention_cell("recognised", [person(date(2026, 1, 11))] * 4, 30)
    assert small.too_small and small.share == 1.0
    big = report.retention_cell("not yet recognised", [person()] * 5, 30)
    assert "too small to compare" in report.comparison([small, big], 30)
    assert "100 percentage points more" in report.comparison(
        [report.retention_cell("recognised", [person(date(2026, 1, 11))] * 5, 30), big], 30)


def test_percentiles() -> None:
    assert report.percentile([1, 5, 10, 20, 30, 40, 50, 696], 90) == 696
    assert report.percentile(list(range(1, 11)), 90) == 9
    assert report.percentile([], 90) is None
    assert report.median([2, 4, 6]) == 4


def _client(database: Database, username: str) -> Flask:
    app = create_app(make_config(database_url=database.url), database)
    client = app.test_client()
    with client.session_transaction() as session:
        session["user"] = {"username": username}
    return client  # type: ignore[return-value]


def test_report_page_chart_and_csv_show_the_figures(database: Database) -> None:
    config = make_config(database_url=database.url)
    with database.transaction() as session:
        scenario.seed(session, config)
    store_contributions(database)
    client = _client(database, scenario.ORGANIZER)

    page = client.get("/campaigns/scenario/report").get_data(as_text=True)  # type: ignore[attr-defined]
    svg = page[page.index("<svg"):page.index("</svg>") + 6]
    chart = ET.fromstring(svg)  # noqa: S314 - the tool's own output
    labels = {(t.get("data-group"), t.get("data-horizon")): t.text
              for t in chart.iter(f"{SVG}text") if t.get("class") == "value"}
    assert labels == {("recognised", "30"): "50% (3/6)", ("not yet recognised", "30"): "43% (3/7)",
                      ("recognised", "90"): "50% (3/6)", ("not yet recognised", "90"): "29% (2/7)"}
    assert "7 percentage points more of the recognised participants" in page
    assert "21 percentage points more" in page  # 90 days: 50 % against 29 %

    response = client.get("/campaigns/scenario/report.csv")  # type: ignore[attr-defined]
    assert response.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    retention = {(r["metric"], r["group"]): (r["value"], int(r["count"]), int(r["total"]))
                 for r in rows if r["metric"].startswith("still_editing")}
    assert retention == {
        ("still_editing_30d", "recognised"): ("0.5000", 3, 6),
        ("still_editing_90d", "recognised"): ("0.5000", 3, 6),
        ("still_editing_30d", "not yet recognised"): ("0.4286", 3, 7),
        ("still_editing_90d", "not yet recognised"): ("0.2857", 2, 7),
    }
    by_metric = {r["metric"]: r for r in rows if r["section"] in ("durations", "consent")}
    assert by_metric["nomination_to_approval_hours_median"]["value"] == "25.00"
    assert by_metric["approval_to_delivery_hours_p90"]["value"] == "6.00"
    assert by_metric["rate"]["value"] == "0.2500"


def test_report_says_when_groups_are_too_small(database: Database) -> None:
    config = make_config(database_url=database.url)
    with database.transaction() as session:
        scenario.seed(session, config)
    # No refresh yet: nobody is measurable.
    page = _client(database, scenario.ORGANIZER).get("/campaigns/scenario/report").get_data(as_text=True)  # type: ignore[attr-defined]
    for horizon in (30, 90):
        assert f'class="comparison">At {horizon} days the groups are too small to compare' in page


@pytest.mark.parametrize(("now", "expected"), [
    (datetime(2026, 1, 12), []),
    (datetime(2026, 1, 17, 19, 0), [7]),
    (datetime(2026, 2, 9, 19, 0), [30]),
    (datetime(2026, 3, 11, 17, 0), [30]),
    (datetime(2026, 3, 12), []),
])
def test_reminders_seven_and_thirty_days_after_the_end(database: Database, now: datetime,
                                                       expected: list[int]) -> None:
    config = make_config(database_url=database.url)
    with database.transaction() as session:
        scenario.seed(session, config)
    with database.session() as session:
        due = dashboard.reminders(dashboard.organized(session, scenario.ORGANIZER, (), now), now)
        assert [r.days_after for r in due] == expected
        assert all(r.unrecognised == 8 and r.slug == "scenario" for r in due)
        assert dashboard.reminders(dashboard.organized(session, "Nina", (), now), now) == []


def test_dashboard_shows_the_reminder(database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    config = make_config(database_url=database.url)
    with database.transaction() as session:
        scenario.seed(session, config)
    monkeypatch.setattr("kudos.web.insight.utcnow", lambda: scenario.ENDS + timedelta(days=8))
    page = _client(database, scenario.ORGANIZER).get("/dashboard").get_data(as_text=True)  # type: ignore[attr-defined]
    assert 'data-campaign="scenario" data-days="7"' in page and "and 8 participants have not been thanked yet" in page
