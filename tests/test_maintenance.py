"""`flask --app app prune`: retention of audit rows, expiry of consent waits, and their settings."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from kudos import maintenance, nominations, privacy
from kudos.clock import utcnow
from kudos.db import Database
from kudos.errors import ConfigError
from kudos.models import AuditEvent, AuditSubject, Delivery, DeliveryStatus
from kudos.web import create_app
from tests.factories import make_campaign, make_nomination
from tests.support import make_config

NOW = utcnow()


def _age_audit(database: Database, days: int) -> None:
    """Pretend every audit row so far was written `days` ago (a bulk update, as retention itself does)."""
    from sqlalchemy import update

    with database.transaction() as session:
        session.execute(update(AuditEvent).values(at=NOW - timedelta(days=days)))


def test_prune_deletes_old_audit_rows_but_keeps_erasure_facts(database: Database) -> None:
    config = make_config(database_url=database.url, retention_days=30)
    with database.transaction() as session:
        campaign = make_campaign(session, config)
        make_nomination(session, config, campaign)
        privacy.erase(session, config, "Someone Gone")
    _age_audit(database, 31)
    with database.transaction() as session:
        make_nomination(session, config, campaign, recipient="Fresh Face")  # a recent row
    with database.session() as session:
        before = session.scalar(select(func.count()).select_from(AuditEvent))
    with database.transaction() as session:
        report = maintenance.prune(session, config, now=NOW)
    with database.session() as session:
        actions = sorted(session.scalars(select(AuditEvent.action)))
        subjects = set(session.execute(select(AuditSubject.name, AuditSubject.role)))
    assert report.audit_deleted == before - len(actions) > 0  # campaign.create, organizer add, nomination.create …
    assert actions == ["nomination.create", privacy.ERASED_ACTION]
    # Whom the deleted rows were about goes with them.
    assert subjects == {("Nina", "actor"), ("Nina", "nominator"), ("Fresh Face", "recipient"),
                        ("Fresh Face", "details.recipient")}


def test_prune_skips_deliveries_that_waited_too_long_for_consent(database: Database) -> None:
    config = make_config(database_url=database.url, consent={"expire_days": 10})
    with database.transaction() as session:
        campaign = make_campaign(session, config, channels=("mastodon",))
        old = make_nomination(session, config, campaign, recipient="Old Wait")
        nominations.approve(session, config, old, "Olga Organizer", now=NOW - timedelta(days=11))
        new = make_nomination(session, config, campaign, recipient="New Wait")
        nominations.approve(session, config, new, "Olga Organizer", now=NOW - timedelta(days=2))
    with database.transaction() as session:
        report = maintenance.prune(session, config, now=NOW)
    assert report.consent_expired == 1
    with database.session() as session:
        social = {d.nomination_id: d for d in session.scalars(select(Delivery).where(Delivery.channel == "mastodon"))}
    assert social[old.id].status == DeliveryStatus.skipped and "consent" in (social[old.id].last_error or "")
    assert social[new.id].status == DeliveryStatus.awaiting_consent


@pytest.mark.parametrize("value", [0, -5, "a year", True, 1.5])
def test_retention_must_be_a_positive_whole_number(value: object) -> None:
    with pytest.raises(ConfigError, match="retention_days"):
        make_config(retention_days=value)


def test_bad_consent_days_stop_the_command(database: Database) -> None:
    config = make_config(database_url=database.url, consent={"expire_days": "soon"})
    with pytest.raises(ConfigError, match="consent.expire_days"):
        maintenance.consent_days(config)
    result = create_app(config, database).test_cli_runner().invoke(args=["prune"])
    assert result.exit_code != 0 and "consent.expire_days" in result.output


def test_prune_command_prints_what_it_did(database: Database) -> None:
    runner = create_app(make_config(database_url=database.url, retention_days=7), database).test_cli_runner()
    result = runner.invoke(args=["prune"])
    assert result.exit_code == 0, result.output
    assert "Deleted 0 audit rows older than" in result.output
    assert "Skipped 0 social deliveries that waited more than 30 days" in result.output
