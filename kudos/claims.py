"""Leases on delivery rows, so any number of job processes can work from the outbox at once (DESIGN §2).

`claim` takes due rows atomically: on MariaDB with `SELECT … FOR UPDATE SKIP LOCKED` (workers never wait
for each other's rows), on SQLite with one conditional UPDATE inside the write transaction that the db
layer opens with BEGIN IMMEDIATE. A claim counts as an attempt, so a delivery that crashes the job
still ends as `failed` after `max_attempts`, and `attempts > 1` tells the channel that an earlier try
may have landed. `record` writes an outcome only while the caller still holds the lease.

A failure of a whole wiki (read-only, lagged, unreachable: an outcome with `pause`) gives the attempt back
unless the edit may have landed (`Uncertain`), and never makes a delivery `failed` by its count: only
when it was approved more than `delivery.max_age_days` ago. Talk-page deliveries are claimed one wiki at a
time (`claim_talkpages`, by the holder of the wiki's lane, kudos.lanes), taking turns between campaigns.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.orm import Session, selectinload

from kudos import audit, figures_version, wall_version
from kudos.channels import DeliveryOutcome, Permanent, Posted, RetryLater, Skip, Uncertain
from kudos.clock import utcnow
from kudos.config import Config
from kudos.db import Database
from kudos.models import Delivery, DeliveryStatus, Nomination
from kudos.outbox import TALKPAGE


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    base_seconds: float = 60.0
    cap_seconds: float = 6 * 3600.0
    pause_cap_seconds: float = 600.0  # a paused wiki is tried again at least this often
    max_age_days: float = 7.0  # a delivery kept waiting by its wiki this long after approval fails

    @classmethod
    def from_config(cls, config: Config) -> RetryPolicy:
        section = config.section("delivery")
        return cls(
            max_attempts=int(section.get("max_attempts", cls.max_attempts)),
            base_seconds=float(section.get("retry_base_seconds", cls.base_seconds)),
            cap_seconds=float(section.get("retry_max_seconds", cls.cap_seconds)),
            pause_cap_seconds=float(section.get("pause_max_seconds", cls.pause_cap_seconds)),
            max_age_days=float(section.get("max_age_days", cls.max_age_days)),
        )

    def pause_delay(self, failures: int, after: float | None = None) -> float:
        """How long a wiki's lane waits after `failures` failures of the wiki in a row.

        Capped lower than a delivery's own backoff: probing a wiki that is down costs one request, and
        an outage of an afternoon should not keep barnstars waiting for hours after it ends.
        """
        return replace(self, cap_seconds=min(self.cap_seconds, self.pause_cap_seconds)).delay(failures, after)

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
    with db.transaction() as session:
        due = (select(Delivery.id).where(_due(channels, now), Delivery.next_attempt_at <= (due_by or now))
               .order_by(Delivery.next_attempt_at, Delivery.id))
        if db.dialect == "sqlite":
            # BEGIN IMMEDIATE already holds the write lock: select-then-update cannot interleave.
            ids = list(session.scalars(due.limit(limit)))
        else:
            ids = list(session.scalars(due.limit(limit).with_for_update(skip_locked=True)))
        return _take(session, worker_id, ids, channels, lease_seconds, now)


def claim_talkpages(db: Database, worker_id: str, wiki: str, limit: int, lease_seconds: float,
                    now: datetime | None = None, due_by: datetime | None = None) -> list[Delivery]:
    """Lease up to `limit` due talk-page deliveries of one wiki, taking campaigns in turn.

    The oldest due delivery of each campaign first, then the second of each, and so on: an edit-a-thon's
    hundreds of barnstars never hold up another campaign's first one by more than one edit each.
    The caller holds the wiki's lane, so no other replica claims this wiki's rows at the same time;
    the UPDATE still re-checks each row, as a replica that lost the lane might.
    """
    now = now or utcnow()
    due = and_(_due([TALKPAGE], now), Delivery.next_attempt_at <= (due_by or now), Nomination.wiki == wiki)
    turn = func.row_number().over(partition_by=Delivery.campaign_id,
                                  order_by=(Delivery.next_attempt_at, Delivery.id)).label("turn")
    ranked = (select(Delivery.id, Delivery.next_attempt_at, turn)
              .join(Nomination, Nomination.id == Delivery.nomination_id).where(due).subquery())
    with db.transaction() as session:
        ids = list(session.scalars(select(ranked.c.id).order_by(ranked.c.turn, ranked.c.next_attempt_at,
                                                                 ranked.c.id).limit(limit)))
        rows = {d.id: d for d in _take(session, worker_id, ids, [TALKPAGE], lease_seconds, now)}
        return [rows[i] for i in ids if i in rows]


def _take(session: Session, worker_id: str, ids: list[int], channels: Sequence[str], lease_seconds: float,
          now: datetime) -> list[Delivery]:
    if not ids:
        return []
    lease_until = now + timedelta(seconds=lease_seconds)
    session.execute(
        update(Delivery)
        .where(Delivery.id.in_(ids), _due(channels, now))
        .values(status=DeliveryStatus.claimed, claimed_by=worker_id, lease_until=lease_until,
                attempts=Delivery.attempts + 1, updated_at=now)
        # A claim takes rows that are not done: the wall, and its feeds' validators, stay as they were; and
        # it moves them from pending to claimed, which no dashboard figure counts.
        .execution_options(synchronize_session=False, **wall_version.UNSEEN, **figures_version.UNCOUNTED)
    )
    rows = session.scalars(
        select(Delivery)
        .where(Delivery.id.in_(ids), Delivery.claimed_by == worker_id, Delivery.lease_until == lease_until)
        .options(selectinload(Delivery.nomination).selectinload(Nomination.campaign))
        .order_by(Delivery.id)
    ).all()
    return list(rows)


def due_talkpage_wikis(db: Database, now: datetime | None = None, due_by: datetime | None = None) -> dict[str, int]:
    """How many talk-page deliveries are due on each wiki (a read: it takes no lock)."""
    now = now or utcnow()
    query = (select(Nomination.wiki, func.count()).select_from(Delivery)
             .join(Nomination, Nomination.id == Delivery.nomination_id)
             .where(_due([TALKPAGE], now), Delivery.next_attempt_at <= (due_by or now))
             .group_by(Nomination.wiki))
    with db.session() as session:
        return {str(wiki): int(count) for wiki, count in session.execute(query)}


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
            .execution_options(synchronize_session=False, **wall_version.UNSEEN, **figures_version.UNCOUNTED)
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
        elif isinstance(outcome, RetryLater) and outcome.pause is not None:
            _wait_for_wiki(delivery, outcome, policy, now)
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


def _wait_for_wiki(delivery: Delivery, outcome: RetryLater, policy: RetryPolicy, now: datetime) -> None:
    """The wiki as a whole failed: the delivery waits with its lane, its attempt not counted."""
    if now - delivery.created_at > timedelta(days=policy.max_age_days):
        delivery.status = DeliveryStatus.failed
        delivery.last_error = (f"{outcome.reason} Kudos stopped trying: the barnstar was approved more than "
                               f"{policy.max_age_days:g} days ago.")
        return
    delivery.status = DeliveryStatus.pending
    delivery.last_error = outcome.reason
    if not isinstance(outcome, Uncertain):
        # Nothing reached the page: this was no attempt. (An edit whose answer was lost keeps its count, so
        # the next claim still sees attempts > 1 and looks for the marker before posting.)
        delivery.attempts = max(delivery.attempts - 1, 0)
    delivery.next_attempt_at = now + timedelta(seconds=policy.delay(delivery.attempts, outcome.after))


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
