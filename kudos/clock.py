"""Time in one convention: naive datetimes in UTC, as MariaDB's DATETIME stores them."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def precise_utcnow() -> datetime:
    """With microseconds, for what is measured in fractions of a second (a wiki's edit slots, kudos.lanes)."""
    return datetime.now(UTC).replace(tzinfo=None)
