"""A person's data: everything Kudos holds about them (export), and erasing it (the right to be forgotten).

Who the person is: their user name in canonical form (MediaWiki's rules, `kudos.names`: first letter
case-insensitive, the rest case-sensitive, `_` = space), and their Person row, found by their CentralAuth id
when the sign-in gave one (so a rename Kudos has not noticed yet still finds it; its name then counts as
theirs too) or else by name. The Person row brings their accounts (local user ids per wiki) with it. Rows
are found by those exact values through indexes: never by substring, never by searching free text.

A row is the person's when it is
- a nomination they made, received or reviewed (also as "trusted:<name>"), or a delivery of one they made
  or received;
- a campaign they created; a campaign role or participation that is theirs or that they gave;
- their contribution counts, their Person row, their wiki accounts;
- a praise suggestion of them (found by name, or by the id of one of their wiki accounts), or a decision
  about a suggestion that they made (snooze, "not for this campaign");
- an audit event about them: they are its actor, its object is their Person row, they made, received or
  reviewed the nomination it is about, or one of its details identifies them (`kudos.audit`).

Erasing changes those rows only, and in them only what identifies the person: their name becomes a
placeholder built from a keyed hash (so nominations and counts stay consistent for organizers), the ids of
their Person row and accounts go, and the rows that are nothing but theirs (Person, accounts, roles,
participation, contribution counts, suggestions of them) are deleted. Every other row stays byte for byte
as it was. Words written by others (messages, rejection reasons, campaign descriptions) are never rewritten
because they contain the name; only a nomination the person received loses its words and link, as they are
praise of the person shown on the wall, and its deliveries' errors lose the name (the job writes talk-page
titles there). What was already published elsewhere (a talk-page edit, a social post) cannot be taken back from
here: `erase` returns those links so the person can ask for removal there.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.orm import Session

from kudos import accounts, audit
from kudos.clock import utcnow
from kudos.config import Config
from kudos.models import (
    TRUSTED_PREFIX,
    AuditEvent,
    AuditSubject,
    Campaign,
    CampaignMember,
    ContribCursor,
    ContribDay,
    Delivery,
    DeliveryStatus,
    Nomination,
    NominationStatus,
    Participant,
    Person,
    Suggestion,
    WebSession,
)
from kudos.names import canonical_username

ERASED_ACTION = "privacy.erased"  # kept by retention (kudos.maintenance.KEPT_ACTIONS)
UNSENT = (DeliveryStatus.pending, DeliveryStatus.claimed, DeliveryStatus.awaiting_consent)
# Audit details that copy what erasure blanks on a nomination the person received: its words…
RECEIVED_WORDS = {"nomination.edit": ("before", "after"), "nomination.rejected": ("reason",)}
# …and, in a delivery's events, its address (made or received) and errors (received), as on the delivery.
DELIVERY_ADDRESS = "external_url"
DELIVERY_ERRORS = ("reason", "last_error")


@dataclass(frozen=True)
class Published:
    """Something already posted outside Kudos about a nomination of the person."""

    channel: str
    url: str | None
    nomination_id: int


@dataclass(frozen=True)
class Erasure:
    placeholder: str
    nominations_received: int
    nominations_made: int
    published: list[Published]


@dataclass(frozen=True)
class Who:
    name: str  # canonical, as signed in
    persons: tuple[Person, ...]  # by name, then by CentralAuth id under a former name
    names: tuple[str, ...]  # every name their rows may carry: `name`, and former ones


def identify(session: Session, username: str, central_id: int | None = None) -> Who:
    name = canonical_username(username)
    persons = []
    by_name = session.scalar(select(Person).where(Person.username == name))
    if by_name is not None and (None in (central_id, by_name.central_id) or by_name.central_id == central_id):
        persons.append(by_name)  # unless the name was another account's, renamed away since
    if central_id is not None:
        by_id = session.scalar(select(Person).where(Person.central_id == central_id))
        if by_id is not None and by_id not in persons:
            persons.append(by_id)
    return Who(name, tuple(persons), tuple(dict.fromkeys([
        name, *(p.username for p in persons), *_former_names(session, persons)])))


def _former_names(session: Session, persons: list[Person]) -> list[str]:
    """Names the person had before a global rename Kudos followed (by CentralAuth id, so the old name was
    theirs on every wiki); their nominations made under it still carry it."""
    found = []
    for details in session.scalars(select(AuditEvent.details).where(
            AuditEvent.action == accounts.RENAMED, AuditEvent.object_type == "person",
            AuditEvent.object_id.in_([str(p.id) for p in persons]))):
        data = json.loads(details)
        if data.get("everywhere") is True and isinstance(data.get("before"), str):
            found.append(canonical_username(data["before"]))
    return found


def subject_hash(config: Config, username: str) -> str:
    """A stable pseudonym: keyed, so the name cannot be recovered by hashing a list of user names."""
    digest = hmac.new(config.secret_key.encode(), canonical_username(username).encode(), hashlib.sha256)
    return digest.hexdigest()[:12]


def placeholder(config: Config, username: str) -> str:
    return f"Deleted user {subject_hash(config, username)}"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() + "Z" if value else None


def _nomination(nomination: Nomination) -> dict[str, Any]:
    return {
        "id": nomination.id, "campaign": nomination.campaign.slug, "wiki": nomination.wiki,
        "nominator": nomination.nominator, "recipient": nomination.recipient, "award": nomination.award,
        "message": nomination.message, "original_message": nomination.original_message, "link": nomination.link,
        "status": nomination.status.value, "reviewer": nomination.reviewer,
        "reviewed_at": _iso(nomination.reviewed_at), "reason": nomination.reason,
        "created_at": _iso(nomination.created_at),
        "deliveries": [{
            "channel": d.channel, "status": d.status.value, "attempts": d.attempts,
            "external_url": d.external_url, "last_error": d.last_error, "done_at": _iso(d.done_at),
        } for d in nomination.deliveries],
    }


def _person(person: Person) -> dict[str, Any]:
    return {
        "username": person.username, "central_id": person.central_id, "consent": person.consent.value,
        "consent_at": _iso(person.consent_at), "opted_out": person.opted_out, "language": person.language,
        "created_at": _iso(person.created_at),
        "wiki_accounts": [{"wiki": a.wiki, "user_id": a.user_id} for a in person.accounts],
    }


def _suggested(who: Who) -> Any:
    """The person's suggestions: by name, and by their accounts' ids on the campaign's wiki (a rename Kudos
    has not seen yet leaves the old name on the row until the next refresh)."""
    by_account = [and_(Suggestion.user_id == account.user_id, Suggestion.campaign_id.in_(
        select(Campaign.id).where(Campaign.wiki == account.wiki))) for p in who.persons for account in p.accounts]
    return or_(Suggestion.username.in_(who.names), *by_account)


def _suggestion(suggestion: Suggestion, campaign_slug: str) -> dict[str, Any]:
    return {
        "campaign": campaign_slug, "username": suggestion.username, "user_id": suggestion.user_id,
        "source": suggestion.source, "edits": suggestion.edits, "pages": suggestion.pages,
        "bytes_added": suggestion.bytes_added, "reverted": suggestion.reverted, "days": suggestion.days,
        "editcount": suggestion.editcount, "registered": _iso(suggestion.registered), "notable": suggestion.notable,
        "thanks_received": suggestion.thanks_received, "streak_days": suggestion.streak_days,
        "eligible_since": _iso(suggestion.eligible_since), "shown_at": _iso(suggestion.shown_at),
        "snoozed_until": _iso(suggestion.snoozed_until), "set_aside_at": _iso(suggestion.dismissed_at),
        "thanked_at": _iso(suggestion.thanked_at),
    }


def _nominations(session: Session, *where: Any) -> list[Nomination]:
    return list(session.scalars(select(Nomination).where(*where).order_by(Nomination.id)))


def _reviewed(who: Who) -> Any:
    return Nomination.reviewer.in_([*who.names, *(TRUSTED_PREFIX + n for n in who.names)])


def _about(who: Who) -> Any:
    """The ids of the audit events about the person (kudos.audit)."""
    return select(AuditSubject.event_id).where(AuditSubject.name.in_(who.names))


def _audit_roles(session: Session, who: Who) -> dict[int, set[str]]:
    """The person's roles in each audit event about them."""
    roles: dict[int, set[str]] = defaultdict(set)
    for event_id, role in session.execute(select(AuditSubject.event_id, AuditSubject.role).where(
            AuditSubject.name.in_(who.names))):
        roles[event_id].add(role)
    return roles


def export(session: Session, config: Config, username: str, now: datetime | None = None,
           central_id: int | None = None) -> dict[str, Any]:
    """Everything stored about the person, as plain JSON-ready data."""
    who = identify(session, username, central_id)
    names = who.names
    memberships = session.scalars(select(CampaignMember).where(CampaignMember.username.in_(names)))
    created = session.scalars(select(Campaign.slug).where(Campaign.created_by.in_(names)))
    roles = _audit_roles(session, who)
    events = session.scalars(select(AuditEvent).where(AuditEvent.id.in_(_about(who))).order_by(AuditEvent.id))
    return {
        "username": who.name,
        "exported_at": _iso(now or utcnow()),
        "tool": config.tool_url,
        "person": _person(who.persons[0]) if who.persons else None,
        "person_under_former_name": _person(who.persons[1]) if len(who.persons) > 1 else None,
        "campaign_roles": [{"campaign": m.campaign.slug, "role": m.role.value, "added_by": m.added_by,
                            "added_at": _iso(m.added_at)} for m in memberships],
        "campaigns_created": list(created),
        "campaign_participation": [
            {"campaign": campaign_slug, "source": p.source.value, "added_by": p.added_by,
             "added_at": _iso(p.added_at), "hidden": p.hidden}
            for p, campaign_slug in session.execute(select(Participant, Campaign.slug).join(
                Campaign, Campaign.id == Participant.campaign_id).where(Participant.username.in_(names)))],
        "contributions_per_day": [
            {"wiki": d.wiki, "day": d.day.isoformat(), "edits": d.edits}
            for d in session.scalars(select(ContribDay).where(ContribDay.username.in_(names))
                                     .order_by(ContribDay.wiki, ContribDay.day))],
        "suggestions_of_you": [_suggestion(s, slug) for s, slug in session.execute(
            select(Suggestion, Campaign.slug).join(Campaign, Campaign.id == Suggestion.campaign_id)
            .where(_suggested(who)).order_by(Suggestion.campaign_id))],
        "suggestion_decisions_made": [
            {"campaign": slug, "about": s.username, "snoozed_until": _iso(s.snoozed_until) if s.snoozed_by in names
             else None, "set_aside_at": _iso(s.dismissed_at) if s.dismissed_by in names else None}
            for s, slug in session.execute(
                select(Suggestion, Campaign.slug).join(Campaign, Campaign.id == Suggestion.campaign_id)
                .where(or_(Suggestion.snoozed_by.in_(names), Suggestion.dismissed_by.in_(names)))
                .order_by(Suggestion.campaign_id, Suggestion.user_id))],
        "nominations_received": [_nomination(n) for n in _nominations(session, Nomination.recipient.in_(names))],
        "nominations_made": [_nomination(n) for n in _nominations(session, Nomination.nominator.in_(names))],
        "nominations_reviewed": [n.id for n in _nominations(session, _reviewed(who))],
        "audit_events": [{"id": e.id, "at": _iso(e.at), "actor": e.actor, "action": e.action,
                          "object_type": e.object_type, "object_id": e.object_id, "details": e.data,
                          "about_you_as": sorted(roles[e.id])} for e in events],
    }


def published(session: Session, username: str, central_id: int | None = None) -> list[Published]:
    """What was already posted about the person's nominations (received or made) outside Kudos."""
    names = identify(session, username, central_id).names
    rows = session.scalars(
        select(Delivery).join(Nomination, Delivery.nomination_id == Nomination.id)
        .where(or_(Nomination.recipient.in_(names), Nomination.nominator.in_(names)),
               Delivery.status == DeliveryStatus.done, Delivery.channel != "wall")
        .order_by(Delivery.id))
    return [Published(d.channel, d.external_url, d.nomination_id) for d in rows]


def erase(session: Session, config: Config, username: str, now: datetime | None = None,
          central_id: int | None = None) -> Erasure:
    """Remove the person from every table; keep one audit row saying that (and only that) it happened."""
    now = now or utcnow()
    who = identify(session, username, central_id)
    names, alias = who.names, placeholder(config, who.name)
    links = published(session, who.name, central_id)

    received = _nominations(session, Nomination.recipient.in_(names))
    made = _nominations(session, Nomination.nominator.in_(names))
    for nomination in _nominations(session, _reviewed(who)):
        trusted = nomination.reviewer is not None and nomination.reviewer.startswith(TRUSTED_PREFIX)
        nomination.reviewer = TRUSTED_PREFIX + alias if trusted else alias
    for nomination in received:
        # The wall and feed must not show the person: no name, no words about them, no link to their work.
        nomination.recipient = alias
        nomination.message = ""
        nomination.original_message = None
        nomination.link = ""
        nomination.reason = None
        for delivery in nomination.deliveries:
            delivery.last_error = scrub(delivery.last_error, names, alias)
    for nomination in made:
        nomination.nominator = alias
    for nomination in received + made:
        _close(nomination, now)
        for delivery in nomination.deliveries:
            # Talk-page URLs carry the user name; the person got the links in the erasure answer.
            delivery.external_url = None
            delivery.external_id = None

    session.execute(delete(CampaignMember).where(CampaignMember.username.in_(names)))
    session.execute(update(CampaignMember).where(CampaignMember.added_by.in_(names)).values(added_by=alias))
    session.execute(update(Campaign).where(Campaign.created_by.in_(names)).values(created_by=alias))
    # Participant lists and stored contribution counts (organizer insight) name the person too.
    session.execute(delete(Participant).where(Participant.username.in_(names)))
    session.execute(update(Participant).where(Participant.added_by.in_(names)).values(added_by=alias))
    session.execute(delete(ContribDay).where(ContribDay.username.in_(names)))
    session.execute(delete(ContribCursor).where(ContribCursor.username.in_(names)))
    # Praise suggestions of the person go; decisions they made about others keep a pseudonym.
    session.execute(delete(Suggestion).where(_suggested(who)).execution_options(synchronize_session=False))
    session.execute(update(Suggestion).where(Suggestion.snoozed_by.in_(names)).values(snoozed_by=alias))
    session.execute(update(Suggestion).where(Suggestion.dismissed_by.in_(names)).values(dismissed_by=alias))
    # Signed-in sessions name the person too, and a device left signed in must not outlive the erasure.
    session.execute(delete(WebSession).where(WebSession.username.in_(names)))
    for person in who.persons:
        session.delete(person)
    _erase_audit(session, config, who, alias)
    session.add(AuditEvent(
        actor=alias, action=ERASED_ACTION, object_type="person", object_id=subject_hash(config, who.name), at=now,
        details=json.dumps({"nominations_received": len(received), "nominations_made": len(made),
                            "published_elsewhere": len(links)}, sort_keys=True)))
    session.flush()
    return Erasure(alias, len(received), len(made), links)


def _erase_audit(session: Session, config: Config, who: Who, alias: str) -> None:
    """The audit log is append-only for the tool; erasure is the one place allowed to rewrite it, with
    bulk statements that bypass the ORM guard in kudos.models. Only the events about the person change,
    and in them only what their roles say identifies the person."""
    roles = _audit_roles(session, who)
    for event in session.scalars(select(AuditEvent).where(AuditEvent.id.in_(_about(who)))):
        about = roles[event.id]
        details = event.data
        for role in about:
            if role.startswith("details.") and role[8:] in details:
                details[role[8:]] = alias if isinstance(details[role[8:]], str) else None
        if "recipient" in about:
            for key in RECEIVED_WORDS.get(event.action, ()):
                if key in details:
                    details[key] = "" if event.action == "nomination.edit" else None
        if event.object_type == "delivery" and about & {"recipient", "nominator"}:
            if details.get(DELIVERY_ADDRESS) is not None:
                details[DELIVERY_ADDRESS] = None
            for key in DELIVERY_ERRORS if "recipient" in about else ():
                if isinstance(details.get(key), str):
                    details[key] = scrub(details[key], who.names, alias)
        values: dict[str, Any] = {}
        if "actor" in about:
            values["actor"] = alias
        if "person" in about:
            values["object_id"] = subject_hash(config, who.name)
        if details != event.data:
            values["details"] = audit.dumps(details)
        if values:
            session.execute(update(AuditEvent).where(AuditEvent.id == event.id).values(**values)
                            .execution_options(synchronize_session=False))
    session.execute(delete(AuditSubject).where(AuditSubject.name.in_(who.names))
                    .execution_options(synchronize_session=False))


def _forms(names: tuple[str, ...]) -> list[str]:
    """The forms a name takes in the job's messages: as written, in page titles, and in URLs."""
    forms = set()
    for name in names:
        forms |= {name, name.replace(" ", "_"), quote(name.replace(" ", "_")), quote(name)}
    return sorted(forms, key=len, reverse=True)


def scrub(text: str | None, names: tuple[str, ...], replacement: str) -> str | None:
    """The person's name taken out of a message Kudos itself wrote about them (a delivery's error)."""
    if not text:
        return text
    for form in _forms(names):
        text = re.sub(rf"(?<!\w){re.escape(form)}(?!\w)", replacement, text)
    return text


def _close(nomination: Nomination, now: datetime) -> None:
    """A pending nomination of an erased person is withdrawn; unsent deliveries are skipped."""
    if nomination.status == NominationStatus.pending:
        nomination.status = NominationStatus.withdrawn
        nomination.reason = "Withdrawn because a person involved asked Kudos to delete their data."
        nomination.reviewed_at = now
    nomination.pending_key = None
    for delivery in nomination.deliveries:
        if delivery.status in UNSENT:
            delivery.status = DeliveryStatus.skipped
            delivery.last_error = "Not sent: a person involved asked Kudos to delete their data."
            delivery.lease_until = None
            delivery.claimed_by = None
            delivery.done_at = now
            delivery.updated_at = now
