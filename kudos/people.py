"""People as recipients: consent to social sharing and opting out of awards."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from kudos import audit
from kudos.clock import utcnow
from kudos.models import Consent, Person
from kudos.names import canonical_username


def find(session: Session, username: str) -> Person | None:
    return session.scalar(select(Person).where(Person.username == canonical_username(username)))


def get_or_create(session: Session, username: str) -> Person:
    person = find(session, username)
    if person is None:
        person = Person(username=canonical_username(username), consent=Consent.unknown, opted_out=False)
        session.add(person)
        session.flush()
    return person


def consent_of(session: Session, username: str) -> Consent:
    person = find(session, username)
    return person.consent if person else Consent.unknown


def is_opted_out(session: Session, username: str) -> bool:
    person = find(session, username)
    return bool(person and person.opted_out)


def set_consent(session: Session, username: str, consent: Consent, actor: str | None = None) -> Person:
    """Record the recipient's answer and apply it to their social deliveries in the same transaction."""
    from kudos import consent as gate  # the gate imports the outbox, which imports this module

    person = get_or_create(session, username)
    if person.consent != consent:
        audit.record(session, actor or person.username, "consent." + consent.value, person,
                     before=person.consent.value)
        person.consent = consent
        person.consent_at = utcnow()
    # Applied even when the answer did not change, so a delivery created in a race is not left behind.
    if consent == Consent.granted:
        gate.release(session, person.username)
    elif consent == Consent.refused:
        gate.refuse(session, person.username)
    return person


def set_opt_out(session: Session, username: str, opted_out: bool, actor: str | None = None) -> Person:
    person = get_or_create(session, username)
    if person.opted_out != opted_out:
        person.opted_out = opted_out
        audit.record(session, actor or person.username, "opt_out" if opted_out else "opt_in", person)
    return person
