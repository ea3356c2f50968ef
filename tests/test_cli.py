"""Maintenance commands through Flask's CLI runner."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from kudos.db import Database
from kudos.models import AuditEvent, Campaign, Nomination, NominationStatus
from kudos.web import create_app
from tests.support import make_config


@pytest.fixture
def runner(database: Database):  # type: ignore[no-untyped-def]
    return create_app(make_config(database_url=database.url), database).test_cli_runner()


def test_seed_demo_fills_every_state_once(runner, database: Database) -> None:  # type: ignore[no-untyped-def]
    assert runner.invoke(args=["seed-demo", "--if-empty"]).exit_code == 0
    assert "already there" in runner.invoke(args=["seed-demo", "--if-empty"]).output
    with database.session() as session:
        states = set(session.scalars(select(Nomination.status)))
        assert states == set(NominationStatus)
        slugs = set(session.scalars(select(Campaign.slug)))
        assert {"enwiki-community", "orwiki-community", "workshop-demo"} <= slugs


def test_campaign_create_and_organizer_add(runner, database: Database) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(args=["campaign", "create", "--slug", "odia-photo-walk", "--name", "Photo walk",
                                 "--wiki", "orwiki", "--starts", "2026-12-01", "--ends", "2026-12-31",
                                 "--organizer", "Sailesh"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["organizer", "add", "odia-photo-walk", "ananya_p"])
    assert "Ananya p now organizes odia-photo-walk" in result.output
    with database.session() as session:
        campaign = session.scalar(select(Campaign).where(Campaign.slug == "odia-photo-walk"))
        assert campaign.organizers == {"Sailesh", "Ananya p"}
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == 3


def test_organizer_add_and_remove_say_what_changed(runner, database: Database) -> None:  # type: ignore[no-untyped-def]
    assert runner.invoke(args=["campaign", "create", "--slug", "walk", "--name", "Walk", "--wiki", "orwiki",
                               "--organizer", "Sailesh"]).exit_code == 0
    said = [runner.invoke(args=["organizer", verb, "walk", name]).output.strip() for verb, name in [
        ("add", "ananya_p"), ("add", "Ananya p"), ("remove", "ananya p"), ("remove", "Ananya_p"), ("remove", "Sail")]]
    assert said == ["Ananya p now organizes walk.", "Ananya p already organizes walk.",
                    "Ananya p no longer organizes walk.", "Ananya p did not organize walk.",
                    "Sail did not organize walk."]
    with database.session() as session:
        assert session.scalar(select(Campaign).where(Campaign.slug == "walk")).organizers == {"Sailesh"}


@pytest.mark.parametrize("args,sentence", [
    (["campaign", "create", "--slug", "x", "--name", "X", "--wiki", "dewiki"], "The wiki “dewiki” is not configured"),
    (["campaign", "create", "--slug", "Bad Slug", "--name", "X", "--wiki", "orwiki"], "lower-case letters"),
    (["campaign", "create", "--slug", "x", "--name", "X", "--wiki", "orwiki", "--starts", "soon"], "is not a date"),
    (["organizer", "add", "no-such-campaign", "Alice"], "There is no campaign “no-such-campaign”"),
])
def test_bad_input_gives_one_sentence_and_changes_nothing(runner, database: Database, args, sentence) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(args=args)
    assert result.exit_code != 0
    assert sentence in result.output
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Campaign)) == 0


def test_campaign_sync_creates_what_the_configuration_declares_once(database: Database) -> None:
    declared = [{"slug": "odia-photo-walk", "name": "Photo walk", "wiki": "orwiki", "kind": "event",
                 "organizers": ["Sailesh", "ananya_p"]}]
    sync = create_app(make_config(database_url=database.url, campaigns=declared), database).test_cli_runner()
    first = sync.invoke(args=["campaign", "sync"])
    assert first.exit_code == 0, first.output
    assert first.output.splitlines() == ["created enwiki-community", "created orwiki-community",
                                         "created odia-photo-walk", "Sailesh organizes odia-photo-walk",
                                         "Ananya p organizes odia-photo-walk"]
    with database.session() as session:
        found = {c.slug: (c.name, c.wiki, c.kind.value, c.organizers) for c in session.scalars(select(Campaign))}
        audited = session.scalar(select(func.count()).select_from(AuditEvent))
    assert found == {"enwiki-community": ("English Wikipedia community", "enwiki", "community", set()),
                     "orwiki-community": ("Odia Wikipedia community", "orwiki", "community", set()),
                     "odia-photo-walk": ("Photo walk", "orwiki", "event", {"Sailesh", "Ananya p"})}
    again = sync.invoke(args=["campaign", "sync"])
    assert (again.exit_code, again.output) == (0, "Nothing to change.\n")
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == audited
    declared[0]["organizers"].append("Rohit")
    grown = create_app(make_config(database_url=database.url, campaigns=declared), database).test_cli_runner()
    assert grown.invoke(args=["campaign", "sync"]).output == "Rohit organizes odia-photo-walk\n"
