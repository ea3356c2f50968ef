"""A campaign's report, its follow-up list and the organizers' reminders, computed from stored rows only.

Definitions (also shown on the report page):

- **Recognised participant**: a listed (not hidden) participant of the campaign who received an approved
  nomination in it. **Not yet recognised**: every other listed participant.
- **Anchor day**: for the not yet recognised, the day the campaign ended (UTC). For the recognised, the later
  of that day and the day of their first approval in the campaign, so that praise during the event does not
  count the event's own edits as retention.
- **Still editing at N days** (N = 30 or 90): at least one edit on the campaign's wiki on one of the 30 days
  that end N days after the anchor day, that is on day anchor+N−29 … anchor+N. So "30 days" looks at days
  1–30 after the anchor and "90 days" at days 61–90.
- A person counts for N only once their window is over and the stored contributions cover it (the job has
  refreshed past anchor+N); until then they are "not yet measurable" and left out of the share.
- A group with fewer than MIN_GROUP measurable people is **too small to compare**; its counts are shown but no
  comparison is drawn.
- Durations: median (the middle value, or the mean of the two middle ones) and 90th percentile by the
  nearest-rank method (the smallest value that at least 90 % of values do not exceed).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from xml.sax.saxutils import escape

from sqlalchemy import ColumnElement, and_, case, exists, func, select
from sqlalchemy.orm import QueryableAttribute, Session

from kudos.models import (
    Campaign,
    Consent,
    ContribCursor,
    ContribDay,
    Delivery,
    DeliveryStatus,
    Nomination,
    NominationStatus,
    Participant,
    Person,
    RetentionSnapshot,
)
from kudos.suggestions import listing as suggestion_listing

MIN_GROUP = 5
HORIZONS = (30, 90)
WINDOW = 30  # days looked at for "still editing"
RECOGNISED, NOT_RECOGNISED = "recognised", "not yet recognised"
REMINDER_DAYS = (7, 30)
REMINDER_LASTS = timedelta(days=30)  # a reminder stays on the dashboard this long unless it is dealt with


# --- pure arithmetic ------------------------------------------------------------------------------


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile: the smallest value that at least p % of the values do not exceed."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Durations:
    count: int
    median_hours: float | None
    p90_hours: float | None

    @classmethod
    def of(cls, spans: Iterable[timedelta]) -> Durations:
        hours = [span.total_seconds() / 3600 for span in spans if span >= timedelta(0)]
        return cls(len(hours), median(hours), percentile(hours, 90))


@dataclass(frozen=True)
class History:
    """What retention needs to know about one person."""

    username: str
    anchor: date
    active_days: frozenset[date]  # days with at least one edit
    covered_through: date | None  # the last day the stored contributions cover completely


def still_editing(person: History, horizon: int) -> bool | None:
    """True/False once measurable (see the module's definitions); None while not yet measurable."""
    last = person.anchor + timedelta(days=horizon)
    if person.covered_through is None or person.covered_through < last:
        return None
    first = last - timedelta(days=WINDOW - 1)
    return any(first <= day <= last for day in person.active_days)


@dataclass(frozen=True)
class RetentionCell:
    group: str
    horizon: int
    people: int  # everyone in the group
    measurable: int
    active: int

    @property
    def waiting(self) -> int:
        return self.people - self.measurable

    @property
    def share(self) -> float | None:
        return self.active / self.measurable if self.measurable else None

    @property
    def too_small(self) -> bool:
        return self.measurable < MIN_GROUP


def retention_cell(group: str, people: Sequence[History], horizon: int) -> RetentionCell:
    outcomes = [still_editing(person, horizon) for person in people]
    measured = [o for o in outcomes if o is not None]
    return RetentionCell(group, horizon, len(people), len(measured), sum(measured))


def comparison(cells: Sequence[RetentionCell], horizon: int) -> str:
    pair = [c for c in cells if c.horizon == horizon]
    if len(pair) != 2 or any(c.too_small for c in pair):
        return (f"At {horizon} days the groups are too small to compare: each needs at least {MIN_GROUP} "
                f"people whose {horizon}-day window is over.")
    recognised, other = pair
    assert recognised.share is not None and other.share is not None
    difference = round((recognised.share - other.share) * 100)
    if difference == 0:
        return f"At {horizon} days recognised and not yet recognised participants edit at the same rate."
    more = "more" if difference > 0 else "fewer"
    return (f"At {horizon} days {abs(difference)} percentage points {more} of the recognised participants "
            f"were still editing than of those not yet recognised. This shows an association, not a cause.")


def percent(share: float | None) -> str:
    return "–" if share is None else f"{round(share * 100)}%"


# --- the report -----------------------------------------------------------------------------------


@dataclass
class Report:
    campaign: Campaign
    generated_at: datetime
    nominations: dict[str, int]
    to_approval: Durations
    to_delivery: Durations
    deliveries: dict[str, dict[str, int]]  # channel → status → count
    skipped_reasons: dict[str, int]
    recipients: int
    consent: dict[str, int]  # granted / refused / unknown among recipients of approved nominations
    participants: int
    retention: list[RetentionCell] = field(default_factory=list)
    no_end_date: bool = False
    retention_as_of: datetime | None = None  # when the job computed the retention figures; None: just now
    suggestions: suggestion_listing.Figures = suggestion_listing.Figures(0, 0, None)

    @property
    def consent_rate(self) -> float | None:
        return self.consent.get("granted", 0) / self.recipients if self.recipients else None

    def delivery_totals(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for statuses in self.deliveries.values():
            for status, count in statuses.items():
                totals[status] = totals.get(status, 0) + count
        return totals

    def comparisons(self) -> list[str]:
        return [comparison(self.retention, horizon) for horizon in HORIZONS] if self.retention else []


def _day(moment: datetime) -> date:
    return date(moment.year, moment.month, moment.day)


def _covered_through(until: datetime | None) -> date | None:
    """The last whole day inside [since, until]: a refresh at 10:00 covers the day before completely."""
    if until is None:
        return None
    return _day(until + timedelta(seconds=1)) - timedelta(days=1)


def first_approvals(session: Session, campaign: Campaign) -> dict[str, datetime]:
    """Recognised listed participants → their first approval in the campaign."""
    rows = session.execute(
        select(Nomination.recipient, func.min(Nomination.reviewed_at))
        .where(Nomination.campaign_id == campaign.id, Nomination.status == NominationStatus.approved,
               Nomination.recipient.in_(_listed(campaign)))
        .group_by(Nomination.recipient))
    return {name: at for name, at in rows if at is not None}


def _listed(campaign: Campaign) -> Any:
    return (select(Participant.username)
            .where(Participant.campaign_id == campaign.id, Participant.hidden.is_(False)).scalar_subquery())


def _approved(campaign: Campaign) -> Any:
    return (select(Nomination.recipient)
            .where(Nomination.campaign_id == campaign.id, Nomination.status == NominationStatus.approved)
            .scalar_subquery())


def recognised_histories(session: Session, campaign: Campaign, end_day: date) -> list[History]:
    """The recognised participants, each with their own anchor day (usually a small group)."""
    approved = first_approvals(session, campaign)
    if not approved:
        return []
    anchors = {name: max(end_day, _day(at)) for name, at in approved.items()}
    last_needed = max(anchors.values()) + timedelta(days=max(HORIZONS))
    days: dict[str, set[date]] = {}
    for username, day in session.execute(
            select(ContribDay.username, ContribDay.day).where(
                ContribDay.wiki == campaign.wiki, ContribDay.username.in_(list(anchors)), ContribDay.edits > 0,
                ContribDay.day > end_day, ContribDay.day <= last_needed)):
        days.setdefault(username, set()).add(day)
    untils = dict(session.execute(select(ContribCursor.username, ContribCursor.until).where(
        ContribCursor.wiki == campaign.wiki, ContribCursor.username.in_(list(anchors)))).all())
    return [History(name, anchor, frozenset(days.get(name, ())), _covered_through(untils.get(name)))
            for name, anchor in sorted(anchors.items())]


def covered_from(last: date) -> datetime:
    """The earliest refresh point whose stored data covers the whole of day `last` (see _covered_through)."""
    return datetime(last.year, last.month, last.day) + timedelta(days=1, seconds=-1)


def unrecognised_cells(session: Session, campaign: Campaign, end_day: date) -> list[RetentionCell]:
    """`retention_cell` for the not yet recognised, counted by the database: they share one anchor day (the end
    of the campaign), and there can be thousands of them, too many to load for a page view."""
    sums = []
    for horizon in HORIZONS:
        last = end_day + timedelta(days=horizon)
        first = last - timedelta(days=WINDOW - 1)
        measurable = ContribCursor.until >= covered_from(last)
        edited = exists().where(ContribDay.wiki == campaign.wiki, ContribDay.username == Participant.username,
                                ContribDay.day >= first, ContribDay.day <= last, ContribDay.edits > 0)
        sums += [func.sum(case((measurable, 1), else_=0)), func.sum(case((and_(measurable, edited), 1), else_=0))]
    row = session.execute(
        select(func.count(), *sums).select_from(Participant)
        .outerjoin(ContribCursor, and_(ContribCursor.wiki == campaign.wiki,
                                       ContribCursor.username == Participant.username))
        .where(Participant.campaign_id == campaign.id, Participant.hidden.is_(False),
               Participant.username.not_in(_approved(campaign)))).one()
    people = int(row[0])
    return [RetentionCell(NOT_RECOGNISED, horizon, people, int(row[1 + 2 * i] or 0), int(row[2 + 2 * i] or 0))
            for i, horizon in enumerate(HORIZONS)]


def compute_retention(session: Session, campaign: Campaign) -> list[RetentionCell]:
    """Both groups at both horizons, in HORIZONS order, recognised first."""
    if campaign.ends is None:
        return []
    end_day = _day(campaign.ends)
    recognised = recognised_histories(session, campaign, end_day)
    others = {cell.horizon: cell for cell in unrecognised_cells(session, campaign, end_day)}
    cells = []
    for horizon in HORIZONS:
        cells += [retention_cell(RECOGNISED, recognised, horizon), others[horizon]]
    return cells


def build(session: Session, campaign: Campaign, now: datetime) -> Report:
    by_status = dict(session.execute(
        select(Nomination.status, func.count()).where(Nomination.campaign_id == campaign.id)
        .group_by(Nomination.status)).all())
    nominations = {status.value: int(by_status.get(status, 0)) for status in NominationStatus}

    approvals = session.execute(select(Nomination.created_at, Nomination.reviewed_at).where(
        Nomination.campaign_id == campaign.id, Nomination.status == NominationStatus.approved,
        Nomination.reviewed_at.is_not(None)))
    to_approval = Durations.of(reviewed - created for created, reviewed in approvals if reviewed is not None)
    delivered = session.execute(
        select(Nomination.reviewed_at, Delivery.done_at).join(Delivery, Delivery.nomination_id == Nomination.id)
        .where(Nomination.campaign_id == campaign.id, Delivery.channel == "talkpage",
               Delivery.status == DeliveryStatus.done, Delivery.done_at.is_not(None),
               Nomination.reviewed_at.is_not(None)))
    to_delivery = Durations.of(done - reviewed for reviewed, done in delivered
                               if done is not None and reviewed is not None)

    deliveries: dict[str, dict[str, int]] = {}
    for channel, status, count in session.execute(
            select(Delivery.channel, Delivery.status, func.count()).join(Nomination)
            .where(Nomination.campaign_id == campaign.id).group_by(Delivery.channel, Delivery.status)):
        deliveries.setdefault(channel, {})[DeliveryStatus(status).value] = int(count)
    skipped = dict(session.execute(
        select(Delivery.last_error, func.count()).join(Nomination)
        .where(Nomination.campaign_id == campaign.id, Delivery.status == DeliveryStatus.skipped)
        .group_by(Delivery.last_error)).all())
    skipped_reasons = {(reason or "no reason recorded"): int(count) for reason, count in skipped.items()}

    recipients = select(Nomination.recipient).where(
        Nomination.campaign_id == campaign.id, Nomination.status == NominationStatus.approved).distinct()
    names = list(session.scalars(recipients))
    known = dict(session.execute(select(Person.username, Person.consent).where(
        Person.username.in_(recipients.scalar_subquery()))).all())
    consent = {c.value: 0 for c in Consent}
    for name in names:
        consent[Consent(known.get(name, Consent.unknown)).value] += 1

    cells, as_of = retention(session, campaign)
    listed = int(session.scalar(select(func.count()).select_from(Participant).where(
        Participant.campaign_id == campaign.id, Participant.hidden.is_(False))) or 0)
    return Report(
        campaign=campaign, generated_at=now, nominations=nominations, to_approval=to_approval,
        to_delivery=to_delivery, deliveries=deliveries, skipped_reasons=skipped_reasons,
        recipients=len(names), consent=consent,
        participants=listed,
        retention=cells, no_end_date=campaign.ends is None, retention_as_of=as_of,
        suggestions=suggestion_listing.report_figures(session, campaign),
    )


def retention(session: Session, campaign: Campaign) -> tuple[list[RetentionCell], datetime | None]:
    """The job's snapshot when there is one (and when it was computed); otherwise computed now."""
    snapshot = session.get(RetentionSnapshot, campaign.id)
    if snapshot is None:
        return compute_retention(session, campaign), None
    return [RetentionCell(**cell) for cell in snapshot.cells], snapshot.computed_at


def store_snapshots(session: Session, now: datetime) -> int:
    """Recompute the retention snapshot of every campaign with participants and an end date (a job step,
    run after each contribution refresh); returns how many were stored."""
    with_participants = select(Participant.campaign_id).distinct()
    stored = 0
    for campaign in session.scalars(select(Campaign).where(Campaign.id.in_(with_participants),
                                                           Campaign.ends.is_not(None))):
        cells = [dataclasses.asdict(cell) for cell in compute_retention(session, campaign)]
        snapshot = session.get(RetentionSnapshot, campaign.id)
        if snapshot is None:
            session.add(RetentionSnapshot(campaign_id=campaign.id, computed_at=now, cells=cells))
        else:
            snapshot.computed_at, snapshot.cells = now, cells
        stored += 1
    return stored


# --- chart and CSV --------------------------------------------------------------------------------

_COLOURS = {RECOGNISED: "#36c", NOT_RECOGNISED: "#a2a9b1"}


def chart_svg(cells: Sequence[RetentionCell]) -> str:
    """Grouped bars, one pair per horizon; every figure is also text in the SVG, for screen readers too."""
    width, height, top, bottom, left = 520, 260, 30, 200, 60
    scale = bottom - top
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
             f'height="{height}" role="img" aria-labelledby="retention-title">',
             '<title id="retention-title">Share of participants still editing, by recognition</title>',
             f'<line x1="{left}" y1="{bottom}" x2="{width - 10}" y2="{bottom}" stroke="#54595d"/>']
    for tick in (0, 50, 100):
        y = bottom - scale * tick / 100
        parts.append(f'<text x="{left - 8}" y="{y + 4:.0f}" text-anchor="end" font-size="11">{tick}%</text>')
    bar, gap = 70, 20
    for index, horizon in enumerate(HORIZONS):
        x0 = left + 30 + index * (2 * bar + gap + 60)
        for offset, cell in enumerate(c for c in cells if c.horizon == horizon):
            x = x0 + offset * (bar + gap)
            share = cell.share or 0.0
            bar_height = scale * share
            label = f"{percent(cell.share)} ({cell.active}/{cell.measurable})"
            parts.append(f'<rect x="{x}" y="{bottom - bar_height:.1f}" width="{bar}" height="{bar_height:.1f}" '
                         f'fill="{_COLOURS[cell.group]}" data-group="{escape(cell.group)}" '
                         f'data-horizon="{horizon}"/>')
            parts.append(f'<text x="{x + bar / 2}" y="{bottom - bar_height - 6:.1f}" text-anchor="middle" '
                         f'font-size="12" class="value" data-group="{escape(cell.group)}" '
                         f'data-horizon="{horizon}">{escape(label)}</text>')
            parts.append(f'<text x="{x + bar / 2}" y="{bottom + 16}" text-anchor="middle" font-size="11">'
                         f'{escape(cell.group)}</text>')
        parts.append(f'<text x="{x0 + bar + gap / 2}" y="{bottom + 36}" text-anchor="middle" font-size="12" '
                     f'font-weight="bold">after {horizon} days</text>')
    parts.append("</svg>")
    return "".join(parts)


def _hours(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def to_csv(report: Report) -> str:
    """Long format (section, metric, group, value, count, total), so a spreadsheet can pivot it."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["section", "metric", "group", "value", "count", "total"])
    for status, count in report.nominations.items():
        writer.writerow(["nominations", status, "", "", count, ""])
    for name, spans in (("nomination_to_approval_hours", report.to_approval),
                        ("approval_to_delivery_hours", report.to_delivery)):
        writer.writerow(["durations", f"{name}_median", "", _hours(spans.median_hours), spans.count, ""])
        writer.writerow(["durations", f"{name}_p90", "", _hours(spans.p90_hours), spans.count, ""])
    for channel, statuses in sorted(report.deliveries.items()):
        for status, count in sorted(statuses.items()):
            writer.writerow(["deliveries", status, channel, "", count, ""])
    for reason, count in sorted(report.skipped_reasons.items()):
        writer.writerow(["skipped", reason, "", "", count, ""])
    for state, count in report.consent.items():
        writer.writerow(["consent", state, "", "", count, report.recipients])
    rate = report.consent_rate
    writer.writerow(["consent", "rate", "", "" if rate is None else f"{rate:.4f}",
                     report.consent.get("granted", 0), report.recipients])
    figures = report.suggestions
    writer.writerow(["suggestions", "shown", "", "", figures.shown, ""])
    writer.writerow(["suggestions", "thanked_from_a_suggestion", "", "", figures.thanked, figures.shown])
    writer.writerow(["suggestions", "eligible_to_thanked_hours_median", "", _hours(figures.median_hours),
                     figures.thanked, ""])
    for cell in report.retention:
        share = "" if cell.share is None else f"{cell.share:.4f}"
        writer.writerow(["retention", f"still_editing_{cell.horizon}d", cell.group, share, cell.active,
                         cell.measurable])
        writer.writerow(["retention", f"not_yet_measurable_{cell.horizon}d", cell.group, "", cell.waiting,
                         cell.people])
    return out.getvalue()


# --- follow-up and reminders ----------------------------------------------------------------------


@dataclass(frozen=True)
class FollowUp:
    username: str
    edits: int  # since the campaign started, as stored
    pending: bool  # a nomination is already waiting for review


def not_thanked(campaign_id: int | QueryableAttribute[int]) -> tuple[ColumnElement[bool], ...]:
    """Criteria on Participant: listed (not hidden) in the campaign, without an approved nomination there.
    `campaign_id` is a campaign's id, or `Campaign.id` for a query over campaigns (the dashboard's)."""
    approved = select(Nomination.recipient).where(
        Nomination.campaign_id == campaign_id, Nomination.status == NominationStatus.approved).correlate(Campaign)
    return (Participant.campaign_id == campaign_id, Participant.hidden.is_(False),
            Participant.username.not_in(approved))


def follow_up(session: Session, campaign: Campaign, limit: int | None = None) -> list[FollowUp]:
    """Listed participants without an approved nomination in this campaign, most active first."""
    pending = set(session.scalars(select(Nomination.recipient).where(
        Nomination.campaign_id == campaign.id, Nomination.status == NominationStatus.pending)))
    since = _day(campaign.starts or campaign.created_at)
    edits = (select(ContribDay.username, func.sum(ContribDay.edits).label("edits"))
             .where(ContribDay.wiki == campaign.wiki, ContribDay.day >= since)
             .group_by(ContribDay.username).subquery())
    query = (select(Participant.username, func.coalesce(edits.c.edits, 0))
             .outerjoin(edits, edits.c.username == Participant.username)
             .where(*not_thanked(campaign.id))
             .order_by(func.coalesce(edits.c.edits, 0).desc(), Participant.username))
    if limit is not None:
        query = query.limit(limit)
    return [FollowUp(name, int(count), name in pending) for name, count in session.execute(query)]


def unrecognised_count(session: Session, campaign: Campaign) -> int:
    return int(session.scalar(select(func.count()).select_from(Participant).where(*not_thanked(campaign.id))) or 0)


@dataclass(frozen=True)
class Reminder:
    slug: str
    name: str
    days_after: int  # 7 or 30
    unrecognised: int


def reminder_due(campaign: Campaign, now: datetime) -> int | None:
    """7 or 30 when that reminder is showing (for REMINDER_LASTS from its day), else None."""
    return reminder_day(campaign.ends, now)


def reminder_day(ends: datetime | None, now: datetime) -> int | None:
    if ends is None:
        return None
    for days in sorted(REMINDER_DAYS, reverse=True):
        due = ends + timedelta(days=days)
        if due <= now < due + REMINDER_LASTS:
            return days
    return None
