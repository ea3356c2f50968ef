"""Trusted nominators: their nominations are approved on submission, recorded as such in the audit log."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kudos import campaigns, nominations, people
from kudos.db import Database
from kudos.errors import DomainError
from kudos.models import AuditEvent, Delivery, MemberRole, NominationStatus
from tests.factories import make_campaign, make_nomination
from tests.support import make_config

CONFIG = make_config()


def test_a_trusted_nominators_nomination_is_approved_and_audited(database: Database) -> None:
    with database.transaction() as session:
        campaign = make_campaign(session, CONFIG, channels=("mastodon",))
        campaigns.add_member(session, campaign, "Nina", MemberRole.trusted, "Olga Organizer")
        nomination = make_nomination(session, CONFIG, campaign, nominator="Nina")
        nominations.auto_approve(session, CONFIG, nomination)
        nomination_id = nomination.id
    with database.session() as session:
        stored = nominations.get(session, nomination_id)
        assert stored.status == NominationStatus.approved
        assert stored.reviewer == "trusted:Nina" and stored.reviewed_at is not None
        assert stored.pending_key is None
        channels = session.scalars(select(Delivery.channel).where(Delivery.nomination_id == nomination_id)).all()
        assert sorted(channels) == ["mastodon", "talkpage", "wall"]
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "nomination.approved",
                                                         AuditEvent.object_id == str(nomination_id))).one()
        assert event.actor == "Nina" and event.data["trusted"] is True


def test_only_trusted_nominators_are_approved_on_submission(database: Database) -> None:
    with database.transaction() as session:
        campaign = make_campaign(session, CONFIG)
        campaigns.add_member(session, campaign, "Nina", MemberRole.organizer, "Admin")  # organizer ≠ trusted
        nomination = make_nomination(session, CONFIG, campaign, nominator="Nina")
        with pytest.raises(DomainError, match="not a trusted nominator"):
            nominations.auto_approve(session, CONFIG, nomination)
        assert nomination.status == NominationStatus.pending


def test_auto_approval_respects_opt_out_and_the_state_machine(database: Database) -> None:
    with database.transaction() as session:
        campaign = make_campaign(session, CONFIG)
        campaigns.add_member(session, campaign, "Nina", MemberRole.trusted, "Admin")
        nomination = make_nomination(session, CONFIG, campaign, nominator="Nina")
        people.set_opt_out(session, "Ravi", True)
        with pytest.raises(DomainError, match="chosen not to receive"):
            nominations.auto_approve(session, CONFIG, nomination)
        people.set_opt_out(session, "Ravi", False)
        nominations.withdraw(session, nomination, "Nina")
        with pytest.raises(DomainError, match="already withdrawn"):
            nominations.auto_approve(session, CONFIG, nomination)
