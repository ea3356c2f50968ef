"""Campaigns: the wiki's standing community campaign, events and workshops, and their organizers."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import and_, bindparam, or_, select
from sqlalchemy.orm import Session

from kudos import audit, plaintext
from kudos.config import BUILTIN_CHANNELS, Config, is_campaign_slug
from kudos.errors import DomainError, NotFound
from kudos.models import Campaign, CampaignKind, CampaignMember, MemberRole
from kudos.names import canonical_username


def community_slug(wiki: str) -> str:
    return f"{wiki}-community"


def get(session: Session, slug: str) -> Campaign:
    campaign = session.scalar(select(Campaign).where(Campaign.slug == slug))
    if campaign is None:
        raise NotFound("kudos-error-no-campaign", slug)
    return campaign


@dataclass(frozen=True, slots=True)
class Listed:
    """A campaign as the directory shows it: plain values, with its organizers' names in order."""

    slug: str
    name: str
    wiki: str
    kind: CampaignKind
    description: str
    language: str | None
    starts: datetime | None
    ends: datetime | None
    organizers: tuple[str, ...]


# Built once per process: the directory is a public page, asked often.
_OPEN = (
    select(Campaign.id, Campaign.slug, Campaign.name, Campaign.wiki, Campaign.kind, Campaign.description,
           Campaign.language, Campaign.starts, Campaign.ends, CampaignMember.username)
    .outerjoin(CampaignMember, and_(CampaignMember.campaign_id == Campaign.id,
                                    CampaignMember.role == MemberRole.organizer))
    .where(Campaign.closed_at.is_(None), or_(Campaign.starts.is_(None), Campaign.starts <= bindparam("now")),
           or_(Campaign.ends.is_(None), Campaign.ends >= bindparam("now")))
    .order_by(Campaign.wiki, Campaign.kind != CampaignKind.community, Campaign.created_at.desc(), Campaign.id.desc(),
              CampaignMember.username))


def open_now(session: Session, now: datetime) -> list[Listed]:
    """Campaigns taking nominations at `now` (one query): by wiki, each wiki's standing community campaign
    first, then the others newest first."""
    found: list[Listed] = []
    last_id = None
    for campaign_id, slug, name, wiki, kind, description, language, starts, ends, organizer in session.execute(
            _OPEN, {"now": now}):
        if campaign_id != last_id:
            found.append(Listed(slug, name, wiki, kind, description, language, starts, ends, organizers=()))
            last_id = campaign_id
        if organizer is not None:
            listed = found[-1]
            found[-1] = replace(listed, organizers=(*listed.organizers, organizer))
    return found


def create(
    session: Session,
    config: Config,
    *,
    slug: str,
    name: str,
    wiki: str,
    actor: str,
    kind: CampaignKind = CampaignKind.event,
    starts: datetime | None = None,
    ends: datetime | None = None,
    channels: list[str] | None = None,
    organizers: list[str] | None = None,
    default_award: str | None = None,
    min_editcount: int | None = None,
    description: str = "",
) -> Campaign:
    if not is_campaign_slug(slug):
        raise DomainError("kudos-error-campaign-slug")
    if wiki not in config.wikis:
        raise DomainError("kudos-error-campaign-wiki", wiki, ", ".join(sorted(config.wikis)))
    name, description = plaintext.line(name), plaintext.clean(description).strip()
    if not name:
        raise DomainError("kudos-error-campaign-name")
    if starts and ends and ends < starts:
        raise DomainError("kudos-error-campaign-dates")
    for channel in channels or []:
        if channel not in config.channels and channel not in BUILTIN_CHANNELS:
            raise DomainError("kudos-error-campaign-channel", channel)
    if min_editcount is not None and min_editcount < 0:
        raise DomainError("kudos-error-campaign-editcount")
    if session.scalar(select(Campaign.id).where(Campaign.slug == slug)) is not None:
        raise DomainError("kudos-error-campaign-exists", slug)
    campaign = Campaign(
        slug=slug, name=name, wiki=wiki, kind=kind, starts=starts, ends=ends,
        channels=[c for c in channels or [] if c not in BUILTIN_CHANNELS], default_award=default_award,
        min_editcount=min_editcount, language=config.wiki(wiki).language, created_by=canonical_username(actor),
        description=description,
    )
    session.add(campaign)
    session.flush()
    audit.record(session, actor, "campaign.create", campaign, slug=slug, wiki=wiki, kind=kind.value)
    for organizer in organizers or []:
        add_member(session, campaign, organizer, MemberRole.organizer, actor)
    return campaign


def ensure_community_campaigns(session: Session, config: Config, actor: str = "Kudos") -> list[Campaign]:
    """Every configured wiki has a standing community campaign; create the ones that are missing."""
    created = []
    for wiki in config.wikis.values():
        slug = community_slug(wiki.id)
        if session.scalar(select(Campaign.id).where(Campaign.slug == slug)) is None:
            created.append(create(session, config, slug=slug, name=f"{wiki.name} community", wiki=wiki.id,
                                  actor=actor, kind=CampaignKind.community))
    return created


def add_member(session: Session, campaign: Campaign, username: str, role: MemberRole, actor: str) -> bool:
    """Appoint an organizer or trusted nominator; False when they already had that role.

    Who may appoint is decided before this is called: `kudos.access` (Action.appoint: tool admins and the
    campaign's creator) on the web; the command line and the configuration file speak for the tool's
    maintainers. Every appointment is audited with the person's roles in the campaign before and after.
    """
    username = canonical_username(username)
    if not username:
        raise DomainError("kudos-error-member-name")
    before = _roles(campaign, username)
    if role.value in before:
        return False
    campaign.members.append(CampaignMember(username=username, role=role, added_by=canonical_username(actor)))
    audit.record(session, actor, f"campaign.{role.value}.add", campaign, username=audit.name(username), before=before,
                 after=sorted([*before, role.value]))
    session.flush()
    return True


def remove_member(session: Session, campaign: Campaign, username: str, role: MemberRole, actor: str) -> bool:
    """Take a role away (audited like an appointment); False when the person did not have it."""
    username = canonical_username(username)
    before = _roles(campaign, username)
    if role.value not in before:
        return False
    campaign.members = [m for m in campaign.members if (m.username, m.role) != (username, role)]
    audit.record(session, actor, f"campaign.{role.value}.remove", campaign, username=audit.name(username),
                 before=before, after=[r for r in before if r != role.value])
    session.flush()
    return True


def _roles(campaign: Campaign, username: str) -> list[str]:
    return sorted(m.role.value for m in campaign.members if m.username == username)


def sync_from_config(session: Session, config: Config, actor: str = "Kudos") -> list[str]:
    """Create the campaigns declared in configuration and add their organizers; returns what changed."""
    changes = []
    for spec in config.campaigns:
        existing = session.scalar(select(Campaign).where(Campaign.slug == spec.slug))
        if existing is None:
            existing = create(session, config, slug=spec.slug, name=spec.name, wiki=spec.wiki, actor=actor,
                              kind=CampaignKind(spec.kind), channels=list(spec.channels))
            changes.append(f"created {spec.slug}")
        for organizer in spec.organizers:
            if add_member(session, existing, organizer, MemberRole.organizer, actor):
                changes.append(f"{organizer} organizes {spec.slug}")
    return changes
