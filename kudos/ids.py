"""Row ids as they arrive from outside (addresses, cursors, form fields): ASCII digits, within the columns' range.

One parser for all of them, so that no number reaches a query that the database cannot hold (SQLite
raises OverflowError past 2^63) and no other digits (`²` passes `str.isdigit` but not `int`) reach `int`.
"""

from __future__ import annotations

MAX = 2**31 - 1  # the id columns are INTEGER: 32-bit signed on MariaDB
DIGITS = len(str(MAX))


def parse(text: str | None) -> int | None:
    """The id that `text` spells, or None when it spells no id any row can have."""
    if not text or len(text) > DIGITS or not text.isascii() or not text.isdigit():
        return None
    number = int(text)
    return number if 1 <= number <= MAX else None
