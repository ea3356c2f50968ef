"""Template filters for times, which the database stores as naive UTC.

Filters rather than method calls in templates: Jinja calls a filter directly, while `d.strftime(...)`
goes through its call machinery and strftime itself; in the row loops of the wall and the review queue
that difference is a visible share of the page's time.
"""

from __future__ import annotations

from datetime import datetime

from flask import Flask


def utc_iso(moment: datetime) -> str:
    """For `<time datetime=…>` and Atom: ISO 8601 with the Z that says UTC."""
    return moment.isoformat() + "Z"


def utc_minute(moment: datetime) -> str:
    """2025-01-31 14:05"""
    return moment.isoformat(" ", "minutes")


def utc_day(moment: datetime) -> str:
    """2025-01-31"""
    return moment.date().isoformat()


def init_app(app: Flask) -> None:
    app.add_template_filter(utc_iso, "utc_iso")
    app.add_template_filter(utc_minute, "utc_minute")
    app.add_template_filter(utc_day, "utc_day")
