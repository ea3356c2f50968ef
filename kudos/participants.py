"""A campaign's participants: pasted, from a CSV file, or imported from the Programs & Events Dashboard
or a CampaignEvents event registration.

Imports read only public lists and never bring in people who registered privately or whose account is
hidden: those people chose not to be listed, and Kudos must not list them either.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from kudos import audit, plaintext
from kudos.config import Config
from kudos.errors import ConfigError, DomainError
from kudos.models import Campaign, Participant, ParticipantSource
from kudos.names import canonical_username

DEFAULT_DASHBOARD_URL = "https://outreachdashboard.wmflabs.org"
DEFAULT_CAMPAIGNEVENTS_URL = "https://meta.wikimedia.org/w/rest.php"
MAX_PARTICIPANTS = 20_000  # per import; a typo'd URL must not fill the database
STUDENT_ROLE = 0  # the Dashboard's CoursesUsers role for participants (1+ are facilitators and staff)
_ILLEGAL = re.compile(r"[#<>\[\]|{}@:\x00-\x1f\x7f]")  # characters MediaWiki refuses in user names
_NAME_COLUMNS = ("username", "user_name", "user", "name", "wikipedia username")


@dataclass(frozen=True)
class InsightSettings:
    dashboard_url: str = DEFAULT_DASHBOARD_URL
    campaignevents_url: str = DEFAULT_CAMPAIGNEVENTS_URL
    timeout: float = 20.0


def settings(config: Config) -> InsightSettings:
    section = config.section("insight")
    unknown = sorted(set(section) - {"dashboard_url", "campaignevents_url", "timeout"})
    if unknown:
        raise ConfigError(f"The configuration key “insight.{unknown[0]}” is not known; see config.example.yaml.")
    values: dict[str, Any] = {}
    for key in ("dashboard_url", "campaignevents_url"):
        if key in section:
            url = str(section[key] or "").rstrip("/")
            if not url.startswith(("https://", "http://")):
                raise ConfigError(f"The configuration key “insight.{key}” must be an http(s) URL.")
            values[key] = url
    if "timeout" in section:
        try:
            values["timeout"] = float(section["timeout"])
        except (TypeError, ValueError):
            raise ConfigError("The configuration key “insight.timeout” must be a number of seconds.") from None
    return InsightSettings(**values)


@dataclass
class Parsed:
    """User names found in some input, and the lines that were not user names (shown to the organizer)."""

    names: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    withheld: int = 0  # private or hidden registrations that were left out on purpose

    def add(self, raw: str) -> None:
        text = raw.strip().lstrip("\ufeff")
        if text.lower().startswith(("user:", "user_talk:", "user talk:")):
            text = text.split(":", 1)[1]
        name = canonical_username(text)
        if not name:
            return
        if _ILLEGAL.search(name) or len(name.encode()) > 255:
            self.rejected.append(plaintext.line(raw))
        elif name not in self.names:
            self.names.append(name)


def parse_paste(text: str) -> Parsed:
    """One user name per line; blank lines are ignored, `User:` prefixes are dropped."""
    parsed = Parsed()
    for line in plaintext.clean(text).split("\n"):
        parsed.add(line)
    return parsed


def parse_csv(data: bytes | str) -> Parsed:
    """A CSV file with a user name column (username, user_name, user or name), or names in the first column."""
    text = data.decode("utf-8-sig", errors="replace") if isinstance(data, bytes) else data
    rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    parsed = Parsed()
    if not rows:
        return parsed
    header = [cell.strip().lower().lstrip("\ufeff") for cell in rows[0]]
    column = next((header.index(c) for c in _NAME_COLUMNS if c in header), None)
    if column is None:
        column = 0
    else:
        rows = rows[1:]
    for row in rows:
        if column < len(row):
            parsed.add(row[column])
    return parsed


def _get_json(config: Config, url: str, params: dict[str, str] | None = None) -> Any:
    try:
        response = requests.get(url, params=params, timeout=settings(config).timeout,
                                headers={"User-Agent": config.user_agent, "Accept": "application/json"})
    except requests.RequestException:
        raise DomainError("kudos-error-site-unreachable", urlsplit(url).netloc) from None
    if response.status_code == 404:
        raise DomainError("kudos-error-course-not-found")
    if response.status_code != 200:
        raise DomainError("kudos-error-site-error", urlsplit(url).netloc, response.status_code)
    try:
        return response.json()
    except ValueError:
        raise DomainError("kudos-error-site-no-list", urlsplit(url).netloc) from None


def dashboard_users_url(config: Config, course: str) -> str:
    """The `users.json` address of a course, given its Dashboard address or its `School/Course` path."""
    base = settings(config).dashboard_url
    course = course.strip()
    if course.startswith(("https://", "http://")):
        if not course.startswith(base + "/courses/"):
            raise DomainError("kudos-error-course-address", base)
        course = course[len(base + "/courses/"):]
    course = course.split("?", 1)[0].split("#", 1)[0].strip("/")
    for suffix in ("/users.json", "/home", "/students", "/overview"):
        course = course.removesuffix(suffix)
    parts = course.split("/")
    if len(parts) != 2 or not all(parts):
        raise DomainError("kudos-error-course-name")
    return f"{base}/courses/{quote(parts[0], safe='')}/{quote(parts[1], safe='')}/users.json"


def fetch_dashboard(config: Config, course: str) -> Parsed:
    """The course's students (role 0); facilitators and staff are not participants."""
    data = _get_json(config, dashboard_users_url(config, course))
    users = (data.get("course") or {}).get("users") if isinstance(data, dict) else None
    if not isinstance(users, list):
        raise DomainError("kudos-error-course-no-users")
    parsed = Parsed()
    for user in users[:MAX_PARTICIPANTS]:
        if isinstance(user, dict) and user.get("role") == STUDENT_ROLE and isinstance(user.get("username"), str):
            parsed.add(user["username"])
    return parsed


def fetch_campaignevents(config: Config, event_id: str) -> Parsed:
    """An event's public participants, page by page (`last_participant_id`), without private ones."""
    event = event_id.strip().removeprefix("#")
    if not event.isdigit():
        raise DomainError("kudos-error-event-number")
    url = f"{settings(config).campaignevents_url}/campaignevents/v0/event_registration/{int(event)}/participants"
    parsed = Parsed()
    last: int | None = None
    seen = 0
    while seen < MAX_PARTICIPANTS:
        params = {"include_private": "false"}
        if last is not None:
            params["last_participant_id"] = str(last)
        page = _get_json(config, url, params)
        if not isinstance(page, list):
            raise DomainError("kudos-error-event-no-list")
        if not page:
            break
        ids = [p.get("participant_id") for p in page if isinstance(p, dict)]
        for item in page:
            seen += 1
            if not isinstance(item, dict):
                continue
            name = item.get("user_name")
            # include_private=false already leaves private registrations out; checking again costs nothing
            # and protects people if a server (or a future API version) sends them anyway.
            if item.get("private") or item.get("hidden") or item.get("not_found") or not isinstance(name, str):
                parsed.withheld += 1
                continue
            parsed.add(name)
        numeric = [i for i in ids if isinstance(i, int)]
        if not numeric or (last is not None and max(numeric) <= last):
            break  # no way to ask for the next page, or the server repeats itself
        last = max(numeric)
    return parsed


def add(session: Session, campaign: Campaign, names: list[str], source: ParticipantSource,
        actor: str) -> tuple[int, int]:
    """Add participants; returns (added, already there). Hidden ones stay hidden."""
    if not names:
        raise DomainError("kudos-error-participants-none")
    existing = set(session.scalars(select(Participant.username).where(Participant.campaign_id == campaign.id)))
    fresh = [name for name in dict.fromkeys(names) if name not in existing]
    if len(existing) + len(fresh) > MAX_PARTICIPANTS:
        raise DomainError("kudos-error-participants-too-many", MAX_PARTICIPANTS)
    actor = canonical_username(actor)
    session.add_all(Participant(campaign_id=campaign.id, username=name, source=source, added_by=actor)
                    for name in fresh)
    audit.record(session, actor, "campaign.participants.add", campaign, source=source.value, added=len(fresh))
    session.flush()
    return len(fresh), len(names) - len(fresh)


def set_hidden(session: Session, campaign: Campaign, username: str, hidden: bool, actor: str) -> None:
    participant = session.get(Participant, (campaign.id, canonical_username(username)))
    if participant is None:
        raise DomainError("kudos-error-not-participant", canonical_username(username), campaign.name)
    participant.hidden = hidden
    audit.record(session, actor, "campaign.participant.hide" if hidden else "campaign.participant.show",
                 campaign, username=audit.name(participant.username))


def listed(session: Session, campaign: Campaign, include_hidden: bool = False) -> list[Participant]:
    query = select(Participant).where(Participant.campaign_id == campaign.id)
    if not include_hidden:
        query = query.where(Participant.hidden.is_(False))
    return list(session.scalars(query.order_by(Participant.username)))
