"""The organizer's home page, card by card (kept while nothing a card shows changes: kudos.web.fragments),
from figures kept while nothing they are counted from changes (kudos.dashboard.Kept, one per app)."""

from __future__ import annotations

from datetime import datetime

from flask import Flask, current_app
from markupsafe import Markup

from kudos.dashboard import CampaignStatus, Kept
from kudos.web.fragments import render_each

KEPT = "kudos.dashboard"


def waited(status: CampaignStatus, now: datetime) -> tuple[int, int]:
    """(days, hours) the oldest waiting nomination has waited: hours only under a day, both 0 under an hour."""
    if status.oldest_waiting is None:
        return 0, 0
    age = now - status.oldest_waiting
    return (age.days, 0) if age.days >= 1 else (0, age.seconds // 3600)


def cards_html(statuses: list[CampaignStatus], now: datetime) -> Markup:
    # A card shows its figures (a frozen row: any change is a new key), how long the oldest nomination has
    # waited as the card words it, and whether the campaign is open now.
    return render_each("_dashboard_card.html", "card",
                       ((status, waited(status, now), status.is_open(now)) for status in statuses))


def kept() -> Kept:
    kept_figures: Kept = current_app.extensions[KEPT]
    return kept_figures


def init_app(app: Flask) -> None:
    app.extensions[KEPT] = Kept()
