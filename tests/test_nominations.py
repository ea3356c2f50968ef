"""The nomination rules and state machine, on SQLite and MariaDB."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from kudos import nominations, outbox, people
from kudos.clock import utcnow
from kudos.db import Database
from kudos.errors import DomainError
from kudos.models import AuditEvent, Consent, Delivery, DeliveryStatus, Nomination, NominationStatus
from tests.factories import make_campaign, make_nomination
from tests.support import make_config

CONFIG = make_config()
TERMINAL = [NominationStatus.approved, NominationStatus.rejected, NominationStatus.withdrawn]


def _move(session, nomination, target):  # type: ignore[no-untyped-def]
    if target == NominationStatus.approved:
        return nominations.approve(session, CONFIG, nomination, "Olga Organizer")
    if target == NominationStatus.rejected:
        return nominations.reject(session, nomination, "Olga Organizer", "Not enough detail.")
    return nominations.withdraw(session, nomination, nomination.nominator)


def _count(session, model, *where):  # type: ignore[no-untyped-def]
    return session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.mark.parametrize("target", TERMINAL)
def test_pending_nomination_moves_to_each_terminal_state_and_is_audited(database: Database, target) -> None:
    with database.transaction() as session:
        nomination = make_nomination(session, CONFIG, make_campaign(session, CONFIG))
        _move(session, nomination, target)
        nomination_id = nomination.id
    with database.session() as session:
        stored = session.get(Nomination, nomination_id)
        assert stored.status == target
        assert stored.pending_key is None
        actions = session.scalars(select(AuditEvent.action).where(
            AuditEvent.object_type == "nomination", AuditEvent.object_id == str(nomination_id))).all()
        assert actions == ["nomination.create", f"nomination.{target.value}"]


@pytest.mark.parametrize("first", TERMINAL)
@pytest.mark.parametrize("second", TERMINAL)
def test_no_transition_leaves_a_terminal_state(database: Database, first, second) -> None:
    with database.transaction() as session:
        nomination = make_nomination(session, CONFIG, make_campaign(session, CONFIG))
        _move(session, nomination, first)
        with pytest.raises(DomainError) as raised:
            _move(session, nomination, second)
        assert f"already {first.value}" in raised.value.message
        assert nomination.status == first


def test_transition_table_allows_only_moves_out_of_pending() -> None:
    for state, targets in nominations.TRANSITIONS.items():
        if state == NominationStatus.pending:
            assert targets == set(TERMINAL)
        else:
            assert targets == set()


def test_self_nomination_is_refused(database: Database) -> None:
    with database.transaction() as session:
        campaign = make_campaign(session, CONFIG)
        with pytest.raises(DomainError, match="cannot nominate yourself"):
            make_nomination(session, CONFIG, campaign, nominator="Nina", recipient="nina")
        assert _count(session, Nomination) == 0


def test_second_identical_pending_nomination_is_refused(database: Database) -> None:
    with database.transaction() as session:
        campaign = make_campaign(session, CONFIG)
        make_nomination(session, CONFIG, campaign)
        with pytest.raises(DomainError, match="already have a pending nomination of Ravi"):
            make_nomination(session, CONFIG, campaign, recipient="ravi", message="Another fine message here.")
        assert _count(session, Nomination) == 1


def test_duplicate_guard_holds_against_a_concurrent_insert(database: Database) -> None:
    """The unique pending key stops a second pending row even when the first check raced past."""
    with database.transaction() as session:
        campaign = make_campaign(session, CONFIG)
        make_nomination(session, CONFIG, campaign)
        campaign_id = campaign.id
    with database.transaction() as session, pytest.raises(IntegrityError, match="pending_key"):
        session.add(Nomination(campaign_id=campaign_id, wiki="orwiki", nominator="Nina", recipient="Ravi",
                               award="barnstar", message="x" * 20, link="", status=NominationStatus.pending,
                               pending_key=f"{campaign_id}:Nina:Ravi"))
        session.flush()


def test_after_a_review_the_same_pair_may_nominate_again(database: Database) -> None:
    with database.transaction() as session:
        campaign = make_campaign(session, CONFIG)
        first = make_nomination(session, CONFIG, campaign)
        nominations.reject(session, first, "Olga Organizer", "Please add a link.")
        make_nomination(session, CONFIG, campaign)
        assert _count(session, Nomination) == 2


def test_opted_out_recipient_cannot_be_nominated(database: Database) -> None:
    with database.transaction() as session:
        campaign = make_campaign(session, CONFIG)
        people.set_opt_out(session, "Ravi", True)
        with pytest.raises(DomainError, match="chosen not to receive awards"):
            make_nomination(session, CONFIG, campaign)


def test_closed_campaign_refuses_nominations(database: Database) -> None:
    with database.transaction() as session:
        campaign = make_campaign(session, CONFIG, starts=utcnow() - timedelta(days=10),
                                 ends=utcnow() - timedelta(days=1))
        with pytest.raises(DomainError, match="not open"):
            make_nomination(session, CONFIG, campaign)


@pytest.mark.parametrize("message,error", [("short", "too short"), ("x" * 1001, "too long")])
def test_message_length_is_checked(database: Database, message: str, error: str) -> None:
    with database.transaction() as session:
        with pytest.raises(DomainError, match=error):
            make_nomination(session, CONFIG, make_campaign(session, CONFIG), message=message)


@pytest.mark.parametrize("length,accepted", [(9, False), (10, True), (1000, True), (1001, False)])
def test_message_length_limits_are_inclusive_and_count_what_is_kept(length: int, accepted: bool) -> None:
    message = "  \n" + "ଓ" * length + "\x07 \n"  # blanks around and a control character are not counted
    if accepted:
        assert nominations.check_message(message) == "ଓ" * length
    else:
        with pytest.raises(DomainError, match="too short" if length < 10 else "too long"):
            nominations.check_message(message)


def test_unknown_award_is_refused(database: Database) -> None:
    with database.transaction() as session:
        campaign = make_campaign(session, CONFIG)
        with pytest.raises(DomainError, match="not in the catalogue"):
            nominations.nominate(session, CONFIG, campaign=campaign, nominator="Nina", recipient="Ravi",
                                 award="golden-mop", message="A very fine piece of work.")


@pytest.mark.parametrize("reviewer", ["Nina", "Ravi"])
def test_nobody_approves_a_nomination_they_made_or_received(database: Database, reviewer: str) -> None:
    with database.transaction() as session:
        nomination = make_nomination(session, CONFIG, make_campaign(session, CONFIG))
        with pytest.raises(DomainError, match="made or received"):
            nominations.approve(session, CONFIG, nomination, reviewer)
        assert nomination.status == NominationStatus.pending


def test_reject_needs_a_reason(database: Database) -> None:
    with database.transaction() as session:
        nomination = make_nomination(session, CONFIG, make_campaign(session, CONFIG))
        with pytest.raises(DomainError, match="reason"):
            nominations.reject(session, nomination, "Olga Organizer", "  ")


def test_approval_writes_one_delivery_per_channel_in_the_same_transaction(database: Database) -> None:
    with database.transaction() as session:
        campaign = make_campaign(session, CONFIG, channels=("mastodon", "matrix"))
        nomination = make_nomination(session, CONFIG, campaign)
        nominations.approve(session, CONFIG, nomination, "Olga Organizer")
        nomination_id = nomination.id
    with database.session() as session:
        rows = session.scalars(select(Delivery).where(Delivery.nomination_id == nomination_id)
                               .order_by(Delivery.id)).all()
        assert [d.channel for d in rows] == ["talkpage", "mastodon", "matrix", "wall"]
        assert len({d.key for d in rows}) == 4


@pytest.mark.parametrize("consent,social_status", [
    (Consent.unknown, DeliveryStatus.awaiting_consent),
    (Consent.granted, DeliveryStatus.pending),
    (Consent.refused, DeliveryStatus.skipped),
])
def test_social_deliveries_pass_the_consent_gate(database: Database, consent, social_status) -> None:
    with database.transaction() as session:
        campaign = make_campaign(session, CONFIG, channels=("mastodon",))
        if consent != Consent.unknown:
            people.set_consent(session, "Ravi", consent)
        nomination = make_nomination(session, CONFIG, campaign)
        nominations.approve(session, CONFIG, nomination, "Olga Organizer")
        statuses = {d.channel: d.status for d in nomination.deliveries}
    assert statuses == {"talkpage": DeliveryStatus.pending, "mastodon": social_status,
                        "wall": DeliveryStatus.pending}


def test_an_approval_that_fails_half_way_leaves_nothing_behind(database: Database, monkeypatch) -> None:
    with database.transaction() as session:
        nomination_id = make_nomination(session, CONFIG, make_campaign(session, CONFIG, channels=("mastodon",))).id
    real_create = outbox.create_deliveries

    def create_then_fail(session, config, nomination, now=None):  # type: ignore[no-untyped-def]
        created = real_create(session, config, nomination, now=now)
        assert created, "the outbox rows were written before the failure"
        raise RuntimeError("connection lost")

    monkeypatch.setattr(outbox, "create_deliveries", create_then_fail)
    with pytest.raises(RuntimeError), database.transaction() as session:
        nominations.approve(session, CONFIG, nominations.get(session, nomination_id), "Olga Organizer")
    with database.session() as session:
        assert session.get(Nomination, nomination_id).status == NominationStatus.pending
        assert _count(session, Delivery) == 0
        assert _count(session, AuditEvent, AuditEvent.action == "nomination.approved") == 0


def test_an_edited_message_is_kept_and_audited(database: Database) -> None:
    with database.transaction() as session:
        nomination = make_nomination(session, CONFIG, make_campaign(session, CONFIG))
        nominations.approve(session, CONFIG, nomination, "Olga Organizer",
                            message="Wrote three fine articles about Odisha's rivers.")
        assert nomination.original_message == "Wrote three fine articles about rivers."
        edit = session.scalar(select(AuditEvent).where(AuditEvent.action == "nomination.edit"))
        assert json.loads(edit.details)["after"].endswith("Odisha's rivers.")


def test_audit_events_cannot_be_changed(database: Database) -> None:
    with database.transaction() as session:
        make_nomination(session, CONFIG, make_campaign(session, CONFIG))
    with database.session() as session:
        event = session.scalars(select(AuditEvent)).first()
        event.actor = "Someone else"
        with pytest.raises(RuntimeError, match="append-only"):
            session.flush()


def test_user_names_are_compared_in_canonical_form(database: Database) -> None:
    with database.transaction() as session:
        nomination = make_nomination(session, CONFIG, make_campaign(session, CONFIG),
                                     nominator="nina_k", recipient="ravi  kumar")
        assert (nomination.nominator, nomination.recipient) == ("Nina k", "Ravi kumar")
