"""Contribution counts per user and day, fetched by the delivery job so that report pages never call a wiki.

Whose edits: the participants of every campaign (hidden ones excluded) and the recipients of approved
nominations, from the campaign's start (or, without one, from when they were added or recognised).
Campaigns that ended more than STOP_AFTER ago are no longer followed: retention is measured at most
90 days after the end.

How: `list=usercontribs` takes up to 50 user names per request (`ucuser=A|B|…`), so users that need
the same time window are asked together, 50 at a time, with `uclimit=max` and continuation followed.
Each user has a cursor [since, until] of what is stored; the next refresh asks only for
(until, now], and for [new since, since) when a new campaign needs an earlier start.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import requests
from sqlalchemy import and_, or_, select, tuple_
from sqlalchemy.orm import Session

from kudos import report
from kudos.config import Config
from kudos.db import Database
from kudos.models import (
    Campaign,
    ContribCursor,
    ContribDay,
    Nomination,
    NominationStatus,
    Participant,
)

log = logging.getLogger(__name__)

BATCH = 50  # the API's limit for a multi-valued parameter without apihighlimits
UCLIMIT = "max"  # 500 contributions per request (5,000 for bots); tests lower it to exercise continuation
STOP_AFTER = timedelta(days=180)
ONE_SECOND = timedelta(seconds=1)
MAX_LAG_RETRIES = 3


@dataclass
class Summary:
    users: int = 0
    requests: int = 0
    edits: int = 0
    batches: int = 0
    invalid: int = 0  # user names the wiki refused; skipped until the next window
    snapshots: int = 0  # campaigns whose retention figures were recomputed

    def __str__(self) -> str:
        return (f"{self.users} users, {self.batches} batches, {self.requests} API requests, "
                f"{self.edits} edits stored" + (f", {self.invalid} invalid names skipped" if self.invalid else ""))


@dataclass(frozen=True)
class Window:
    wiki: str
    start: datetime  # inclusive
    end: datetime  # inclusive


def _day_start(moment: datetime) -> datetime:
    return datetime(moment.year, moment.month, moment.day)


def wanted(session: Session, now: datetime) -> dict[tuple[str, str], datetime]:
    """(wiki, user name) → the earliest moment whose edits the reports need."""
    horizon = now - STOP_AFTER
    followed = or_(Campaign.ends.is_(None), Campaign.ends >= horizon)
    needs: dict[tuple[str, str], datetime] = {}

    def need(wiki: str, username: str, since: datetime) -> None:
        since = _day_start(since)
        if since <= now and since < needs.get((wiki, username), datetime.max):
            needs[(wiki, username)] = since

    rows = session.execute(
        select(Campaign.wiki, Participant.username, Campaign.starts, Participant.added_at)
        .join(Participant, Participant.campaign_id == Campaign.id)
        .where(Participant.hidden.is_(False), followed))
    for wiki, username, starts, added_at in rows:
        need(wiki, username, starts or added_at)
    rows = session.execute(
        select(Nomination.wiki, Nomination.recipient, Campaign.starts, Nomination.reviewed_at,
               Nomination.created_at)
        .join(Campaign, Campaign.id == Nomination.campaign_id)
        .where(Nomination.status == NominationStatus.approved, followed))
    for row in rows:
        need(row.wiki, row.recipient, row.starts or row.reviewed_at or row.created_at)
    return needs


def plan(needs: dict[tuple[str, str], datetime], cursors: dict[tuple[str, str], ContribCursor],
         now: datetime) -> dict[Window, list[str]]:
    """Group users by the window still to fetch, so that users sharing a window share requests."""
    windows: dict[Window, list[str]] = defaultdict(list)
    for (wiki, username), since in sorted(needs.items()):
        cursor = cursors.get((wiki, username))
        if cursor is None:
            windows[Window(wiki, since, now)].append(username)
            continue
        if since < cursor.since:
            windows[Window(wiki, since, cursor.since - ONE_SECOND)].append(username)
        if cursor.until < now:
            windows[Window(wiki, cursor.until + ONE_SECOND, now)].append(username)
    return windows


def _batches(names: list[str]) -> Iterator[list[str]]:
    for index in range(0, len(names), BATCH):
        yield names[index:index + BATCH]


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class ApiError(Exception):
    def __init__(self, code: str, info: str) -> None:
        super().__init__(f"{code}: {info}")
        self.code = code


class ContribsClient:
    """Reads `list=usercontribs`; counts its own requests so the job and the benchmark can report them."""

    def __init__(self, config: Config, http: requests.Session | None = None, timeout: float = 60) -> None:
        self.config = config
        self.http = http or requests.Session()
        self.http.headers["User-Agent"] = config.user_agent
        self.timeout = timeout
        self.requests = 0

    def _get(self, api_url: str, params: dict[str, str]) -> dict[str, Any]:
        for attempt in range(MAX_LAG_RETRIES + 1):
            self.requests += 1
            response = self.http.get(api_url, params=params, timeout=self.timeout)
            response.raise_for_status()
            data: dict[str, Any] = response.json()
            error = data.get("error")
            if not error:
                return data
            if error.get("code") == "maxlag" and attempt < MAX_LAG_RETRIES:
                time.sleep(min(float(response.headers.get("Retry-After", 5)), 30))
                continue
            raise ApiError(str(error.get("code")), str(error.get("info", "")))
        raise AssertionError("unreachable")

    def counts(self, window: Window, names: list[str]) -> dict[tuple[str, date], int]:
        """Edits per (user, UTC day) in the window, following continuation to the end."""
        api_url = self.config.wiki(window.wiki).api_url
        params = {
            "action": "query", "list": "usercontribs", "format": "json", "formatversion": "2",
            "ucuser": "|".join(names), "uclimit": UCLIMIT, "ucprop": "timestamp", "ucdir": "newer",
            "ucstart": _iso(window.start), "ucend": _iso(window.end), "maxlag": "5",
        }
        found: dict[tuple[str, date], int] = defaultdict(int)
        while True:
            data = self._get(api_url, params)
            for contrib in data.get("query", {}).get("usercontribs", []):
                user, stamp = contrib.get("user"), contrib.get("timestamp")
                if isinstance(user, str) and isinstance(stamp, str):
                    found[(user, date.fromisoformat(stamp[:10]))] += 1
            if "continue" not in data:
                return dict(found)
            params = {**params, **{k: str(v) for k, v in data["continue"].items()}}


def _store(session: Session, wiki: str, found: dict[tuple[str, date], int]) -> None:
    if not found:
        return
    existing = {
        (row.username, row.day): row for row in session.scalars(select(ContribDay).where(
            ContribDay.wiki == wiki, tuple_(ContribDay.username, ContribDay.day).in_(list(found))))
    }
    for (username, day), edits in found.items():
        row = existing.get((username, day))
        if row is None:
            session.add(ContribDay(wiki=wiki, username=username, day=day, edits=edits))
        else:
            row.edits += edits  # windows never overlap, so adding never counts an edit twice


def _advance(session: Session, window: Window, names: Iterable[str]) -> None:
    names = list(names)
    cursors = {c.username: c for c in session.scalars(select(ContribCursor).where(
        ContribCursor.wiki == window.wiki, ContribCursor.username.in_(names)))}
    for name in names:
        cursor = cursors.get(name)
        if cursor is None:
            session.add(ContribCursor(wiki=window.wiki, username=name, since=window.start, until=window.end))
        else:
            cursor.since = min(cursor.since, window.start)
            cursor.until = max(cursor.until, window.end)


def _fetch_batch(client: ContribsClient, window: Window, names: list[str],
                 summary: Summary) -> dict[tuple[str, date], int]:
    try:
        return client.counts(window, names)
    except ApiError as error:
        if not error.code.startswith("baduser") or len(names) == 1:
            if error.code.startswith("baduser"):
                summary.invalid += 1
                log.warning("the wiki %s refuses the user name %r", window.wiki, names[0])
                return {}
            raise
    # One name the wiki refuses would sink 49 good ones: ask for each on its own instead.
    found: dict[tuple[str, date], int] = {}
    for name in names:
        found.update(_fetch_batch(client, window, [name], summary))
    return found


def refresh(db: Database, config: Config, now: datetime, http: requests.Session | None = None) -> Summary:
    """Fetch what is missing for every followed user; each batch commits on its own, so a failure halfway
    keeps the batches already done and the next run continues from there."""
    with db.session() as session:
        needs = {key: since for key, since in wanted(session, now).items() if key[0] in config.wikis}
        cursors = {(c.wiki, c.username): c for c in session.scalars(select(ContribCursor))}
        session.expunge_all()
    windows = plan(needs, cursors, now)
    client = ContribsClient(config, http)
    summary = Summary(users=len(needs))
    for window, names in windows.items():
        for batch in _batches(names):
            found = _fetch_batch(client, window, batch, summary)
            with db.transaction() as session:
                _store(session, window.wiki, found)
                _advance(session, window, batch)
            summary.batches += 1
            summary.edits += sum(found.values())
    summary.requests = client.requests
    with db.transaction() as session:
        summary.snapshots = report.store_snapshots(session, now)
    return summary


def edits_between(session: Session, wiki: str, usernames: Iterable[str], first: date,
                  last: date) -> dict[str, int]:
    """Stored edits per user on days first..last (inclusive)."""
    names = list(usernames)
    rows = session.execute(
        select(ContribDay.username, ContribDay.edits).where(
            ContribDay.wiki == wiki, ContribDay.username.in_(names),
            and_(ContribDay.day >= first, ContribDay.day <= last)))
    totals: dict[str, int] = defaultdict(int)
    for username, edits in rows:
        totals[username] += edits
    return dict(totals)
