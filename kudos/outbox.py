"""The transactional outbox: an approved nomination's delivery rows, one per channel of its campaign.

Rows are written in the approving transaction; the delivery job performs them later. Nothing is sent
from a web request.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from kudos import people
from kudos.clock import utcnow
from kudos.config import Config
from kudos.models import Consent, Delivery, DeliveryStatus, Nomination

TALKPAGE = "talkpage"
WALL = "wall"


def channels_for(config: Config, nomination: Nomination) -> list[str]:
    """The talk page first, then the campaign's social channels that are still configured, then the wall."""
    social = [c for c in (nomination.campaign.channels or []) if c in config.channels]
    return [TALKPAGE, *social, WALL]


def is_social(channel: str) -> bool:
    return channel not in (TALKPAGE, WALL)


def create_deliveries(session: Session, config: Config, nomination: Nomination,
                      now: datetime | None = None, *, consent: Consent | None = None,
                      flush: bool = True) -> list[Delivery]:
    """`consent` and `flush=False` let a caller approving hundreds at once (bulk nominations) look consent up
    in one query and write every row in one flush."""
    now = now or utcnow()
    if consent is None:
        consent = people.consent_of(session, nomination.recipient)
    deliveries = []
    for channel in channels_for(config, nomination):
        status, reason = DeliveryStatus.pending, None
        if is_social(channel):
            # The consent gate (DESIGN §2): nothing identifying the recipient leaves the tool without a yes.
            if consent == Consent.refused:
                status, reason = DeliveryStatus.skipped, "The recipient declined social sharing."
            elif consent == Consent.unknown:
                status = DeliveryStatus.awaiting_consent
        delivery = Delivery(
            nomination=nomination, campaign=nomination.campaign, channel=channel, status=status, attempts=0,
            next_attempt_at=now,
            key=uuid.uuid4().hex, last_error=reason, created_at=now, updated_at=now,
        )
        session.add(delivery)
        deliveries.append(delivery)
    if flush:
        session.flush()
    return deliveries
