"""The organizer's home: for each campaign a person organizes, the figures that say what needs doing now.

The page costs the same number of round trips for one campaign as for thirty. One query finds the campaigns
with the version of each one's figures (kudos.figures_version); the figures of campaigns whose rows have not
changed since they were last counted are kept in the web process (`Kept`), and those of the others are
counted in two statements, for all of them at once: each figure a scalar subquery bound to the campaign's
row, and then the barnstars of the last seven days, grouped by campaign. So an organizer of thirty campaigns,
most of them quiet, pays for counting the few where something happened. Each figure is answered from an
index that starts with the campaign's id: the review queue's (campaign, status, created) for the waiting
nominations, the wall's (campaign, channel, status, id) for the deliveries. The week's barnstars also need
the date each was posted: its own index (campaign, channel, status, done_at) makes them a range per
campaign, the grouped query being written so that MariaDB reads it that way; without it every barnstar a
campaign ever posted would be read.

The figures that grow with a campaign's history (the queue, the barnstars not posted, the failed deliveries)
are counted up to CAP and then said as "more than CAP": a campaign with ten thousand waiting nominations costs
the page what one with a hundred does, and nobody acts differently on the exact number.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, case, func, literal, select
from sqlalchemy.orm import QueryableAttribute, Session

from kudos import figures_version, report
from kudos.lru import SharedLRU
from kudos.models import (
    Campaign,
    CampaignKind,
    CampaignMember,
    Delivery,
    DeliveryStatus,
    FiguresVersion,
    MemberRole,
    Nomination,
    NominationStatus,
    Participant,
)
from kudos.outbox import TALKPAGE

WEEK = timedelta(days=7)
# Figures are kept this long at most, even when nothing the tool wrote has changed: a correction made in the
# database by hand (a maintainer's SQL on ToolsDB) moves no version, and shows within this.
KEPT_AT_MOST = timedelta(minutes=5)
CAP = 100  # a figure above it is counted no further (the page says "more than 100")


@dataclass(frozen=True, slots=True)
class CampaignStatus:
    id: int
    slug: str
    name: str
    wiki: str
    language: str | None  # of the campaign's name
    kind: CampaignKind
    starts: datetime | None
    ends: datetime | None
    closed_at: datetime | None
    waiting: int  # nominations waiting for review (CAP + 1: more than CAP, as for skipped and failed)
    oldest_waiting: datetime | None  # when the longest-waiting of them was made
    skipped: int  # barnstars not posted, for a reason the deliveries page gives
    failed: int  # deliveries on any channel that gave up; an organizer can retry them
    # Social posts held until their recipients answer whether they may be named on social networks. Posts, not
    # people: counted from the index alone, where telling the people apart reads every post's nomination.
    awaiting_consent: int
    delivered_week: int  # barnstars posted on talk pages in the last seven days
    cap: int  # waiting, skipped and failed were counted this far: cap + 1 says "more than cap"
    # Listed participants without an approved nomination, counted only while a follow-up reminder may be due
    # (the campaign ended between 7 and 60 days ago), else 0.
    unrecognised: int

    def is_open(self, at: datetime) -> bool:
        return (self.closed_at is None and (self.starts is None or self.starts <= at)
                and (self.ends is None or at <= self.ends))


def _count(table: Any, criteria: Sequence[ColumnElement[bool]], order: QueryableAttribute[Any],
           cap: int | None) -> ColumnElement[int]:
    """How many rows of `table` meet `criteria`, up to cap + 1 when a cap is given. The (cap + 1)-th row in
    the index's `order` is looked for first, a walk of cap + 1 entries; only when there is none are the rows
    counted, so no figure reads more than about twice the cap. (CASE evaluates the branch it takes only, on
    both databases; a LIMIT inside a counted derived table would be simpler, but MariaDB cannot correlate a
    derived table.)"""
    exact = select(func.count()).select_from(table).where(*criteria).scalar_subquery()
    if cap is None:
        return exact
    beyond = select(order).where(*criteria).order_by(order).offset(cap).limit(1).scalar_subquery()
    return case((beyond.is_(None), exact), else_=literal(cap + 1))


def _count_deliveries(channels: Sequence[str], status: DeliveryStatus, cap: int | None) -> ColumnElement[int]:
    """Deliveries of the row's campaign in `status` on these channels: one equality subquery per channel,
    summed, each counted up to `cap + 1` when a cap is given (any channel over the cap puts the sum over it).
    (MariaDB reads a correlated `channel IN (…)` by the campaign's id alone, every row of it.)"""
    counts = [_count(Delivery, (Delivery.campaign_id == Campaign.id, Delivery.channel == channel,
                                Delivery.status == status), Delivery.id, cap)
              for channel in channels]
    return functools.reduce(operator.add, counts) if counts else literal(0)


@functools.lru_cache(maxsize=8)
def _statement(social: tuple[str, ...], cap: int) -> Select[*tuple[Any, ...]]:
    """The figures of the campaigns named by id. Built once per set of channels (the configuration's): only the
    parameters change between pages."""
    pending = (Nomination.campaign_id == Campaign.id, Nomination.status == NominationStatus.pending)
    waiting = _count(Nomination, pending, Nomination.created_at, cap)
    # The first row in the index's order, rather than min(): a correlated min() is a scan on MariaDB.
    oldest = select(Nomination.created_at).where(*pending).order_by(Nomination.created_at).limit(1).scalar_subquery()
    # Listed participants not yet thanked, for the follow-up reminders: asked only of the campaigns named in
    # `reminding`, those for which a reminder shows now (report.reminder_day).
    unrecognised = select(func.count()).select_from(Participant).where(*report.not_thanked(Campaign.id))
    reminding = Campaign.id.in_(bindparam("reminding", expanding=True))
    # Posts awaiting consent are not capped: they are the last 30 days' only (older ones expire).
    return select(Campaign.id, waiting, oldest,
                  _count_deliveries([TALKPAGE], DeliveryStatus.skipped, cap),
                  _count_deliveries([TALKPAGE, *social], DeliveryStatus.failed, cap),
                  _count_deliveries(social, DeliveryStatus.awaiting_consent, None),
                  case((reminding, unrecognised.scalar_subquery()), else_=literal(0))
                  ).where(Campaign.id.in_(bindparam("ids", expanding=True)))


# The campaigns a person organizes, newest first, each with the version of its figures.
_GENERATION = (select(FiguresVersion.version).where(FiguresVersion.campaign_id == figures_version.GENERATION)
               .scalar_subquery())
_MINE = (select(Campaign.id, Campaign.slug, Campaign.name, Campaign.wiki, Campaign.language, Campaign.kind,
                Campaign.starts, Campaign.ends, Campaign.closed_at, Campaign.created_at,
                func.coalesce(FiguresVersion.version, 0).label("version"),
                func.coalesce(_GENERATION, 0).label("generation"))
         .outerjoin(FiguresVersion, FiguresVersion.campaign_id == Campaign.id)
         .where(Campaign.id.in_(select(CampaignMember.campaign_id).where(
             CampaignMember.username == bindparam("username"), CampaignMember.role == MemberRole.organizer)))
         .order_by(Campaign.created_at.desc(), Campaign.id.desc()))

# Barnstars posted since a moment, for campaigns named by id: a range of the index per campaign. (Correlated
# to the campaign's row, MariaDB would read every posted barnstar of the campaign and filter by date.) The
# earliest of them says until when the count holds: the moment it leaves the week.
_DELIVERED_SINCE = (select(Delivery.campaign_id, func.count(), func.min(Delivery.done_at))
                    .where(Delivery.campaign_id.in_(bindparam("ids", expanding=True)), Delivery.channel == TALKPAGE,
                           Delivery.status == DeliveryStatus.done, Delivery.done_at >= bindparam("since"))
                    .group_by(Delivery.campaign_id))


@dataclass(frozen=True, slots=True)
class _Figures:
    """A campaign's figures as counted at one version of its rows, to be counted again from `until` on."""

    waiting: int
    oldest_waiting: datetime | None
    skipped: int
    failed: int
    awaiting_consent: int
    unrecognised: int
    delivered_week: int
    until: datetime  # KEPT_AT_MOST after counting, or when the earliest of the week's barnstars leaves the week


class Kept:
    """Campaigns' figures kept between pages (one per web process), each under the version of the rows it
    was counted from (kudos.figures_version): a campaign's figures are counted again only when its version,
    the generation, the configured channels, the cap or whether a follow-up reminder is due has changed, or
    when a barnstar has left the week since, and at the latest after KEPT_AT_MOST."""

    SIZE = 4096  # a few hundred bytes each: a megabyte or two per process

    def __init__(self) -> None:
        self._figures: SharedLRU[Hashable, _Figures] = SharedLRU(self.SIZE)

    def get(self, key: Hashable, now: datetime) -> _Figures | None:
        figures = self._figures.get(key)
        return figures if figures is not None and now < figures.until else None

    def put(self, key: Hashable, figures: _Figures) -> None:
        self._figures.put(key, figures)


def organized(session: Session, username: str, social_channels: Iterable[str], now: datetime,
              cap: int | None = None, kept: Kept | None = None) -> list[CampaignStatus]:
    """The campaigns `username` organizes, newest first, each with its figures; `reminders` picks the
    follow-up reminders out of them. One query finds the campaigns and their figures' versions; the figures of
    those not in `kept` at that version are counted in two more, however many campaigns: most figures in one,
    the week's barnstars in the other.

    `social_channels` are the configured social channels: naming them lets every delivery figure be read
    from the index, where "any channel but the talk page" would read all of a campaign's rows.
    """
    cap = CAP if cap is None else cap
    kept = kept or Kept()  # without one, every campaign is counted
    social = tuple(sorted(set(social_channels)))
    campaigns = session.execute(_MINE, {"username": username}).all()
    reminding = {row.id for row in campaigns if report.reminder_day(row.ends, now) is not None}
    keys = {row.id: (row.id, row.created_at, row.version, row.generation, social, cap, row.id in reminding)
            for row in campaigns}
    figures = {campaign_id: found for campaign_id, key in keys.items() if (found := kept.get(key, now)) is not None}
    missing = [campaign_id for campaign_id in keys if campaign_id not in figures]
    if missing:
        delivered = {campaign_id: (count, earliest_done) for campaign_id, count, earliest_done in session.execute(
            _DELIVERED_SINCE, {"ids": missing, "since": now - WEEK})}
        for campaign_id, waiting, oldest, skipped, failed, awaiting, unrecognised in session.execute(
                _statement(social, cap), {"ids": missing, "reminding": sorted(reminding & set(missing))}):
            week, earliest_done = delivered.get(campaign_id, (0, None))
            until = min(now + KEPT_AT_MOST, earliest_done + WEEK) if earliest_done else now + KEPT_AT_MOST
            figures[campaign_id] = counted = _Figures(waiting, oldest, skipped, failed, awaiting, unrecognised,
                                                      week, until)
            kept.put(keys[campaign_id], counted)
    statuses = []
    for campaign_id, slug, name, wiki, language, kind, starts, ends, closed_at, *_versions in campaigns:
        f = figures[campaign_id]
        statuses.append(CampaignStatus(campaign_id, slug, name, wiki, language, kind, starts, ends, closed_at,
                                       f.waiting, f.oldest_waiting, f.skipped, f.failed, f.awaiting_consent,
                                       f.delivered_week, cap, f.unrecognised))
    return statuses


def reminders(statuses: Iterable[CampaignStatus], now: datetime) -> list[report.Reminder]:
    """The follow-up reminders showing now (7 and 30 days after a campaign ends, for REMINDER_LASTS each),
    of campaigns with participants still not thanked, the earliest ended first."""
    due = []
    for status in sorted((s for s in statuses if s.ends is not None), key=lambda s: (s.ends, s.id)):
        days = report.reminder_day(status.ends, now)
        if days is not None and status.unrecognised:
            due.append(report.Reminder(status.slug, status.name, days, status.unrecognised))
    return due
