"""One lane per wiki, shared through the database by every replica of the delivery job (DESIGN §2).

Bot policies limit the edit rate per wiki, so a wiki's talk-page deliveries are posted by one replica at a
time: the lane's holder, for as long as it renews its lease. Before each edit the holder takes the next
slot with `reserve`, which moves `next_edit_at` one throttle interval on inside a row-locking transaction;
a replica that lost the lease (it stalled, another took over) is refused and posts nothing. A replica
that takes over a lane after a crash starts at the `next_edit_at` the crashed one left, so however many
replicas run, edits on one wiki are never closer than its throttle. A wiki that is read-only, lagged or
unreachable is paused: `next_edit_at` moves past a backoff, and `paused_kind` tells organizers why.

The lease is held for a whole run of batches and released when the wiki has nothing more due; every
wiki has its own row, so replicas share wikis between them and each wiki runs at its own pace.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kudos.clock import precise_utcnow
from kudos.db import Database
from kudos.models import WikiLane

# (failures of the wiki in a row, the wait the wiki asked for) → seconds to pause: RetryPolicy.pause_delay.
DelayFor = Callable[[int, float | None], float]


class LaneLost(Exception):  # noqa: N818 - a state, not a fault
    """The caller no longer holds the lane: another replica may be posting to the wiki."""


@dataclass(frozen=True)
class LaneState:
    wiki: str
    holder: str | None
    lease_until: datetime | None
    next_edit_at: datetime
    paused_kind: str | None
    paused_reason: str | None
    paused_since: datetime | None
    failures: int

    @classmethod
    def of(cls, row: WikiLane) -> LaneState:
        return cls(row.wiki, row.holder, row.lease_until, row.next_edit_at, row.paused_kind, row.paused_reason,
                   row.paused_since, row.failures)

    def paused_at(self, now: datetime) -> bool:
        return self.paused_kind is not None and self.next_edit_at > now

    def held_by_other(self, worker: str, now: datetime) -> bool:
        return self.holder not in (None, worker) and self.lease_until is not None and self.lease_until > now


def _locked(session: Session, db: Database, wiki: str) -> WikiLane | None:
    query = select(WikiLane).where(WikiLane.wiki == wiki)
    if db.dialect != "sqlite":  # SQLite's BEGIN IMMEDIATE already holds the only write lock
        query = query.with_for_update()
    return session.scalar(query)


def _create(db: Database, wiki: str, now: datetime) -> None:
    try:
        with db.transaction() as session:
            session.add(WikiLane(wiki=wiki, next_edit_at=now, failures=0))
    except IntegrityError:
        pass  # another replica created it first


def acquire(db: Database, wiki: str, worker: str, lease_seconds: float) -> LaneState | None:
    """Take (or renew) the lane; None while another replica holds an unexpired lease on it."""
    for _ in range(2):
        with db.transaction() as session:
            row = _locked(session, db, wiki)
            now = precise_utcnow()  # after the lock: time spent waiting for it must not shorten the lease
            if row is not None:
                state = LaneState.of(row)
                if state.held_by_other(worker, now):
                    return None
                row.holder = worker
                row.lease_until = now + timedelta(seconds=lease_seconds)
                return LaneState.of(row)
        _create(db, wiki, precise_utcnow())
    raise RuntimeError(f"The lane of {wiki} could not be created.")


def reserve(db: Database, wiki: str, worker: str, throttle: float, lease_seconds: float) -> tuple[bool, datetime]:
    """Take the next edit slot: (True, when the slot after it opens) when the caller may post now, else
    (False, when this slot opens).

    Renews the lease. Raises LaneLost when the caller's lease has run out or another replica holds it.
    """
    with db.transaction() as session:
        row = _locked(session, db, wiki)
        # Read the clock only once the row is locked: the slot starts when the edit can really go out.
        now = precise_utcnow()
        if row is None or row.holder != worker or row.lease_until is None or row.lease_until < now:
            raise LaneLost(wiki)
        if row.next_edit_at > now:
            return False, row.next_edit_at
        row.next_edit_at = now + timedelta(seconds=throttle)
        row.lease_until = now + timedelta(seconds=lease_seconds)
        return True, row.next_edit_at


def pause(db: Database, wiki: str, worker: str, kind: str, reason: str, delay_for: DelayFor,
          after: float | None = None) -> float:
    """Pause the lane after a failure of the whole wiki; returns the seconds until it is tried again.

    `delay_for(failures in a row, after)` is the backoff; `paused_since` keeps the start of the outage.
    """
    with db.transaction() as session:
        row = _locked(session, db, wiki)
        now = precise_utcnow()
        if row is None or row.holder != worker:
            return delay_for(1, after)  # no longer ours: whoever holds it keeps its own account
        row.failures += 1
        delay = delay_for(row.failures, after)
        row.paused_kind = kind
        row.paused_reason = reason[:1000]
        row.paused_since = row.paused_since or now.replace(microsecond=0)
        row.next_edit_at = max(row.next_edit_at, now + timedelta(seconds=delay))
        return delay


def resume(db: Database, wiki: str) -> None:
    """The wiki answers normally again: forget the pause (only call this on a paused lane)."""
    with db.transaction() as session:
        session.execute(update(WikiLane).where(WikiLane.wiki == wiki, WikiLane.paused_kind.is_not(None))
                        .values(paused_kind=None, paused_reason=None, paused_since=None, failures=0))


def release(db: Database, wiki: str, worker: str) -> None:
    """Let another replica take the lane (nothing more is due, or this one is stopping)."""
    with db.transaction() as session:
        session.execute(update(WikiLane).where(WikiLane.wiki == wiki, WikiLane.holder == worker)
                        .values(holder=None, lease_until=None))


def states(session: Session) -> dict[str, LaneState]:
    return {row.wiki: LaneState.of(row) for row in session.scalars(select(WikiLane))}


def paused(session: Session, wiki: str) -> LaneState | None:
    """The wiki's lane if it is paused (for the deliveries page), else None."""
    row = session.get(WikiLane, wiki)
    return LaneState.of(row) if row is not None and row.paused_kind else None
