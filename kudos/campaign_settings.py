"""A campaign's settings as organizers make and change them on the web: checked field by field, audited
with before and after, and closed early when the event is over.

`problems` answers every field at once (a form shows each sentence next to its field), and `create` and
`update` change nothing while there is one. Who may do this is decided in `kudos.access`
(Action.create_campaign, Action.edit_campaign). Dates arrive and leave in the wiki's own time zone
(`wikis.<id>.timezone`); the database holds UTC.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kudos import audit, campaigns, participants, plaintext
from kudos.awards import catalogue
from kudos.clock import utcnow
from kudos.config import Config, Wiki, is_campaign_slug
from kudos.errors import DomainError
from kudos.models import AuditEvent, Campaign, CampaignKind, MemberRole, Nomination, ParticipantSource
from kudos.names import canonical_username
from kudos.wikiapi import possible_title

NAME_MAX = 200
DESCRIPTION_MAX = 5000
EVENT_URL_MAX = 500
MAX_LEAD = timedelta(days=365)  # a campaign may be set up at most a year before it starts
MAX_EDITS = 10_000_000  # more than anyone has made; keeps the number inside the column
KINDS = (CampaignKind.event, CampaignKind.workshop)  # the community campaign of each wiki is made by Kudos
HISTORY = 10
# A CampaignEvents registration: Special:EventDetails/<id> or Special:RegisterForEvent/<id>, as a path or title=.
_EVENT_PAGE = re.compile(r"^Special:(?:EventDetails|RegisterForEvent)/(\d{1,12})$", re.IGNORECASE)


@dataclass
class Settings:
    """What an organizer sets; `slug` only counts when creating (it never changes afterwards)."""

    name: str
    wiki: str
    kind: CampaignKind = CampaignKind.event
    starts: datetime | None = None  # UTC
    ends: datetime | None = None  # UTC
    description: str = ""
    awards: list[str] | None = None  # None: the wiki's whole catalogue
    default_award: str | None = None
    min_editcount: int | None = None
    trusted: list[str] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)  # social channels; the talk page and the wall always
    event_url: str = ""
    slug: str = ""

    @classmethod
    def of(cls, campaign: Campaign) -> Settings:
        return cls(name=campaign.name, wiki=campaign.wiki, kind=campaign.kind, starts=campaign.starts,
                   ends=campaign.ends, description=campaign.description or "",
                   awards=list(campaign.awards) if campaign.awards is not None else None,
                   default_award=campaign.default_award, min_editcount=campaign.min_editcount,
                   trusted=sorted(campaign.usernames(MemberRole.trusted)), channels=list(campaign.channels or []),
                   event_url=campaign.event_url or "", slug=campaign.slug)


class Invalid(DomainError):
    """Some fields are wrong: field name → the refusal; nothing was changed."""

    def __init__(self, problems: dict[str, DomainError]) -> None:
        first = next(iter(problems.values()))
        super().__init__(first.key, *first.params)
        self.problems = problems


def local_to_utc(moment: datetime, wiki: Wiki) -> datetime:
    """A wall-clock time on the wiki (naive) → naive UTC, as stored."""
    return moment.replace(tzinfo=wiki.zone).astimezone(UTC).replace(tzinfo=None)


def utc_to_local(moment: datetime, wiki: Wiki) -> datetime:
    return moment.replace(tzinfo=UTC).astimezone(wiki.zone).replace(tzinfo=None)


def clean(settings: Settings) -> Settings:
    """Text as the one text rule wants it; names canonical; lists without repeats."""
    settings.name = plaintext.line(settings.name)
    settings.slug = plaintext.line(settings.slug)
    settings.description = plaintext.clean(settings.description).strip()
    settings.event_url = plaintext.line(settings.event_url)
    settings.trusted = sorted({canonical_username(n) for n in settings.trusted if canonical_username(n)})
    settings.channels = list(dict.fromkeys(settings.channels))
    if settings.awards is not None:
        settings.awards = list(dict.fromkeys(settings.awards))
    settings.default_award = settings.default_award or None
    return settings


def problems(session: Session, config: Config, settings: Settings, campaign: Campaign | None = None,
             now: datetime | None = None) -> dict[str, DomainError]:
    """Every field's refusal, in the form's order; empty when all is well. `campaign` is the one being
    edited (None when creating)."""
    now = now or utcnow()
    found: dict[str, DomainError] = {}
    if not settings.name:
        found["name"] = DomainError("kudos-error-campaign-name")
    elif len(settings.name) > NAME_MAX:
        found["name"] = DomainError("kudos-error-campaign-name-long", NAME_MAX)
    if campaign is None:
        refused = slug_problem(session, settings.slug)
        if refused is not None:
            found["slug"] = refused
    wiki = config.wikis.get(settings.wiki)
    if wiki is None:
        found["wiki"] = DomainError("kudos-error-campaign-wiki", settings.wiki, ", ".join(sorted(config.wikis)))
    elif campaign is not None and settings.wiki != campaign.wiki and has_nominations(session, campaign):
        found["wiki"] = DomainError("kudos-error-campaign-wiki-locked")
    allowed_kinds = KINDS if campaign is None else (*KINDS, campaign.kind)
    if settings.kind not in allowed_kinds:
        found["kind"] = DomainError("kudos-error-campaign-kind")
    unchanged = campaign is not None and settings.starts == campaign.starts
    if settings.starts and settings.starts > now + MAX_LEAD and not unchanged:
        found["starts"] = DomainError("kudos-error-campaign-too-far")
    if settings.starts and settings.ends and settings.ends < settings.starts:
        found["ends"] = DomainError("kudos-error-campaign-dates")
    if len(settings.description) > DESCRIPTION_MAX:
        found["description"] = DomainError("kudos-error-campaign-description-long", DESCRIPTION_MAX)
    if wiki is not None:
        known = [a.id for a in catalogue(config, wiki.id)]
        unknown = [a for a in settings.awards or [] if a not in known]
        if unknown:
            found["awards"] = DomainError("kudos-error-award-unknown", unknown[0], wiki.name)
        elif settings.awards is not None and not settings.awards:
            found["awards"] = DomainError("kudos-error-campaign-no-awards")
        offered = settings.awards if settings.awards is not None else known
        if settings.default_award and settings.default_award not in offered and "awards" not in found:
            found["default_award"] = DomainError("kudos-error-campaign-default-award", settings.default_award)
        for channel in settings.channels:
            if channel not in config.channels:
                found["channels"] = DomainError("kudos-error-campaign-channel", channel)
                break
            if channel not in config.channels_for(wiki.id):
                found["channels"] = DomainError("kudos-error-campaign-channel-wiki", channel, wiki.name)
                break
    if settings.min_editcount is not None and settings.min_editcount < 0:
        found["min_editcount"] = DomainError("kudos-error-campaign-editcount")
    elif settings.min_editcount is not None and settings.min_editcount > MAX_EDITS:
        found["min_editcount"] = DomainError("kudos-error-campaign-editcount-high", MAX_EDITS)
    impossible = [n for n in settings.trusted if not possible_title(n)]
    if impossible:
        found["trusted"] = DomainError("kudos-error-campaign-trusted-name", impossible[0][:80])
    if settings.event_url:
        try:
            event_source(config, settings.event_url)
        except DomainError as error:
            found["event_url"] = error
    return found


def slug_problem(session: Session, slug: str) -> DomainError | None:
    """Why a new campaign cannot have this short name, or None when it can (for now: the form checks again)."""
    if not is_campaign_slug(slug):
        return DomainError("kudos-error-campaign-slug")
    if session.scalar(select(Campaign.id).where(Campaign.slug == slug)) is not None:
        return DomainError("kudos-error-campaign-exists", slug)
    return None


def event_source(config: Config, url: str) -> tuple[ParticipantSource, str]:
    """The participant import an event link stands for: a Dashboard course (its School/Course path) or a
    CampaignEvents registration (its number). A link that is neither is refused with a sentence."""
    url = url.strip()
    if len(url) > EVENT_URL_MAX or not url.startswith("https://"):
        raise DomainError("kudos-error-campaign-event-link")
    parts = urlsplit(url)
    title = unquote((parse_qs(parts.query).get("title") or [""])[0] or parts.path.removeprefix("/wiki/"))
    found = _EVENT_PAGE.match(title.replace(" ", "_"))
    if found and parts.netloc:
        return ParticipantSource.campaignevents, found.group(1)
    try:
        users_url = participants.dashboard_users_url(config, url)
    except DomainError:
        raise DomainError("kudos-error-campaign-event-link") from None
    base = participants.settings(config).dashboard_url + "/courses/"
    return ParticipantSource.dashboard, unquote(users_url.removeprefix(base).removesuffix("/users.json"))


def create(session: Session, config: Config, settings: Settings, actor: str,
           now: datetime | None = None) -> Campaign:
    """A new campaign whose first organizer is the person who made it."""
    settings = clean(settings)
    found = problems(session, config, settings, now=now)
    if found:
        raise Invalid(found)
    campaign = campaigns.create(session, config, slug=settings.slug, name=settings.name, wiki=settings.wiki,
                                actor=actor, kind=settings.kind, starts=settings.starts, ends=settings.ends,
                                channels=settings.channels, organizers=[actor],
                                default_award=settings.default_award, min_editcount=settings.min_editcount,
                                description=settings.description)
    campaign.awards = settings.awards
    campaign.event_url = settings.event_url or None
    # Trusted nominators are people: their appointments are audited on their own (campaigns.add_member).
    after = {k: v for k, v in _comparable(settings).items() if k != "trusted"}
    audit.record(session, actor, "campaign.settings", campaign, before={}, after=after)
    for name in settings.trusted:
        campaigns.add_member(session, campaign, name, MemberRole.trusted, actor)
    session.flush()
    return campaign


def update(session: Session, config: Config, campaign: Campaign, settings: Settings, actor: str,
           now: datetime | None = None) -> list[str]:
    """Apply the changed fields; returns their names (empty: nothing changed, nothing audited)."""
    settings = clean(settings)
    settings.slug = campaign.slug
    found = problems(session, config, settings, campaign, now=now)
    if found:
        raise Invalid(found)
    before, after = _comparable(Settings.of(campaign)), _comparable(settings)
    changed = [key for key in after if before[key] != after[key]]
    for key in changed:
        if key != "trusted":
            setattr(campaign, key, getattr(settings, key))
    if campaign.event_url == "":
        campaign.event_url = None
    if "wiki" in changed:
        campaign.language = config.wiki(settings.wiki).language
    fields = [key for key in changed if key != "trusted"]
    if fields:
        audit.record(session, actor, "campaign.settings", campaign, before={k: before[k] for k in fields},
                     after={k: after[k] for k in fields})
    if "trusted" in changed:
        wanted, had = set(settings.trusted), campaign.usernames(MemberRole.trusted)
        for name in sorted(wanted - had):
            campaigns.add_member(session, campaign, name, MemberRole.trusted, actor)
        for name in sorted(had - wanted):
            campaigns.remove_member(session, campaign, name, MemberRole.trusted, actor)
    session.flush()
    return changed


def close(session: Session, campaign: Campaign, actor: str, now: datetime | None = None) -> bool:
    """Stop new nominations now; the review queue and deliveries go on. False when already closed."""
    now = now or utcnow()
    if campaign.closed_at is not None:
        return False
    before = {"ends": _when(campaign.ends), "closed_at": None}
    campaign.closed_at = now
    if campaign.ends is None or campaign.ends > now:
        campaign.ends = now  # every "open campaigns" query reads the end date
    audit.record(session, actor, "campaign.close", campaign, before=before,
                 after={"ends": _when(campaign.ends), "closed_at": _when(now)})
    session.flush()
    return True


@dataclass(frozen=True)
class Change:
    at: datetime
    actor: str
    action: str
    details: dict[str, Any]


def history(session: Session, campaign: Campaign, limit: int = HISTORY) -> list[Change]:
    """The campaign's latest audited changes: settings, closing, organizers and trusted nominators."""
    rows = session.execute(
        select(AuditEvent.at, AuditEvent.actor, AuditEvent.action, AuditEvent.details)
        .where(AuditEvent.object_type == "campaign", AuditEvent.object_id == str(campaign.id))
        .order_by(AuditEvent.id.desc()).limit(limit))
    return [Change(at, actor, action, json.loads(details or "{}")) for at, actor, action, details in rows]


def has_nominations(session: Session, campaign: Campaign) -> bool:
    return bool(session.scalar(select(func.count()).select_from(
        select(Nomination.id).where(Nomination.campaign_id == campaign.id).limit(1).subquery())))


def _comparable(settings: Settings) -> dict[str, Any]:
    return {
        "name": settings.name, "wiki": settings.wiki, "kind": settings.kind.value,
        "starts": _when(settings.starts), "ends": _when(settings.ends), "description": settings.description,
        "awards": settings.awards, "default_award": settings.default_award,
        "min_editcount": settings.min_editcount, "trusted": sorted(settings.trusted),
        "channels": sorted(settings.channels), "event_url": settings.event_url or None,
    }


def _when(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else None
