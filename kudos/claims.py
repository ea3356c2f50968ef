"""Leases on delivery rows, so any number of job processes can work from the outbox at once (DESIGN §2).

`claim` takes due rows atomically: on MariaDB with `SELECT … FOR UPDATE SKIP LOCKED` (workers never wait
for each other's rows), on SQLite with one conditional UPDATE inside the write transaction that the db
layer opens with BEGIN IMMEDIATE. A claim counts as an attempt, so a delivery that crashes the job
still ends as `failed` after `max_attempts`, and `attempts > 1` tells the channel that an earlier try
may have landed. `record` writes an outcome only while the caller still holds the lease.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.orm import selectinload

from kudos import audit, wall_version
from kudos.channels import DeliveryOutcome, Permanent, Posted, RetryLater, Skip
from kudos.clock import utcnow
from kudos.config import Config
from kudos.db import Database
from kudos.models import Delivery, DeliveryStatus, Nomination


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    base_seconds: float = 60.0
    cap_seconds: float = 6 * 3600.0

    @classmethod
    def from_config(cls, config: Config) -> RetryPolicy:
        section = config.section("delivery")
        return cls(
            max_attempts=int(section.get("max_attempts", cls.max_attempts)),
            base_seconds=float(section.get("retry_base_seconds", cls.base_seconds)),
            cap_seconds=float(section.get("retry_max_seconds", cls.cap_seconds)),
        )

    def delay(self, attempts: int, after: float | None = None) -> float:
        """Capped exponential backoff with jitter; the server's own `after` wins when it gives one."""
        if after is not None:
            return min(max(after, 1.0), self.cap_seconds)
        ceiling = min(self.cap_seconds, self.base_seconds * 2 ** max(attempts - 1, 0))
        # "Equal jitter": at least half the ceiling, so retries stay spread out but never bunch at zero.
        return ceiling / 2 + random.uniform(0, ceiling / 2)


def _due(channels: Sequence[str], now: datetime) -> ColumnElement[bool]:
    expired = and_(Delivery.status == DeliveryStatus.claimed, Delivery.lease_until < now)
    return and_(
        Delivery.channel.in_(list(channels)),
        or_(Delivery.status == DeliveryStatus.pending, expired),
        Delivery.next_attempt_at <= now,
    )


def claim(db: Database, worker_id: str, channels: Sequence[str], limit: int, lease_seconds: float,
          now: datetime | None = None, due_by: datetime | None = None) -> list[Delivery]:
    """Lease up to `limit` due deliveries of `channels` to `worker_id`; returns them with their nominations.

    `due_by` (default: now) lets a single pass take only what was due when it began, so a delivery it
    has just put back for a retry is not taken again in the same pass.
    """
    now = now or utcnow()
    lease_until = now + timedelta(seconds=lease_seconds)
    with db.transaction() as session:
        due = (select(Delivery.id).where(_due(channels, now), Delivery.next_attempt_at <= (due_by or now))
               .order_by(Delivery.next_attempt_at, Delivery.id))
        if db.dialect == "sqlite":
            # BEGIN IMMEDIATE already holds the write lock: select-then-update cannot interleave.
            ids = list(session.scalars(due.limit(limit)))
        else:
            ids = list(session.scalars(due.limit(limit).with_for_update(skip_locked=True)))
        if not ids:
            return []
        session.execute(
            update(Delivery)
            .where(Delivery.id.in_(ids), _due(channels, now))
            .values(status=DeliveryStatus.claimed, claimed_by=worker_id, lease_until=lease_until,
                    attempts=Delivery.attempts + 1, updated_at=now)
            # A claim takes rows that are not done: the wall, and its feeds' validators, stay as they were.
            .execution_options(synchronize_session=False, **wall_version.UNSEEN)
        )
        rows = session.scalars(
            select(Delivery)
            .where(Delivery.id.in_(ids), Delivery.claimed_by == worker_id, Delivery.lease_until == lease_until)
            .options(selectinload(Delivery.nomination).selectinload(Nomination.campaign))
            .order_by(Delivery.id)
        ).all()
        return list(rows)


def release(db: Database, worker_id: str, delivery_ids: Iterable[int]) -> int:
    """Hand back leased rows that were not attempted (the job is stopping); their attempt is not counted."""
    ids = list(delivery_ids)
    if not ids:
        return 0
    with db.transaction() as session:
        result = session.execute(
            update(Delivery)
            .where(Delivery.id.in_(ids), Delivery.claimed_by == worker_id,
                   Delivery.status == DeliveryStatus.claimed)
            .values(status=DeliveryStatus.pending, claimed_by=None, lease_until=None,
                    attempts=Delivery.attempts - 1, updated_at=utcnow())
            .execution_options(synchronize_session=False, **wall_version.UNSEEN)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]


def record(db: Database, worker_id: str, delivery_id: int, outcome: Posted | DeliveryOutcome,
           policy: RetryPolicy, now: datetime | None = None) -> DeliveryStatus | None:
    """Write a channel's outcome. Returns the new status, or None when the lease was lost to another worker."""
    now = now or utcnow()
    with db.transaction() as session:
        query = select(Delivery).where(Delivery.id == delivery_id, Delivery.claimed_by == worker_id,
                                       Delivery.status == DeliveryStatus.claimed)
        if db.dialect != "sqlite":
            query = query.with_for_update()
        delivery = session.scalar(query)
        if delivery is None:
            return None
        delivery.claimed_by = None
        delivery.lease_until = None
        delivery.updated_at = now
        if isinstance(outcome, Posted):
            delivery.status = DeliveryStatus.done
            delivery.external_id = outcome.external_id or None
            delivery.external_url = outcome.url or None
            delivery.done_at = now
            delivery.last_error = None
        elif isinstance(outcome, Skip):
            delivery.status = DeliveryStatus.skipped
            delivery.last_error = outcome.reason
        elif isinstance(outcome, RetryLater) and delivery.attempts < policy.max_attempts:
            delivery.status = DeliveryStatus.pending
            delivery.last_error = outcome.reason
            delivery.next_attempt_at = now + timedelta(seconds=policy.delay(delivery.attempts, outcome.after))
        else:
            delivery.status = DeliveryStatus.failed
            delivery.last_error = outcome.reason if isinstance(outcome, RetryLater | Permanent) else str(outcome)
        if delivery.status != DeliveryStatus.pending:
            audit.record(session, "Kudos delivery job", "delivery." + delivery.status.value, delivery,
                         channel=delivery.channel, nomination=delivery.nomination_id,
                         attempts=delivery.attempts, external_url=delivery.external_url,
                         reason=delivery.last_error, worker=worker_id)
        return delivery.status


def settle_wall(db: Database, talkpage: str = "talkpage", wall: str = "wall") -> dict[int, DeliveryStatus]:
    """The wall has no side effect outside the tool: it is done when the barnstar is on the talk page.

    A talk-page delivery that was skipped skips the wall too; a failed one leaves the wall waiting, since
    an organizer may retry it.
    """
    now = utcnow()
    settled: dict[int, DeliveryStatus] = {}
    with db.transaction() as session:
        query = select(Delivery).where(Delivery.channel == wall, Delivery.status == DeliveryStatus.pending)
        if db.dialect != "sqlite":
            query = query.with_for_update(skip_locked=True)
        walls = session.scalars(
            query.options(selectinload(Delivery.nomination).selectinload(Nomination.deliveries))
        ).all()
        for delivery in walls:
            talk = next((d for d in delivery.nomination.deliveries if d.channel == talkpage), None)
            if talk is None or talk.status == DeliveryStatus.done:
                delivery.status = DeliveryStatus.done
                delivery.done_at = now
            elif talk.status == DeliveryStatus.skipped:
                delivery.status = DeliveryStatus.skipped
                delivery.last_error = f"The barnstar was not posted: {talk.last_error}"
            else:
                continue
            delivery.updated_at = now
            settled[delivery.id] = delivery.status
            audit.record(session, "Kudos delivery job", "delivery." + delivery.status.value, delivery,
                         channel=wall, nomination=delivery.nomination_id, reason=delivery.last_error)
    return settled
