"""Scheduled upkeep (`flask --app app prune`, the daily `prune` job): retention, expired consent waits and
expired sessions and the daily allowances of days that are over.

The audit log is append-only for the tool itself; retention is the one place that deletes from it,
through a bulk statement that bypasses the ORM guard in kudos.models on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from kudos import allowance, sessions
from kudos.clock import utcnow
from kudos.config import Config
from kudos.errors import ConfigError
from kudos.models import AuditEvent, Delivery, DeliveryStatus, Nomination
from kudos.outbox import is_social

DEFAULT_RETENTION_DAYS = 365
DEFAULT_CONSENT_DAYS = 30
# Audit facts that outlive the retention period: that a person's data was erased must stay provable.
KEPT_ACTIONS = ("privacy.erased",)


@dataclass(frozen=True)
class PruneReport:
    audit_deleted: int
    audit_cutoff: datetime
    consent_expired: int
    consent_days: int
    sessions_deleted: int = 0
    allowances_deleted: int = 0

    def lines(self) -> list[str]:
        return [
            f"Deleted {self.audit_deleted} audit rows older than {self.audit_cutoff:%Y-%m-%d %H:%M} UTC.",
            f"Skipped {self.consent_expired} social deliveries that waited more than {self.consent_days} days "
            f"for the recipient's consent.",
            f"Deleted {self.sessions_deleted} expired sessions.",
            f"Forgot {self.allowances_deleted} daily nomination counts of days that are over.",
        ]


def _positive_int(value: object, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"The configuration key “{key}” must be a whole number of days (1 or more).")
    return value


def retention_days(config: Config) -> int:
    value = config.raw.get("retention_days")
    return DEFAULT_RETENTION_DAYS if value is None else _positive_int(value, "retention_days")


def consent_days(config: Config) -> int:
    try:
        from kudos import consent  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        value = config.section("consent").get("expire_days")
        return DEFAULT_CONSENT_DAYS if value is None else _positive_int(value, "consent.expire_days")
    days: int = consent.expire_days(config)
    return days


def prune_audit(session: Session, now: datetime, days: int) -> int:
    cutoff = now - timedelta(days=days)
    condition = (AuditEvent.at < cutoff) & AuditEvent.action.not_in(KEPT_ACTIONS)
    count = session.scalar(select(func.count()).select_from(AuditEvent).where(condition)) or 0
    if count:
        session.execute(delete(AuditEvent).where(condition).execution_options(synchronize_session=False))
    return count


def expire_consent_waits(session: Session, now: datetime, days: int) -> int:
    """Skip social deliveries whose recipient did not answer in time.

    Uses kudos.consent.expire when that module is present (the consent gate's own rule); otherwise the
    same rule in one query, so this job works on its own.
    """
    try:
        from kudos import consent  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        pass
    else:
        return len(consent.expire(session, now, days))
    cutoff = now - timedelta(days=days)
    waiting = session.scalars(
        select(Delivery).join(Nomination, Delivery.nomination_id == Nomination.id)
        .where(Delivery.status == DeliveryStatus.awaiting_consent, Delivery.created_at <= cutoff))
    expired = [d for d in waiting if is_social(d.channel)]
    for delivery in expired:
        delivery.status = DeliveryStatus.skipped
        delivery.last_error = f"The recipient did not answer the request for consent within {days} days."
        delivery.updated_at = now
        delivery.done_at = now
    return len(expired)


def prune(session: Session, config: Config, now: datetime | None = None) -> PruneReport:
    now = now or utcnow()
    keep_days, wait_days = retention_days(config), consent_days(config)
    expired = expire_consent_waits(session, now, wait_days)
    deleted = prune_audit(session, now, keep_days)
    return PruneReport(deleted, now - timedelta(days=keep_days), expired, wait_days,
                       sessions_deleted=sessions.prune(session, now), allowances_deleted=allowance.prune(session, now))
