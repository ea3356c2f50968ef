"""What the suggestions page and the campaign report read: stored rows only, never a wiki.

A suggestion is shown while its person still meets the campaign's bar as stored (a stricter bar applies
at once, a looser one at the next refresh), is not snoozed or set aside for the campaign, has no pending
or approved nomination in it, and has not opted out of Kudos.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from kudos.models import Campaign, Nomination, NominationStatus, Person, Suggestion
from kudos.names import canonical_username

PER_PAGE = 25  # as the review queue: each person comes with their edits, a line to write and three buttons


@dataclass(frozen=True)
class Notable:
    revid: int
    title: str
    sizediff: int
    comment: str
    timestamp: str
    reverted: bool
    new: bool

    @classmethod
    def of(cls, data: dict[str, Any]) -> Notable:
        return cls(int(data["revid"]), str(data["title"]), int(data.get("sizediff") or 0),
                   str(data.get("comment") or ""), str(data.get("timestamp") or ""), bool(data.get("reverted")),
                   bool(data.get("new")))


@dataclass(frozen=True)
class Shown:
    user_id: int
    username: str
    source: str
    registered: datetime | None
    editcount: int
    days: int
    edits: int
    pages: int
    bytes_added: int
    reverted: int
    notable: tuple[Notable, ...]
    thanks_received: int | None
    streak_days: int | None
    eligible_since: datetime | None
    snoozed_until: datetime | None

    @property
    def evidence(self) -> Notable | None:
        """The edit a thank-you cites by default: the most notable one that was not reverted."""
        return next((edit for edit in self.notable if not edit.reverted), None)

    def age_days(self, now: datetime) -> int | None:
        return max((now - self.registered).days, 0) if self.registered else None


def _shown(row: Suggestion) -> Shown:
    return Shown(row.user_id, row.username, row.source, row.registered, row.editcount or 0, row.days or 0,
                 row.edits or 0, row.pages or 0, row.bytes_added or 0, row.reverted or 0,
                 tuple(Notable.of(item) for item in row.notable or ()), row.thanks_received, row.streak_days,
                 row.eligible_since, row.snoozed_until)


def _thanked(campaign: Campaign) -> Any:
    return (select(Nomination.recipient).where(
        Nomination.campaign_id == campaign.id,
        Nomination.status.in_([NominationStatus.pending, NominationStatus.approved])).scalar_subquery())


def _visible(campaign: Campaign, now: datetime) -> list[Any]:
    return [
        Suggestion.campaign_id == campaign.id, Suggestion.eligible_since.is_not(None),
        Suggestion.dismissed_at.is_(None), or_(Suggestion.snoozed_until.is_(None), Suggestion.snoozed_until <= now),
        Suggestion.edits >= campaign.suggest_min_edits, Suggestion.editcount < campaign.suggest_max_edits,
        Suggestion.username.not_in(_thanked(campaign)),
        Suggestion.username.not_in(select(Person.username).where(Person.opted_out.is_(True)).scalar_subquery()),
    ]


@dataclass(frozen=True)
class Page:
    items: list[Shown]
    total: int
    number: int
    pages: int
    refreshed_at: datetime | None


def page(session: Session, campaign: Campaign, now: datetime, number: int = 1, per_page: int = PER_PAGE) -> Page:
    """One page of suggestions, most active first."""
    where = _visible(campaign, now)
    total = int(session.scalar(select(func.count()).select_from(Suggestion).where(*where)) or 0)
    pages = max(1, -(-total // per_page))
    number = min(max(number, 1), pages)
    rows = session.scalars(select(Suggestion).where(*where)
                           .order_by(Suggestion.edits.desc(), Suggestion.username, Suggestion.user_id)
                           .offset((number - 1) * per_page).limit(per_page))
    refreshed = session.scalar(select(func.max(Suggestion.refreshed_at)).where(Suggestion.campaign_id == campaign.id))
    return Page([_shown(row) for row in rows], total, number, pages, refreshed)


def mark_shown(session: Session, campaign: Campaign, user_ids: list[int], now: datetime) -> None:
    """The report counts each person shown once."""
    if user_ids:
        session.execute(update(Suggestion).where(
            Suggestion.campaign_id == campaign.id, Suggestion.user_id.in_(user_ids), Suggestion.shown_at.is_(None))
            .values(shown_at=now).execution_options(synchronize_session=False))


@dataclass(frozen=True)
class SetAside:
    user_id: int
    username: str
    by: str | None
    at: datetime | None


def set_aside(session: Session, campaign: Campaign) -> list[SetAside]:
    """The people marked "not for this campaign", newest first, so the decision can be undone."""
    rows = session.execute(select(Suggestion.user_id, Suggestion.username, Suggestion.dismissed_by,
                                  Suggestion.dismissed_at)
                           .where(Suggestion.campaign_id == campaign.id, Suggestion.dismissed_at.is_not(None))
                           .order_by(Suggestion.dismissed_at.desc(), Suggestion.username))
    return [SetAside(*row) for row in rows]


def snoozed(session: Session, campaign: Campaign, now: datetime) -> list[SetAside]:
    rows = session.execute(select(Suggestion.user_id, Suggestion.username, Suggestion.snoozed_by,
                                  Suggestion.snoozed_until)
                           .where(Suggestion.campaign_id == campaign.id, Suggestion.dismissed_at.is_(None),
                                  Suggestion.snoozed_until > now)
                           .order_by(Suggestion.snoozed_until, Suggestion.username))
    return [SetAside(*row) for row in rows]


def find(session: Session, campaign: Campaign, username: str) -> Shown | None:
    """A current suggestion of the campaign by the person's name (for the pre-filled nomination form)."""
    row = session.scalar(select(Suggestion).where(
        Suggestion.campaign_id == campaign.id, Suggestion.username == canonical_username(username),
        Suggestion.eligible_since.is_not(None), Suggestion.edits.is_not(None)).limit(1))
    return _shown(row) if row is not None else None


@dataclass(frozen=True)
class Figures:
    """The report's line: did suggestions help?"""

    shown: int
    thanked: int
    median_hours: float | None  # from becoming eligible to being thanked


def report_figures(session: Session, campaign: Campaign) -> Figures:
    shown = int(session.scalar(select(func.count()).select_from(Suggestion).where(
        Suggestion.campaign_id == campaign.id, Suggestion.shown_at.is_not(None))) or 0)
    spans = session.execute(select(Suggestion.eligible_since, Suggestion.thanked_at).where(
        Suggestion.campaign_id == campaign.id, Suggestion.thanked_at.is_not(None)))
    hours = [(thanked - since).total_seconds() / 3600 for since, thanked in spans
             if since is not None and thanked is not None and thanked >= since]
    thanked = int(session.scalar(select(func.count()).select_from(Suggestion).where(
        and_(Suggestion.campaign_id == campaign.id, Suggestion.thanked_at.is_not(None)))) or 0)
    return Figures(shown, thanked, statistics.median(hours) if hours else None)
