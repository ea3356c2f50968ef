"""Appointing organizers: only tool admins and the campaign's creator, never another organizer; each
appointment and removal is in the audit log with the person's roles before and after."""

from __future__ import annotations

import json

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from kudos import campaigns
from kudos.db import Database
from kudos.models import AuditEvent, Campaign, MemberRole
from tests.factories import make_nomination
from tests.webtools import sign_in_as, web_app, web_config

# Appointing asks the campaign's wiki whether the person appointing is blocked there.
pytestmark = pytest.mark.usefixtures("local_test_wikis")


def _seed(database: Database) -> int:
    """A campaign created by Cora (neither admin nor organizer) and organized by Olga, who has nominated Ravi."""
    config = web_config(database)
    with database.transaction() as session:
        campaign = campaigns.create(session, config, slug="walk", name="Photo walk", wiki="orwiki", actor="Cora",
                                    organizers=["Olga"])
        campaigns.add_member(session, campaign, "Tara", MemberRole.trusted, "Cora")
        return make_nomination(session, config, campaign, nominator="Olga", recipient="Ravi").id


def _client(database: Database, who: str) -> FlaskClient:
    return sign_in_as(web_app(database).test_client(), who)


def _members(database: Database) -> set[tuple[str, str]]:
    with database.session() as session:
        campaign = session.scalar(select(Campaign).where(Campaign.slug == "walk"))
        assert campaign is not None
        return {(m.username, m.role.value) for m in campaign.members}


def _appointments(database: Database) -> list[tuple[str, str, dict[str, object]]]:
    with database.session() as session:
        rows = session.scalars(select(AuditEvent).where(AuditEvent.action.like("campaign.%.%"))
                               .order_by(AuditEvent.id))
        return [(row.actor, row.action, json.loads(row.details)) for row in rows]


def test_an_organizer_cannot_appoint_a_second_account_to_approve_their_own_nomination(database: Database) -> None:
    nomination_id = _seed(database)
    members, audited = _members(database), _appointments(database)
    olga = _client(database, "Olga")
    refused = olga.post("/campaigns/walk/organizers", data={"username": "Olga Sock"})
    assert refused.status_code == 403
    assert "Only tool admins and the person who created “Photo walk” can appoint" in refused.get_data(as_text=True)
    assert _members(database) == members and _appointments(database) == audited
    # So the second account is nobody in this campaign, and cannot approve Olga's nomination.
    assert _client(database, "Olga Sock").post(f"/review/{nomination_id}/approve").status_code == 403
    # Olga's page lists the organizers without offering a form that would only refuse her.
    page = olga.get("/campaigns/walk/organizers").get_data(as_text=True)
    assert "are appointed by tool admins and by the person who created the campaign" in page
    assert 'action="/campaigns/walk/organizers"' not in page


def test_the_creator_and_admins_appoint_and_every_appointment_is_audited(database: Database) -> None:
    _seed(database)
    cora = _client(database, "Cora")
    assert 'action="/campaigns/walk/organizers"' in cora.get("/campaigns/walk/organizers").get_data(as_text=True)
    assert cora.post("/campaigns/walk/organizers", data={"username": "ananya_p"}).status_code == 302
    assert _client(database, "Ada").post("/campaigns/walk/organizers", data={"username": "tara"}).status_code == 302
    assert cora.post("/campaigns/walk/organizers", data={"username": "Ananya p"}).status_code == 302  # no change
    assert _members(database) == {("Olga", "organizer"), ("Tara", "trusted"), ("Tara", "organizer"),
                                  ("Ananya p", "organizer")}
    assert _appointments(database)[-2:] == [
        ("Cora", "campaign.organizer.add", {"username": "Ananya p", "before": [], "after": ["organizer"]}),
        ("Ada", "campaign.organizer.add", {"username": "Tara", "before": ["trusted"],
                                           "after": ["organizer", "trusted"]}),
    ]


def test_removing_an_organizer_from_the_command_line_is_audited(database: Database) -> None:
    _seed(database)
    runner = web_app(database, web_config(database)).test_cli_runner()
    result = runner.invoke(args=["organizer", "remove", "walk", "olga", "--actor", "Ada"])
    assert result.exit_code == 0 and "Olga no longer organizes walk." in result.output
    assert "Olga did not organize walk." in runner.invoke(args=["organizer", "remove", "walk", "Olga"]).output
    assert _members(database) == {("Tara", "trusted")}
    assert _appointments(database)[-1] == (
        "Ada", "campaign.organizer.remove", {"username": "Olga", "before": ["organizer"], "after": []})
