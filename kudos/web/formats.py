"""Template filters for times, which the database stores as naive UTC.

Filters rather than method calls in templates: Jinja calls a filter directly, while `d.strftime(...)`
goes through its call machinery and strftime itself; in the row loops of the wall and the review queue
that difference is a visible share of the page's time.
"""

from __future__ import annotations

from datetime import datetime

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from flask import Flask
from markupsafe import Markup

from kudos.web.i18n import current_language


def utc_iso(moment: datetime) -> str:
    """For `<time datetime=…>` and Atom: ISO 8601 with the Z that says UTC."""
    return moment.isoformat() + "Z"


def utc_minute(moment: datetime) -> str:
    """2025-01-31 14:05"""
    return moment.isoformat(" ", "minutes")


def utc_day(moment: datetime) -> str:
    """2025-01-31"""
    return moment.date().isoformat()


def readable_day(moment: datetime) -> str:
    """The day in the reader's language: "Dec 5, 2026", "ଡିସେମ୍ବର 5, 2026", "5 בדצמ׳ 2026"."""
    return format_date(moment.date(), format="medium", locale=_locale(current_language()))


def day_tag(moment: datetime) -> Markup:
    """The readable day inside a `<time>` element that machines can read."""
    return Markup('<time datetime="{}">{}</time>').format(utc_iso(moment), readable_day(moment))


_LOCALES: dict[str, Locale] = {}


def _locale(language: str) -> Locale:
    # MediaWiki's codes are mostly CLDR's; one Babel does not know falls back to English.
    found = _LOCALES.get(language)
    if found is None:
        try:
            found = Locale.parse(language.replace("-", "_"))
        except (UnknownLocaleError, ValueError):
            found = Locale("en")
        _LOCALES[language] = found
    return found


def init_app(app: Flask) -> None:
    app.add_template_filter(readable_day, "readable_day")
    app.add_template_filter(day_tag, "day_tag")
    app.add_template_filter(utc_iso, "utc_iso")
    app.add_template_filter(utc_minute, "utc_minute")
    app.add_template_filter(utc_day, "utc_day")
