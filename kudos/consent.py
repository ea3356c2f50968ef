"""The consent gate (DESIGN §2): social deliveries wait for the recipient's yes.

A recipient without consent has social deliveries in `awaiting_consent`. Consent releases them to
`pending` (the job then sends them), refusal skips them at once, and after `consent.expire_days`
(default 30) unanswered ones are skipped. `kudos.people.set_consent` calls `release`/`refuse`, so every
change of consent reaches the deliveries.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from kudos import audit
from kudos.clock import utcnow
from kudos.config import Config
from kudos.errors import ConfigError
from kudos.models import Delivery, DeliveryStatus, Nomination
from kudos.names import canonical_username
from kudos.outbox import is_social

DEFAULT_EXPIRE_DAYS = 30
REFUSED = "The recipient declined social sharing."
EXPIRED = "The recipient did not answer the request for consent within {days} days."


def expire_days(config: Config) -> int:
    value = config.section("consent").get("expire_days", DEFAULT_EXPIRE_DAYS)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError("The configuration key “consent.expire_days” must be a whole number of days (1 or more).")
    return value


def _social(session: Session, status: DeliveryStatus, username: str | None = None) -> list[Delivery]:
    query = select(Delivery).join(Nomination, Delivery.nomination_id == Nomination.id).where(
        Delivery.status == status)
    if username is not None:
        query = query.where(Nomination.recipient == canonical_username(username))
    return [d for d in session.scalars(query.order_by(Delivery.id)) if is_social(d.channel)]


def release(session: Session, username: str, now: datetime | None = None) -> list[Delivery]:
    """Consent was given: the recipient's waiting social deliveries become due now."""
    now = now or utcnow()
    released = _social(session, DeliveryStatus.awaiting_consent, username)
    for delivery in released:
        delivery.status = DeliveryStatus.pending
        delivery.next_attempt_at = now
        delivery.last_error = None
        delivery.updated_at = now
    if released:
        audit.record(session, canonical_username(username), "consent.release", released[0].nomination,
                     deliveries=[d.id for d in released])
    return released


def refuse(session: Session, username: str, now: datetime | None = None) -> list[Delivery]:
    """Consent was refused: nothing about this recipient will be posted; waiting deliveries are skipped."""
    now = now or utcnow()
    skipped = [*_social(session, DeliveryStatus.awaiting_consent, username),
               *_social(session, DeliveryStatus.pending, username)]
    for delivery in skipped:
        _skip(delivery, REFUSED, now)
    if skipped:
        audit.record(session, canonical_username(username), "consent.refuse_deliveries", skipped[0].nomination,
                     deliveries=[d.id for d in skipped])
    return skipped


def expire(session: Session, now: datetime | None = None, days: int = DEFAULT_EXPIRE_DAYS) -> list[Delivery]:
    """Skip deliveries that waited for consent longer than `days` (the job runs this periodically)."""
    now = now or utcnow()
    cutoff = now - timedelta(days=days)
    expired = [d for d in _social(session, DeliveryStatus.awaiting_consent) if d.created_at <= cutoff]
    for delivery in expired:
        _skip(delivery, EXPIRED.format(days=days), now)
    return expired


def _skip(delivery: Delivery, reason: str, now: datetime) -> None:
    delivery.status = DeliveryStatus.skipped
    delivery.last_error = reason
    delivery.updated_at = now
    delivery.done_at = now
