"""Daily allowances: how many nominations one person may make per UTC day, counted in the database.

The count is taken inside the nomination's own transaction by one upsert on the person's row for the day
(INSERT … ON DUPLICATE KEY UPDATE on MariaDB, INSERT … ON CONFLICT on SQLite), which holds that row's lock
until the transaction ends. Parallel submissions by one person therefore queue on that row, every web
worker and process sees the same count, and a nomination refused for any reason takes its count back
with it when its transaction rolls back.

There are two allowances. The nomination form's (`ratelimit.nominations_per_day`) counts every
nomination a person makes, trusted or not. The bulk page's (`ratelimit.bulk_nominations_per_day`)
counts each nomination of an organizer's pasted lists: thanking a workshop's 300 participants does not
use up the organizer's own form allowance, and a taken-over organizer account still cannot flood the
queues.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
from datetime import date, datetime, timedelta

from sqlalchemy import Executable, bindparam, delete, select
from sqlalchemy.orm import Session

from kudos import counters
from kudos.clock import utcnow
from kudos.config import Config
from kudos.errors import ConfigError, DomainError
from kudos.models import Allowance
from kudos.names import canonical_username


class Kind(enum.StrEnum):
    nominations = "nominations"
    bulk = "bulk"


_SETTINGS = {Kind.nominations: ("nominations_per_day", 20), Kind.bulk: ("bulk_nominations_per_day", 2000)}


class AllowanceSpent(DomainError):
    """The person has used up today's allowance; nothing of the refused request was saved."""

    def __init__(self, kind: Kind, per_day: int, left: int, wanted: int) -> None:
        if kind == Kind.nominations:
            super().__init__("kudos-error-allowance-nominations", per_day)
        else:
            super().__init__("kudos-error-allowance-bulk", per_day, wanted, left)
        self.kind, self.per_day, self.left = kind, per_day, left


def per_day(config: Config, kind: Kind = Kind.nominations) -> int:
    key, default = _SETTINGS[kind]
    value = config.section("ratelimit").get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(f"The configuration key “ratelimit.{key}” must be a whole number above 0.")
    return value


# Built once per process: asked on every nomination.
_USED = select(Allowance.used).where(Allowance.subject == bindparam("subject"), Allowance.kind == bindparam("kind"),
                                     Allowance.day == bindparam("day"))


def take(session: Session, config: Config, person: str, kind: Kind = Kind.nominations, count: int = 1,
         now: datetime | None = None) -> None:
    """Count `count` against the person's allowance for today, or raise AllowanceSpent and count nothing."""
    limit = per_day(config, kind)
    key = (_subject(config, person), kind.value, _day(now))
    with session.begin_nested():
        session.execute(_upsert(session, dict(zip(("subject", "kind", "day"), key, strict=True)), count))
        used = session.scalar(_USED, dict(zip(("subject", "kind", "day"), key, strict=True))) or 0
        if used > limit:  # leaving the block by raising rolls the count back
            raise AllowanceSpent(kind, limit, max(limit - (used - count), 0), count)


def left(session: Session, config: Config, person: str, kind: Kind = Kind.nominations,
         now: datetime | None = None) -> int:
    """What remains of today's allowance, without taking any (for refusing early; `take` decides)."""
    used = session.scalar(_USED, {"subject": _subject(config, person), "kind": kind.value, "day": _day(now)})
    return max(per_day(config, kind) - (used or 0), 0)


def prune(session: Session, now: datetime | None = None) -> int:
    """Forget the counts of days that are over (yesterday's is kept for clocks a little behind)."""
    result = session.execute(delete(Allowance).where(Allowance.day < _day(now) - timedelta(days=1)))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _upsert(session: Session, key: dict[str, object], count: int) -> Executable:
    """Add `count` to the row, creating it if needed, in one statement that locks the row."""
    return counters.upsert(session, Allowance, {**key, "used": count}, ["subject", "kind", "day"],
                           {"used": Allowance.used + count})


def _day(now: datetime | None) -> date:
    return (now or utcnow()).date()


def _subject(config: Config, person: str) -> str:
    """The person as MediaWiki knows them (one account however it is spelt), hashed with the tool's secret."""
    name = canonical_username(person).encode("utf-8")
    return hmac.new(config.secret_key.encode("utf-8"), b"allowance:" + name, hashlib.sha256).hexdigest()
