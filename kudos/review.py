"""The organizers' side: the review queue, approving many at once, and the delivery status of a campaign.

Lists are paged by keyset on (created_at, id), which the nomination indexes serve in order, so a page
costs the same at a thousand nominations or a hundred thousand.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, bindparam, or_, select
from sqlalchemy.orm import Session, contains_eager, selectinload

from kudos import audit, ids, nominations
from kudos.access import Action, Actor, Decision, may
from kudos.clock import utcnow
from kudos.config import Config
from kudos.errors import DomainError, NotFound
from kudos.models import Campaign, Consent, Delivery, DeliveryStatus, Nomination, NominationStatus, Person
from kudos.social.journal import allow_resend

QUEUE_PAGE = 25
_CURSOR_FORMAT = "%Y%m%d%H%M%S%f"


@dataclass(frozen=True)
class Cursor:
    """A position in a list ordered by (created_at, id): "after this row" (or before, newest first)."""

    created_at: datetime
    id: int

    def encode(self) -> str:
        return f"{self.created_at.strftime(_CURSOR_FORMAT)}-{self.id}"

    @classmethod
    def decode(cls, text: str | None) -> Cursor | None:
        """The cursor `encode` wrote, or None for anything else (the list then starts at its beginning)."""
        if not text or len(text) > 40:
            return None
        stamp, _, number = text.partition("-")
        row_id = ids.parse(number)
        if row_id is None:
            return None
        try:
            return cls(datetime.strptime(stamp, _CURSOR_FORMAT), row_id)
        except ValueError:
            return None

    @classmethod
    def of(cls, nomination: Nomination | QueueItem) -> Cursor:
        return cls(nomination.created_at, nomination.id)


def campaigns_of(session: Session, actor: Actor) -> list[Campaign]:
    """The campaigns whose queue this person sees: the ones they organize, or all of them for admins."""
    if actor.admin:
        return list(session.scalars(_ALL_CAMPAIGNS))
    return list(session.scalars(_CAMPAIGNS_AMONG, {"ids": sorted(actor.organizes)}))


# Built once per process: the queue page asks on every view.
_ALL_CAMPAIGNS = select(Campaign).order_by(Campaign.name)
_CAMPAIGNS_AMONG = _ALL_CAMPAIGNS.where(Campaign.id.in_(bindparam("ids", expanding=True)))


@dataclass(frozen=True, slots=True)
class QueueItem:
    """A pending nomination as the review queue shows it: plain values, not an ORM object.

    The queue is the organizers' busiest page; plain rows cost a fraction of loaded entities, and
    `kudos.access.may_review` answers for them with the same rules.
    """

    id: int
    campaign_id: int
    campaign_name: str
    wiki: str
    nominator: str
    recipient: str
    award: str
    message: str
    link: str | None
    created_at: datetime


_QUEUE_COLUMNS = (Nomination.id, Nomination.campaign_id, Campaign.name, Nomination.wiki, Nomination.nominator,
                  Nomination.recipient, Nomination.award, Nomination.message, Nomination.link, Nomination.created_at)


def queue(session: Session, actor: Actor, *, campaign_id: int | None = None, wiki: str | None = None,
          after: Cursor | None = None, limit: int = QUEUE_PAGE) -> list[QueueItem]:
    """Pending nominations, oldest first, with their campaign's name (one query)."""
    query: Select[*tuple[Any, ...]] = (
        select(*_QUEUE_COLUMNS).join(Nomination.campaign)
        .where(Nomination.status == NominationStatus.pending)
        .order_by(Nomination.created_at, Nomination.id).limit(limit)
    )
    if campaign_id is not None:
        if not actor.admin and campaign_id not in actor.organizes:
            return []
        query = query.where(Nomination.campaign_id == campaign_id)
    elif not actor.admin:
        query = query.where(Nomination.campaign_id.in_(actor.organizes or {-1}))
    if wiki:
        query = query.where(Nomination.wiki == wiki)
    if after is not None:
        query = query.where(Nomination.created_at >= after.created_at, or_(
            Nomination.created_at > after.created_at,
            and_(Nomination.created_at == after.created_at, Nomination.id > after.id)))
    return [QueueItem(*row) for row in session.execute(query)]


@dataclass(frozen=True)
class Outcome:
    """What became of one selected nomination: approved, or not and why (a refusal or a broken rule, which the
    web tool says in the reader's language). No recipient: there is no such nomination."""

    nomination_id: int
    ok: bool
    recipient: str | None = None
    campaign: str | None = None  # its name
    why: Decision | DomainError | None = None


def wikis_of(session: Session, ids: list[int]) -> set[str]:
    """The wikis of these nominations: where to ask about the reviewer's standing before approving them."""
    return set(session.scalars(select(Nomination.wiki).where(Nomination.id.in_(ids)).distinct()))


def approve_many(session: Session, config: Config, actor: Actor, ids: list[int]) -> list[Outcome]:
    """Approve each selected nomination on its own: one refusal does not stop the others.

    `actor` carries their standing on the nominations' wikis (kudos.access.ON_WIKI); without it nothing
    could tell whether a wiki blocked them since they signed in.
    """
    if actor.standing is None:
        raise ValueError("approve_many needs the reviewer's standing on the wikis (Actor.acting)")
    found = {n.id: n for n in session.scalars(
        select(Nomination).join(Nomination.campaign).options(contains_eager(Nomination.campaign))
        .where(Nomination.id.in_(ids)))}
    outcomes = []
    for nomination_id in dict.fromkeys(ids):
        nomination = found.get(nomination_id)
        if nomination is None:
            outcomes.append(Outcome(nomination_id, False))
            continue
        who = (nomination.recipient, nomination.campaign.name)
        decision = may(actor, Action.review, nomination)
        if not decision:
            outcomes.append(Outcome(nomination_id, False, *who, decision))
            continue
        try:
            with session.begin_nested():
                nominations.approve(session, config, nomination, actor.username)
        except DomainError as error:
            outcomes.append(Outcome(nomination_id, False, *who, error))
            continue
        outcomes.append(Outcome(nomination_id, True, *who))
    return outcomes


def delivered_page(session: Session, campaign: Campaign, *, before: Cursor | None = None,
                   limit: int = QUEUE_PAGE) -> list[Nomination]:
    """Approved nominations of a campaign, newest first, with their deliveries (two queries)."""
    query = (
        select(Nomination).options(selectinload(Nomination.deliveries))
        .where(Nomination.campaign_id == campaign.id, Nomination.status == NominationStatus.approved)
        .order_by(Nomination.created_at.desc(), Nomination.id.desc()).limit(limit)
    )
    if before is not None:
        query = query.where(Nomination.created_at <= before.created_at, or_(
            Nomination.created_at < before.created_at,
            and_(Nomination.created_at == before.created_at, Nomination.id < before.id)))
    return list(session.scalars(query))


def get_delivery(session: Session, delivery_id: int) -> Delivery:
    delivery = session.get(Delivery, delivery_id)
    if delivery is None:
        raise NotFound("kudos-error-no-delivery", delivery_id)
    return delivery


def retry(session: Session, delivery: Delivery, actor: str, now: datetime | None = None) -> Delivery:
    """Give a failed delivery a fresh start: the job picks it up on its next round."""
    if delivery.status != DeliveryStatus.failed:
        raise DomainError("kudos-error-retry-not-failed", delivery.status.value)
    now = now or utcnow()
    audit.record(session, actor, "delivery.retry", delivery, channel=delivery.channel,
                 attempts=delivery.attempts, last_error=delivery.last_error)
    # The organizer has looked: a chat post that may or may not have landed is to be sent again.
    allow_resend(session, delivery)
    delivery.status = DeliveryStatus.pending
    delivery.attempts = 0
    delivery.next_attempt_at = now
    delivery.claimed_by = None
    delivery.lease_until = None
    return delivery


def failed_deliveries(session: Session, limit: int = 200) -> list[Delivery]:
    """Every campaign's failed deliveries, most recent first, with their nomination and campaign."""
    query = (select(Delivery).where(Delivery.status == DeliveryStatus.failed)
             .options(selectinload(Delivery.nomination).selectinload(Nomination.campaign))
             .order_by(Delivery.updated_at.desc(), Delivery.id.desc()).limit(limit))
    return list(session.scalars(query))


def consents(session: Session, usernames: Iterable[str]) -> dict[str, Consent]:
    """Consent of many recipients in one query (unknown when Kudos has no row for them)."""
    names = set(usernames)
    rows = session.execute(select(Person.username, Person.consent).where(Person.username.in_(names)))
    found = {username: consent for username, consent in rows}
    return {name: found.get(name, Consent.unknown) for name in names}
