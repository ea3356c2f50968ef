"""Time in one convention: naive datetimes in UTC, as MariaDB's DATETIME stores them."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)
