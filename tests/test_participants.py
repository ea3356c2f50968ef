"""Adding a campaign's participants: pasted, CSV, and imported from stubs that answer in the real formats of
the Programs & Events Dashboard (`users.json`) and CampaignEvents (`…/event_registration/{id}/participants`)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from kudos import participants
from kudos.db import Database
from kudos.errors import DomainError
from kudos.models import Participant, ParticipantSource
from kudos.web import create_app
from tests.factories import make_campaign
from tests.stub_http import Recorded, Reply, StubServer
from tests.support import make_config


def _dashboard_user(user_id: int, username: str, role: int) -> dict[str, Any]:
    # The fields of WikiEduDashboard's courses/_users.json.jbuilder for a viewer who is not an instructor.
    return {
        "character_sum_ms": 120, "character_sum_us": 0, "character_sum_draft": 0, "role": role,
        "role_description": None, "recent_revisions": 3, "content_expert": False, "program_manager": False,
        "contribution_url": f"https://or.wikipedia.org/wiki/Special:Contributions/{username}",
        "sandbox_url": f"https://or.wikipedia.org/wiki/Special:PrefixIndex/User:{username}/",
        "id": user_id, "username": username, "enrolled_at": "2026-03-01T10:00:00.000Z", "admin": False,
        "course_training_progress": None,
    }


class DashboardStub(StubServer):
    def route(self, request: Recorded) -> Reply:
        if request.path != "/courses/Odia_Wikimedians/Workshop_2026/users.json":
            return Reply(404, {"error": "not found"})
        users = [_dashboard_user(1, "Asha", 0), _dashboard_user(2, "Bikash_Das", 0),
                 _dashboard_user(3, "Facilitator Fiona", 1), _dashboard_user(4, "Staff Sam", 4),
                 _dashboard_user(5, "Chandan", 0)]
        return Reply(200, {"course": {"users": users}})


def _event_participant(pid: int, name: str | None, private: bool = False, hidden: bool = False) -> dict[str, Any]:
    # The shape of CampaignEvents' ListParticipantsHandler / Schema/ParticipantList.json.
    item: dict[str, Any] = {"participant_id": pid, "user_id": 1000 + pid,
                            "user_registered_at": "20260301100000",
                            "user_registered_at_formatted": "10:00, 1 March 2026", "private": private}
    if hidden:
        item["hidden"] = True  # a suppressed account: no name and no user page
    else:
        item["user_name"] = name
        item["user_page"] = {"path": f"/wiki/User:{name}", "title": f"User:{name}", "classes": "mw-userlink"}
    return item


class CampaignEventsStub(StubServer):
    """Pages of 20 by `last_participant_id`, like the extension. It also sends private registrations whatever
    `include_private` says, so the test proves Kudos filters them itself as well."""

    PAGE = 20

    def __init__(self) -> None:
        super().__init__()
        self.people = [_event_participant(i, f"Editor {i}") for i in range(1, 43)]
        self.people[4] = _event_participant(5, "Secret Sita", private=True)
        self.people[30] = _event_participant(31, None, hidden=True)

    def route(self, request: Recorded) -> Reply:
        if request.path != "/w/rest.php/campaignevents/v0/event_registration/77/participants":
            return Reply(404, {"messageTranslations": {"en": "No event"}, "httpCode": 404})
        last = int(request.query.get("last_participant_id", 0))
        page = [p for p in self.people if p["participant_id"] > last][:self.PAGE]
        return Reply(200, page)


@pytest.fixture(scope="module")
def dashboard() -> Iterator[DashboardStub]:
    stub = DashboardStub().start()
    yield stub
    stub.stop()


@pytest.fixture(scope="module")
def campaignevents() -> Iterator[CampaignEventsStub]:
    stub = CampaignEventsStub().start()
    yield stub
    stub.stop()


def _config(dashboard: StubServer | None = None, events: StubServer | None = None, **extra: Any):  # type: ignore[no-untyped-def]
    insight: dict[str, Any] = {}
    if dashboard:
        insight["dashboard_url"] = dashboard.base_url
    if events:
        insight["campaignevents_url"] = f"{events.base_url}/w/rest.php"
    return make_config(insight=insight, **extra)


def test_paste_takes_one_name_per_line_in_canonical_form() -> None:
    parsed = participants.parse_paste("asha\n\n  User:Bikash_Das \nAsha\nbad#name\nuser talk:chandan\n")
    assert parsed.names == ["Asha", "Bikash Das", "Chandan"]
    assert parsed.rejected == ["bad#name"]


def test_csv_uses_the_username_column_or_the_first_one() -> None:
    with_header = "Name of person,Username,Email\nAsha Rao,asha,a@example.org\nB,Bikash_Das,\n"
    assert participants.parse_csv(with_header.encode("utf-8-sig")).names == ["Asha", "Bikash Das"]
    assert participants.parse_csv("Asha,1\nChandan,2\n").names == ["Asha", "Chandan"]


def test_dashboard_import_takes_students_only(dashboard: DashboardStub) -> None:
    config = _config(dashboard)
    url = f"{dashboard.base_url}/courses/Odia_Wikimedians/Workshop_2026/home"
    parsed = participants.fetch_dashboard(config, url)
    assert parsed.names == ["Asha", "Bikash Das", "Chandan"]
    request = dashboard.requests_to("/courses/")[-1]
    assert request.header("User-Agent") == config.user_agent
    assert participants.fetch_dashboard(config, "Odia_Wikimedians/Workshop_2026").names == parsed.names


def test_dashboard_import_refuses_other_hosts_and_reports_a_missing_course(dashboard: DashboardStub) -> None:
    config = _config(dashboard)
    with pytest.raises(DomainError, match="Give the address of a course"):
        participants.fetch_dashboard(config, "https://evil.example/courses/A/B")
    with pytest.raises(DomainError, match="not found"):
        participants.fetch_dashboard(config, "Odia_Wikimedians/No_such_course")


def test_campaignevents_import_pages_through_and_leaves_out_private_and_hidden(
        campaignevents: CampaignEventsStub) -> None:
    campaignevents.reset()
    parsed = participants.fetch_campaignevents(_config(events=campaignevents), "77")
    expected = [f"Editor {i}" for i in range(1, 43) if i not in (5, 31)]
    assert parsed.names == expected
    assert "Secret Sita" not in parsed.names
    assert parsed.withheld == 2
    sent = campaignevents.requests_to("/w/rest.php/campaignevents/")
    assert [r.query.get("last_participant_id") for r in sent] == [None, "20", "40", "42"]
    assert all(r.query["include_private"] == "false" for r in sent)


def test_campaignevents_wants_an_event_number(campaignevents: CampaignEventsStub) -> None:
    with pytest.raises(DomainError, match="registration number"):
        participants.fetch_campaignevents(_config(events=campaignevents), "Event:Workshop")
    with pytest.raises(DomainError, match="not found"):
        participants.fetch_campaignevents(_config(events=campaignevents), "12")


def test_insight_settings_are_validated() -> None:
    with pytest.raises(Exception, match="insight.dashboard_url"):
        participants.settings(make_config(insight={"dashboard_url": "ftp://x"}))
    with pytest.raises(Exception, match="insight.nonsense"):
        participants.settings(make_config(insight={"nonsense": 1}))
    assert participants.settings(make_config()).dashboard_url == participants.DEFAULT_DASHBOARD_URL


def test_adding_is_idempotent_and_keeps_hidden_people_hidden(database: Database) -> None:
    config = make_config(database_url=database.url)
    with database.transaction() as session:
        campaign = make_campaign(session, config)
        assert participants.add(session, campaign, ["Asha", "Bikash Das"], ParticipantSource.paste,
                                "Olga Organizer") == (2, 0)
        participants.set_hidden(session, campaign, "Asha", True, "Olga Organizer")
        assert participants.add(session, campaign, ["Asha", "Chandan"], ParticipantSource.csv,
                                "Olga Organizer") == (1, 1)
        assert [p.username for p in participants.listed(session, campaign)] == ["Bikash Das", "Chandan"]
        hidden = session.scalar(select(Participant).where(Participant.username == "Asha"))
        assert hidden is not None and hidden.hidden and hidden.source == ParticipantSource.paste


def test_organizer_imports_an_event_through_the_page(database: Database,
                                                     campaignevents: CampaignEventsStub) -> None:
    config = _config(events=campaignevents, database_url=database.url)
    with database.transaction() as session:
        make_campaign(session, config)
    app = create_app(config, database)
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    with client.session_transaction() as session:
        session["user"] = {"username": "Olga Organizer"}
    response = client.post("/campaigns/workshop/participants", data={"source": "campaignevents", "event": "77"},
                           follow_redirects=True)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Added 40 participants" in page and "2 private or hidden registrations were left out" in page
    csv_upload = {"source": "csv", "file": (io.BytesIO(b"username\nNew Person\nEditor 1\n"), "people.csv")}
    response = client.post("/campaigns/workshop/participants", data=csv_upload, follow_redirects=True)
    assert "Added 1 participant; 1 was already listed." in response.get_data(as_text=True)
    response = client.post("/campaigns/workshop/participants", data={"source": "campaignevents", "event": "x"})
    assert response.status_code == 400 and "registration number" in response.get_data(as_text=True)
    with database.session() as session:
        names = set(session.scalars(select(Participant.username)))
    assert len(names) == 41 and "Secret Sita" not in names


def test_erasure_removes_participation_and_contribution_counts(database: Database) -> None:
    from datetime import date, datetime

    from kudos import privacy
    from kudos.models import ContribCursor, ContribDay

    config = make_config(database_url=database.url)
    with database.transaction() as session:
        campaign = make_campaign(session, config)
        participants.add(session, campaign, ["Zelda Quux", "Ravi"], ParticipantSource.paste, "Olga Organizer")
        session.add(ContribDay(wiki="orwiki", username="Zelda Quux", day=date(2026, 1, 2), edits=3))
        session.add(ContribCursor(wiki="orwiki", username="Zelda Quux", since=datetime(2026, 1, 1),
                                  until=datetime(2026, 2, 1)))
        session.flush()
        exported = privacy.export(session, config, "Zelda Quux")
        assert exported["campaign_participation"][0]["campaign"] == "workshop"
        assert exported["contributions_per_day"] == [{"wiki": "orwiki", "day": "2026-01-02", "edits": 3}]
        privacy.erase(session, config, "Zelda Quux")
    with database.session() as session:
        assert set(session.scalars(select(Participant.username))) == {"Ravi"}
        assert session.scalar(select(ContribDay.username)) is None
        assert session.scalar(select(ContribCursor.username)) is None
