"""The nomination rules: who may nominate whom, and the state machine pending → approved | rejected | withdrawn.

Every function works inside the caller's unit of work (`Database.transaction()`), so a rule that fails
half-way leaves nothing behind. Authorization (who may call which function) lives in `kudos.access`; the
daily allowance of nominations per person is counted here, through `kudos.allowance`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kudos import accounts, allowance, audit, outbox, people, plaintext
from kudos.awards import find_offered
from kudos.clock import utcnow
from kudos.config import Config
from kudos.errors import DomainError, NotFound
from kudos.models import TRUSTED_PREFIX, Campaign, Consent, MemberRole, Nomination, NominationStatus
from kudos.names import canonical_username

MESSAGE_MIN = 10
MESSAGE_MAX = 1000
LINK_MAX = 1000

# The only legal moves; everything else is refused with a sentence naming the current state.
TRANSITIONS: dict[NominationStatus, frozenset[NominationStatus]] = {
    NominationStatus.pending: frozenset(
        {NominationStatus.approved, NominationStatus.rejected, NominationStatus.withdrawn}),
    NominationStatus.approved: frozenset(),
    NominationStatus.rejected: frozenset(),
    NominationStatus.withdrawn: frozenset(),
}

_VERBS = {
    NominationStatus.approved: "approved",
    NominationStatus.rejected: "rejected",
    NominationStatus.withdrawn: "withdrawn",
}
_ALREADY = {
    NominationStatus.approved: "kudos-error-already-approved",
    NominationStatus.rejected: "kudos-error-already-rejected",
    NominationStatus.withdrawn: "kudos-error-already-withdrawn",
}


def get(session: Session, nomination_id: int) -> Nomination:
    nomination = session.get(Nomination, nomination_id)
    if nomination is None:
        raise NotFound("kudos-error-no-nomination", nomination_id)
    return nomination


def check_message(message: str) -> str:
    message = plaintext.clean(message).strip()
    if len(message) < MESSAGE_MIN:
        raise DomainError("kudos-error-message-too-short", MESSAGE_MIN)
    if len(message) > MESSAGE_MAX:
        raise DomainError("kudos-error-message-too-long", MESSAGE_MAX, len(message))
    return message


def nominate(
    session: Session,
    config: Config,
    *,
    campaign: Campaign,
    nominator: str,
    recipient: str,
    award: str,
    message: str,
    link: str = "",
    now: datetime | None = None,
    recipient_ids: accounts.Ids | None = None,
) -> Nomination:
    """A pending nomination. `recipient_ids` (what the wiki just said of the recipient's account) are
    recorded first, so a renamed person keeps their opt-out and the delivery job can find them by id.

    Counts against the nominator's daily allowance (AllowanceSpent when it is used up); a nomination
    refused for any reason rolls back with the caller's transaction and costs nothing."""
    now = now or utcnow()
    nominator = canonical_username(nominator)
    recipient = canonical_username(recipient)
    if not recipient:
        raise DomainError("kudos-nominate-recipient-required")
    if recipient == nominator:
        raise DomainError("kudos-nominate-self")
    if not campaign.is_open(now):
        raise DomainError("kudos-error-campaign-not-open", campaign.name)
    # First of the writes: the nominator's parallel submissions queue here, one after the other.
    allowance.take(session, config, nominator, now=now)
    if recipient_ids is not None:
        accounts.remember_ids(session, recipient, campaign.wiki, recipient_ids, actor=nominator)
    if people.is_opted_out(session, recipient):
        raise DomainError("kudos-nominate-opted-out", recipient)
    message = check_message(message)
    link = plaintext.line(link)
    if len(link) > LINK_MAX:
        raise DomainError("kudos-error-link-too-long", LINK_MAX)
    find_offered(config, campaign, award)

    key = _pending_key(campaign.id, nominator, recipient)
    if session.scalar(select(Nomination.id).where(Nomination.pending_key == key)) is not None:
        raise _duplicate(recipient, campaign)
    nomination = Nomination(
        campaign_id=campaign.id, campaign=campaign, wiki=campaign.wiki, nominator=nominator,
        recipient=recipient, award=award, message=message, link=link,
        status=NominationStatus.pending, created_at=now, pending_key=key,
    )
    try:
        with session.begin_nested():
            session.add(nomination)
            session.flush()
    except IntegrityError:
        # A concurrent request won the race for the same pending nomination.
        raise _duplicate(recipient, campaign) from None
    audit.record(session, nominator, "nomination.create", nomination, campaign=campaign.slug,
                 recipient=audit.name(recipient), award=award)
    return nomination


def approve(
    session: Session,
    config: Config,
    nomination: Nomination,
    reviewer: str,
    *,
    message: str | None = None,
    now: datetime | None = None,
) -> Nomination:
    """Approve, optionally with an edited message, and write the outbox rows in the same transaction."""
    reviewer = canonical_username(reviewer)
    if reviewer in (nomination.nominator, nomination.recipient):
        raise DomainError("kudos-error-approve-own")
    _check_transition(nomination, NominationStatus.approved)
    if people.is_opted_out(session, nomination.recipient):
        raise DomainError("kudos-error-opted-out-since", nomination.recipient)
    if message is not None:
        edited = check_message(message)
        # Compared as the rule would store it: a row from before the rule is not "edited" by being shown.
        if edited != plaintext.clean(nomination.message).strip():
            audit.record(session, reviewer, "nomination.edit", nomination,
                         before=nomination.message, after=edited)
            nomination.original_message = nomination.original_message or nomination.message
            nomination.message = edited
    _move(session, nomination, NominationStatus.approved, reviewer, now)
    outbox.create_deliveries(session, config, nomination, now=now)
    return nomination


def approve_on_submission(session: Session, config: Config, nomination: Nomination, actor: str, *,
                          consent: Consent, now: datetime | None = None) -> Nomination:
    """Approve a nomination as it is made by someone whose nominations need no second look (an organizer's
    bulk list after an event). The caller has checked opt-out and passes the recipient's consent, so
    hundreds can be approved without a query each; the audit log still records every approval."""
    _check_transition(nomination, NominationStatus.approved)
    _move(session, nomination, NominationStatus.approved, canonical_username(actor), now, on_submission="yes")
    outbox.create_deliveries(session, config, nomination, now=now, consent=consent, flush=False)
    return nomination


def auto_approve(session: Session, config: Config, nomination: Nomination,
                 now: datetime | None = None) -> Nomination:
    """Approve on submission because the campaign trusts the nominator (MemberRole.trusted).

    Nobody reviews their own nomination, so the reviewer is recorded as "trusted:<nominator>": the
    queue, the audit log and the nominator's page all say the approval came from trust, not review.
    """
    if nomination.nominator not in nomination.campaign.usernames(MemberRole.trusted):
        raise DomainError("kudos-error-not-trusted", nomination.nominator, nomination.campaign.name)
    if people.is_opted_out(session, nomination.recipient):
        raise DomainError("kudos-nominate-opted-out", nomination.recipient)
    _check_transition(nomination, NominationStatus.approved)
    _move(session, nomination, NominationStatus.approved, nomination.nominator, now, trusted=True,
          reviewer=TRUSTED_PREFIX + nomination.nominator)
    outbox.create_deliveries(session, config, nomination, now=now)
    return nomination


def reject(session: Session, nomination: Nomination, reviewer: str, reason: str,
           now: datetime | None = None) -> Nomination:
    reason = plaintext.clean(reason).strip()
    if not reason:
        raise DomainError("kudos-error-reject-reason")
    _check_transition(nomination, NominationStatus.rejected)
    nomination.reason = reason
    _move(session, nomination, NominationStatus.rejected, canonical_username(reviewer), now, reason=reason)
    return nomination


def withdraw(session: Session, nomination: Nomination, actor: str, now: datetime | None = None) -> Nomination:
    _check_transition(nomination, NominationStatus.withdrawn)
    _move(session, nomination, NominationStatus.withdrawn, canonical_username(actor), now)
    return nomination


def _check_transition(nomination: Nomination, target: NominationStatus) -> None:
    if target in TRANSITIONS[nomination.status]:
        return
    raise DomainError(_ALREADY[nomination.status])


def _move(session: Session, nomination: Nomination, target: NominationStatus, actor: str,
          now: datetime | None, reviewer: str | None = None, **details: object) -> None:
    before = nomination.status
    nomination.status = target
    nomination.pending_key = None
    if target != NominationStatus.withdrawn:
        nomination.reviewer = reviewer or actor
        nomination.reviewed_at = now or utcnow()
    audit.record(session, actor, "nomination." + _VERBS[target], nomination, before=before.value, **details)


def pending_key(campaign_id: int, nominator: str, recipient: str) -> str:
    return _pending_key(campaign_id, nominator, recipient)


def has_pending(session: Session, campaign: Campaign, nominator: str, recipient: str) -> bool:
    """Is there already a pending nomination of this recipient by this nominator in this campaign?"""
    key = _pending_key(campaign.id, canonical_username(nominator), canonical_username(recipient))
    return session.scalar(select(Nomination.id).where(Nomination.pending_key == key)) is not None


def _pending_key(campaign_id: int, nominator: str, recipient: str) -> str:
    return f"{campaign_id}:{nominator}:{recipient}"


def _duplicate(recipient: str, campaign: Campaign) -> DomainError:
    return DomainError("kudos-nominate-duplicate", recipient, campaign.name)
