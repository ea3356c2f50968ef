"""Writing the audit log. Every state change calls `record` inside the same transaction.

Each event also records whom it is about (`AuditSubject` rows: an exact canonical user name and a role),
so that a person's export and erasure (`kudos.privacy`) find exactly their rows through an index, never
by searching the details' text, where "E" would find "Eve" and "Great" would find "Great work". An event
is about:

- its actor, when the actor is a person rather than Kudos itself (`TOOL_ACTORS`)         role `actor`
- the person whose Person row is its object (consent, opt-out, rename, account change)   role `person`
- the nominator and the recipient of the nomination it is about (its object, or the nomination of the
  delivery that is its object), and the nomination's reviewer once it has one    roles `nominator`,
                                                                                 `recipient`, `reviewer`
- whoever a detail identifies: `username=audit.name(username)` (an appointed organizer, a hidden
  participant, a nomination's recipient) or `Identifies(person, value)` (a former name of the person,
  an id of one of their accounts)                                                role `details.<key>`

Nothing else makes an event about someone: messages, reasons and errors that happen to contain a name
are words about the event, written by others.

Adding an event: pass the object it changed (its people follow from it) and wrap every detail that names
or identifies a person; nothing else is needed for export and erasure, which replace exactly the actor,
the person object and the wrapped details by the person's pseudonym:

    audit.record(session, actor, "campaign.organizer.add", campaign, username=audit.name(username))
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from kudos import plaintext
from kudos.models import TRUSTED_PREFIX, AuditEvent, AuditSubject, Delivery, Nomination, Person
from kudos.names import canonical_username

# What Kudos itself writes as the actor (the delivery job, start-up campaign sync, the command line's
# default): these are nobody, so no person's export holds, or erasure touches, an event for being its actor.
TOOL_ACTORS = frozenset({"Kudos", "Kudos delivery job", "Kudos maintainer"})


@dataclass(frozen=True)
class Identifies:
    """A detail whose value identifies `person`: their name, a former name, an id of one of their accounts."""

    person: str
    value: object


def name(username: str) -> Identifies:
    """A detail that is a person's user name (stored in canonical form)."""
    canonical = canonical_username(username)
    return Identifies(canonical, canonical)


def dumps(details: dict[str, Any]) -> str:
    return json.dumps(details, ensure_ascii=False, default=str, sort_keys=True)


def record(session: Session, actor: str, action: str, obj: Any, **details: Any) -> AuditEvent:
    object_type = getattr(obj, "__tablename__", type(obj).__name__.lower())
    object_id = str(getattr(obj, "id", None) or getattr(obj, "slug", "") or obj)
    actor = plaintext.line(actor)
    subjects = _object_subjects(obj)
    if actor not in TOOL_ACTORS:
        subjects.add((canonical_username(actor), "actor"))
    for key, value in details.items():
        if isinstance(value, Identifies):
            subjects.add((canonical_username(value.person), f"details.{key}"))
            details[key] = value.value
    event = AuditEvent(actor=actor, action=action, object_type=object_type, object_id=object_id,
                       details=dumps(details),
                       subjects=[AuditSubject(name=n, role=role) for n, role in sorted(subjects) if n])
    session.add(event)
    return event


def _object_subjects(obj: Any) -> set[tuple[str, str]]:
    if isinstance(obj, Person):
        return {(obj.username, "person")}
    nomination = obj.nomination if isinstance(obj, Delivery) else obj
    if not isinstance(nomination, Nomination):
        return set()
    found = {(nomination.nominator, "nominator"), (nomination.recipient, "recipient")}
    if nomination.reviewer:
        found.add((nomination.reviewer.removeprefix(TRUSTED_PREFIX), "reviewer"))
    return found


def follow_rename(session: Session, old: str, new: str, person_id: int, nomination_ids: Sequence[int]) -> None:
    """Kudos followed a rename (`kudos.accounts.rename`): the events about the person's row, and about the
    nominations that moved to the new name, are about the person under that name. Their details keep the
    old name as history; the subject rows still say where it is, so erasure replaces it too."""
    deliveries = select(Delivery.id).where(Delivery.nomination_id.in_(nomination_ids or [-1]))
    events = select(AuditEvent.id).where(or_(
        (AuditEvent.object_type == "person") & (AuditEvent.object_id == str(person_id)),
        (AuditEvent.object_type == "nomination") & AuditEvent.object_id.in_([str(i) for i in nomination_ids]),
        (AuditEvent.object_type == "delivery") & AuditEvent.object_id.in_(
            [str(i) for i in session.scalars(deliveries)]),
    ))
    session.execute(update(AuditSubject).where(AuditSubject.name == old, AuditSubject.event_id.in_(events))
                    .values(name=new).execution_options(synchronize_session=False))
