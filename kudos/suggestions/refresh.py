"""The delivery job's step: who meets each open campaign's bar now, stored for the suggestions page.

For each wiki with open campaigns: the participants of those campaigns and (where a campaign wants them)
the newest sign-ups are asked about together, 50 people a request (`kudos.suggestions.wiki`), over the
longest window any of the campaigns needs; each campaign then judges the answers by its own bar. People
who opted out of Kudos, or already have a pending or approved nomination in the campaign, are not asked
about at all. A wiki that fails keeps what was stored before; the others go on.

What is stored is what the page shows (`models.Suggestion`): the figures of the window, at most
NOTABLE edits, the account's age and edit count. When someone stops being a suggestion their figures
are blanked, and their row is deleted unless it still records a decision (snooze, "not for this
campaign"), that they were shown, or that they were thanked from a suggestion (the report counts those).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import requests
from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from kudos.clock import utcnow
from kudos.config import Config
from kudos.contribs import ApiError
from kudos.db import Database
from kudos.models import Campaign, Nomination, NominationStatus, Participant, Person, Suggestion
from kudos.names import canonical_username
from kudos.suggestions.bar import Bar, Options, options
from kudos.suggestions.wiki import Account, Edit, SuggestClient, iso

log = logging.getLogger(__name__)

NOTABLE = 3
PARTICIPANT, NEWCOMER = "participant", "newcomer"


@dataclass
class Summary:
    campaigns: int = 0
    people: int = 0  # asked about
    suggested: int = 0  # rows that are suggestions after this refresh
    requests: int = 0
    continuations: int = 0
    impact_requests: int = 0
    failed: list[str] = field(default_factory=list)  # wikis that could not be read

    def __str__(self) -> str:
        text = (f"{self.campaigns} campaigns, {self.people} people asked about, {self.suggested} suggested, "
                f"{self.requests} API requests ({self.continuations} continuations)")
        if self.impact_requests:
            text += f", {self.impact_requests} user-impact requests"
        if self.failed:
            text += f"; could not read {', '.join(self.failed)}"
        return text


@dataclass(frozen=True)
class Figures:
    """One person's window, as a campaign's bar sees it."""

    days: int
    edits: int
    pages: int
    bytes_added: int
    reverted: int
    notable: list[dict[str, Any]]


def figures(edits: list[Edit], since: datetime, days: int) -> Figures:
    """Reverted edits are not counted; the notable ones are marked instead. Notable: article edits first,
    then the biggest change, then the newest; at least one of them not reverted, when there is one."""
    window = [edit for edit in edits if edit.timestamp >= since]
    counted = [edit for edit in window if not edit.reverted]
    ranked = sorted((edit for edit in window if edit.viewable),
                    key=lambda e: (e.ns == 0, abs(e.sizediff), e.timestamp, e.revid), reverse=True)
    notable = ranked[:NOTABLE]
    if notable and all(edit.reverted for edit in notable):
        good = next((edit for edit in ranked if not edit.reverted), None)
        if good is not None:
            notable[-1] = good
    return Figures(
        days=days, edits=len(counted), pages=len({edit.title for edit in counted}),
        bytes_added=sum(max(edit.sizediff, 0) for edit in counted), reverted=len(window) - len(counted),
        notable=[{"revid": e.revid, "title": e.title, "sizediff": e.sizediff, "comment": e.comment,
                  "timestamp": iso(e.timestamp), "reverted": e.reverted, "new": e.new} for e in notable])


Assessed = dict[int, tuple[Account, str, Figures | None]]  # user id → account, source, figures if they meet the bar
Impact = dict[int, tuple[int | None, int | None]]  # user id → thanks received, longest streak


def meets(account: Account, found: Figures, bar: Bar) -> bool:
    return (account.suggestible and not account.blocked and account.editcount < bar.max_edits
            and found.edits >= bar.min_edits)


@dataclass
class CampaignPlan:
    id: int
    bar: Bar
    participants: set[str]
    excluded: set[str]  # a pending or approved nomination in the campaign already


def _open_campaigns(session: Session, now: datetime, wikis: set[str]) -> list[Campaign]:
    return [c for c in session.scalars(
        select(Campaign).where(or_(Campaign.starts.is_(None), Campaign.starts <= now),
                               or_(Campaign.ends.is_(None), Campaign.ends >= now)).order_by(Campaign.id))
            if c.wiki in wikis]


def _plans(session: Session, now: datetime, wikis: set[str]) -> dict[str, list[CampaignPlan]]:
    plans: dict[str, list[CampaignPlan]] = {}
    for campaign in _open_campaigns(session, now, wikis):
        listed = set(session.scalars(select(Participant.username).where(
            Participant.campaign_id == campaign.id, Participant.hidden.is_(False))))
        thanked = set(session.scalars(select(Nomination.recipient).where(
            Nomination.campaign_id == campaign.id,
            Nomination.status.in_([NominationStatus.pending, NominationStatus.approved]))))
        plans.setdefault(campaign.wiki, []).append(CampaignPlan(campaign.id, Bar.of(campaign), listed, thanked))
    return plans


def _opted_out(session: Session, names: set[str]) -> set[str]:
    found: set[str] = set()
    ordered = sorted(names)
    for start in range(0, len(ordered), 500):
        found |= set(session.scalars(select(Person.username).where(
            Person.username.in_(ordered[start:start + 500]), Person.opted_out.is_(True))))
    return found


def refresh(db: Database, config: Config, now: datetime | None = None,
            http: requests.Session | None = None) -> Summary:
    now = (now or utcnow()).replace(microsecond=0)
    settings = options(config)
    with db.session() as session:
        plans = _plans(session, now, set(config.wikis))
    client = SuggestClient(config, http)
    summary = Summary(campaigns=sum(map(len, plans.values())))
    for wiki, campaigns in plans.items():
        try:
            summary.suggested += _refresh_wiki(db, client, settings, wiki, campaigns, now, summary)
        except (ApiError, requests.RequestException, ValueError) as error:
            summary.failed.append(wiki)
            log.warning("suggestions for %s not refreshed: %s", wiki, error)
    summary.requests = client.requests
    summary.continuations = client.continuations
    summary.impact_requests = client.impact_requests
    return summary


def _refresh_wiki(db: Database, client: SuggestClient, settings: Options, wiki: str, campaigns: list[CampaignPlan],
                  now: datetime, summary: Summary) -> int:
    reach = max(c.bar.newcomer_days for c in campaigns)
    newcomers = client.newcomers(wiki, now - timedelta(days=reach), now, settings.newcomers_per_wiki) if reach else {}
    wanted: dict[int, dict[str, str]] = {}  # campaign id → name → source
    for plan in campaigns:
        since = now - timedelta(days=plan.bar.newcomer_days)
        people = {name: NEWCOMER for name, at in newcomers.items() if plan.bar.newcomer_days and at >= since}
        people.update(dict.fromkeys(plan.participants, PARTICIPANT))
        wanted[plan.id] = {name: source for name, source in people.items() if name not in plan.excluded}
    everyone = set().union(*wanted.values())
    with db.session() as session:
        opted_out = _opted_out(session, everyone)
    asked = sorted(everyone - opted_out)
    summary.people += len(asked)
    longest = max(c.bar.days for c in campaigns)
    accounts = client.activity(wiki, asked, now - timedelta(days=longest), now)
    assessed: dict[int, Assessed] = {}
    for plan in campaigns:
        found: Assessed = {}
        for name, source in wanted[plan.id].items():
            account = accounts.get(name)
            if account is None or not account.suggestible or account.user_id is None:
                continue
            window = figures(account.edits, now - timedelta(days=plan.bar.days), plan.bar.days)
            found[account.user_id] = (account, source, window if meets(account, window, plan.bar) else None)
        assessed[plan.id] = found
    impact = _impact(client, settings, wiki, assessed)
    stored = 0
    with db.transaction() as session:
        for plan in campaigns:
            stored += store(session, plan.id, assessed[plan.id], impact, now)
    return stored


def _impact(client: SuggestClient, settings: Options, wiki: str, assessed: dict[int, Assessed]) -> Impact:
    if wiki not in settings.user_impact_wikis:
        return {}
    eligible = sorted({user_id for found in assessed.values() for user_id, (_a, _s, fig) in found.items() if fig})
    return {user_id: client.impact(wiki, user_id) for user_id in eligible}


def store(session: Session, campaign_id: int, found: Assessed,
          impact: Impact, now: datetime) -> int:
    """Write one campaign's suggestions; returns how many are suggestions now."""
    rows = {row.user_id: row for row in session.scalars(
        select(Suggestion).where(Suggestion.campaign_id == campaign_id))}
    suggested = 0
    for user_id, (account, source, window) in found.items():
        row = rows.pop(user_id, None)
        if window is None or (row is not None and row.dismissed_at is not None):
            if row is not None:
                row.username = account.name  # a rename is followed, so erasure finds the row by the new name
                _retire(session, row, now)
            continue
        if row is None:
            row = Suggestion(campaign_id=campaign_id, user_id=user_id, username=account.name, source=source)
            session.add(row)
        row.username, row.source = canonical_username(account.name), source
        row.registered, row.editcount = account.registered, account.editcount
        row.days, row.edits, row.pages = window.days, window.edits, window.pages
        row.bytes_added, row.reverted, row.notable = window.bytes_added, window.reverted, window.notable
        row.thanks_received, row.streak_days = impact.get(user_id, (None, None))
        row.refreshed_at = now
        if row.eligible_since is None:
            row.eligible_since = now
        suggested += 1
    for row in rows.values():
        _retire(session, row, now)
    return suggested


def _retire(session: Session, row: Suggestion, now: datetime) -> None:
    """No longer a suggestion: blank what the page showed; keep the row only for what still needs it."""
    needed = (row.shown_at or row.thanked_at or row.dismissed_at
              or (row.snoozed_until is not None and row.snoozed_until > now))
    if not needed:
        # Only if still so as it is deleted: an organizer's decision committed meanwhile keeps the row.
        session.execute(delete(Suggestion).where(
            Suggestion.campaign_id == row.campaign_id, Suggestion.user_id == row.user_id,
            Suggestion.shown_at.is_(None), Suggestion.thanked_at.is_(None), Suggestion.dismissed_at.is_(None),
            or_(Suggestion.snoozed_until.is_(None), Suggestion.snoozed_until <= now))
            .execution_options(synchronize_session=False))
        session.expunge(row)
        return
    row.registered = row.editcount = row.days = row.edits = row.pages = row.bytes_added = row.reverted = None
    row.thanks_received = row.streak_days = None
    row.notable = []
    row.refreshed_at = now
    if row.thanked_at is None:  # the report measures from eligible to thanked
        row.eligible_since = None


class Schedule:
    """The job's timer: refresh every `suggestions.interval` seconds, never letting a failure stop deliveries."""

    def __init__(self, config: Config, db: Database, log_event: Callable[..., None]) -> None:
        self.config, self.db, self.log_event = config, db, log_event
        self.interval = options(config).interval
        self.next = 0.0

    def refresh_if_due(self) -> Summary | None:
        if not self.interval or time.monotonic() < self.next:
            return None
        self.next = time.monotonic() + self.interval
        try:
            summary = refresh(self.db, self.config)
        except Exception as error:  # noqa: BLE001 - suggestions must never stop deliveries
            self.log_event(event="suggestions", outcome="failed", reason=str(error)[:200])
            return None
        self.log_event(event="suggestions", outcome="failed" if summary.failed else "done",
                       campaigns=summary.campaigns, people=summary.people, suggested=summary.suggested,
                       requests=summary.requests, failed=",".join(summary.failed) or None)
        return summary
