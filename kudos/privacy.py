"""A person's data: everything Kudos holds about them (export), and erasing it (the right to be forgotten).

Erasing replaces the person's name everywhere by a placeholder built from a keyed hash, so nominations
and their counts stay consistent for organizers while nothing in the database names the person any
more. What was already published elsewhere (a talk-page edit, a social post) cannot be taken back from
here: `erase` returns those links so the person can ask for removal there.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from sqlalchemy import delete, false, or_, select, update
from sqlalchemy.orm import Session

from kudos.clock import utcnow
from kudos.config import Config
from kudos.models import (
    AuditEvent,
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
)
from kudos.names import canonical_username

ERASED_ACTION = "privacy.erased"  # kept by retention (kudos.maintenance.KEPT_ACTIONS)
UNSENT = (DeliveryStatus.pending, DeliveryStatus.claimed, DeliveryStatus.awaiting_consent)


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


def _names(username: str) -> list[str]:
    """The forms a name takes in stored text: as written, in page titles, and in URLs."""
    name = canonical_username(username)
    forms = {name, name.replace(" ", "_"), quote(name.replace(" ", "_")), quote(name)}
    forms.add(json.dumps(name)[1:-1])  # as it appears inside JSON details
    return sorted(forms, key=len, reverse=True)


def _mentions(column: Any, username: str) -> Any:
    return or_(*(column.contains(form, autoescape=True) for form in _names(username)))


def _scrub(text: str | None, username: str, replacement: str) -> str | None:
    if not text:
        return text
    for form in _names(username):
        text = re.sub(rf"(?<!\w){re.escape(form)}(?!\w)", replacement, text)
    return text


def _nominations(session: Session, username: str, column: Any) -> list[Nomination]:
    return list(session.scalars(select(Nomination).where(column == username).order_by(Nomination.id)))


def _audit_rows(session: Session, username: str, person: Person | None) -> list[AuditEvent]:
    about_person = ((AuditEvent.object_type == "person") & (AuditEvent.object_id == str(person.id))
                    if person else false())
    return list(session.scalars(select(AuditEvent).where(
        or_(AuditEvent.actor == username, _mentions(AuditEvent.details, username), about_person),
    ).order_by(AuditEvent.id)))


def export(session: Session, config: Config, username: str, now: datetime | None = None) -> dict[str, Any]:
    """Everything stored about `username`, as plain JSON-ready data."""
    name = canonical_username(username)
    person = session.scalar(select(Person).where(Person.username == name))
    memberships = session.scalars(select(CampaignMember).where(CampaignMember.username == name))
    created = session.scalars(select(Campaign.slug).where(Campaign.created_by == name))
    return {
        "username": name,
        "exported_at": _iso(now or utcnow()),
        "tool": config.tool_url,
        "person": None if person is None else {
            "username": person.username, "central_id": person.central_id, "consent": person.consent.value,
            "consent_at": _iso(person.consent_at), "opted_out": person.opted_out, "language": person.language,
            "created_at": _iso(person.created_at),
            "wiki_accounts": [{"wiki": a.wiki, "user_id": a.user_id} for a in person.accounts],
        },
        "campaign_roles": [{"campaign": m.campaign.slug, "role": m.role.value, "added_by": m.added_by,
                            "added_at": _iso(m.added_at)} for m in memberships],
        "campaigns_created": list(created),
        "campaign_participation": [
            {"campaign": campaign_slug, "source": p.source.value, "added_by": p.added_by,
             "added_at": _iso(p.added_at), "hidden": p.hidden}
            for p, campaign_slug in session.execute(select(Participant, Campaign.slug).join(
                Campaign, Campaign.id == Participant.campaign_id).where(Participant.username == name))],
        "contributions_per_day": [
            {"wiki": d.wiki, "day": d.day.isoformat(), "edits": d.edits}
            for d in session.scalars(select(ContribDay).where(ContribDay.username == name)
                                     .order_by(ContribDay.wiki, ContribDay.day))],
        "nominations_received": [_nomination(n) for n in _nominations(session, name, Nomination.recipient)],
        "nominations_made": [_nomination(n) for n in _nominations(session, name, Nomination.nominator)],
        "nominations_reviewed": [n.id for n in _nominations(session, name, Nomination.reviewer)],
        "audit_events": [{"at": _iso(e.at), "actor": e.actor, "action": e.action, "object_type": e.object_type,
                          "object_id": e.object_id, "details": e.data} for e in _audit_rows(session, name, person)],
    }


def published(session: Session, username: str) -> list[Published]:
    """What was already posted about the person's nominations (received or made) outside Kudos."""
    name = canonical_username(username)
    rows = session.scalars(
        select(Delivery).join(Nomination, Delivery.nomination_id == Nomination.id)
        .where(or_(Nomination.recipient == name, Nomination.nominator == name),
               Delivery.status == DeliveryStatus.done, Delivery.channel != "wall")
        .order_by(Delivery.id))
    return [Published(d.channel, d.external_url, d.nomination_id) for d in rows]


def erase(session: Session, config: Config, username: str, now: datetime | None = None) -> Erasure:
    """Remove the person from every table; keep one audit row saying that (and only that) it happened."""
    now = now or utcnow()
    name = canonical_username(username)
    alias = placeholder(config, name)
    links = published(session, name)
    person = session.scalar(select(Person).where(Person.username == name))
    audit_rows = _audit_rows(session, name, person)

    received = _nominations(session, name, Nomination.recipient)
    made = _nominations(session, name, Nomination.nominator)
    for nomination in received:
        # The wall and feed must not show the person: no name, no words about them, no link to their work.
        nomination.recipient = alias
        nomination.message = ""
        nomination.original_message = None
        nomination.link = ""
        nomination.reason = None
        _close(nomination, now)
    for nomination in made:
        nomination.nominator = alias
        _close(nomination, now)
    for nomination in _nominations(session, name, Nomination.reviewer):
        nomination.reviewer = alias
    _scrub_rows(session, select(Nomination).where(or_(
        _mentions(Nomination.message, name), _mentions(Nomination.original_message, name),
        _mentions(Nomination.reason, name), _mentions(Nomination.link, name))),
        ("message", "original_message", "reason", "link"), name, alias)
    for delivery in session.scalars(select(Delivery).where(
            Delivery.nomination_id.in_([n.id for n in received + made] or [-1]))):
        # Talk-page URLs carry the user name; the person got the links in the erasure answer.
        delivery.external_url = None
        delivery.external_id = None
    _scrub_rows(session, select(Delivery).where(_mentions(Delivery.last_error, name)), ("last_error",), name, alias)

    for member in session.scalars(select(CampaignMember).where(CampaignMember.username == name)):
        session.delete(member)
    session.execute(update(CampaignMember).where(CampaignMember.added_by == name).values(added_by=alias))
    session.execute(update(Campaign).where(Campaign.created_by == name).values(created_by=alias))
    _scrub_rows(session, select(Campaign).where(_mentions(Campaign.description, name)), ("description",),
                name, alias)
    # Participant lists and stored contribution counts (organizer insight) name the person too.
    session.execute(delete(Participant).where(Participant.username == name))
    session.execute(update(Participant).where(Participant.added_by == name).values(added_by=alias))
    session.execute(delete(ContribDay).where(ContribDay.username == name))
    session.execute(delete(ContribCursor).where(ContribCursor.username == name))
    if person is not None:
        session.delete(person)

    # The audit log is append-only for the tool; erasure is the one place allowed to rewrite it, with
    # bulk statements that bypass the ORM guard in kudos.models.
    for event in audit_rows:
        session.execute(update(AuditEvent).where(AuditEvent.id == event.id).values(
            actor=alias if event.actor == name else event.actor,
            details=_scrub(event.details, name, alias) or "{}",
            object_id=subject_hash(config, name) if event.object_type == "person" else event.object_id,
        ).execution_options(synchronize_session=False))
    session.add(AuditEvent(
        actor=alias, action=ERASED_ACTION, object_type="person", object_id=subject_hash(config, name), at=now,
        details=json.dumps({"nominations_received": len(received), "nominations_made": len(made),
                            "published_elsewhere": len(links)}, sort_keys=True)))
    session.flush()
    return Erasure(alias, len(received), len(made), links)


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


def _scrub_rows(session: Session, query: Any, columns: Iterable[str], name: str, alias: str) -> None:
    for row in session.scalars(query):
        for column in columns:
            setattr(row, column, _scrub(getattr(row, column), name, alias))
