"""Nominations after an event: an organizer pastes the participant list and everyone is thanked at once.

Every name is checked against the wiki in batches of 50 (`list=users` takes 50 names a request) through
a `lookup(names) -> {name: WikiUser}` callable, and against the database in one query per rule, so 500
names take a handful of requests and queries rather than a few per name. The valid lines become
nominations in the caller's single transaction; the others come back with their line number and why.
Each nomination of a list counts against the organizer's daily bulk allowance (kudos.allowance).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from kudos import accounts, allowance, audit, nominations, plaintext
from kudos.awards import find_offered
from kudos.clock import utcnow
from kudos.config import Config
from kudos.errors import DomainError
from kudos.models import Campaign, Consent, Nomination, NominationStatus, Person
from kudos.names import canonical_username

BATCH = 50
MAX_LINES = 2000
_USER_PREFIXES = ("user:", "[[user:")


@dataclass(frozen=True)
class WikiUser:
    exists: bool
    blocked: bool = False
    invalid: bool = False


class Standing(Protocol):
    """What the checks need to know of a name; `kudos.wikiapi.UserInfo` and `WikiUser` both fit."""

    @property
    def exists(self) -> bool: ...
    @property
    def blocked(self) -> bool: ...
    @property
    def invalid(self) -> bool: ...


Lookup = Callable[[Sequence[str]], Mapping[str, Standing]]


@dataclass
class Line:
    number: int
    text: str
    username: str
    message: str | None  # from the CSV column; None means "use the default message"
    problem: str | None = None


@dataclass
class Result:
    created: list[Nomination] = field(default_factory=list)
    problems: list[Line] = field(default_factory=list)
    approved: bool = False


def parse(text: str) -> list[Line]:
    """One user name per line, or CSV `username,message`; blank lines and a header line are ignored."""
    lines = []
    for number, raw in enumerate(plaintext.clean(text).split("\n"), start=1):
        if not raw.strip():
            continue
        if "," in raw:
            fields = next(csv.reader([raw], skipinitialspace=True), [""])
            name, message = fields[0], ",".join(fields[1:]).strip() or None
        else:
            name, message = raw, None
        name = _strip_user_prefix(name.strip())
        if number == 1 and name.lower() in ("username", "user name", "user"):
            continue
        lines.append(Line(number, raw.strip(), canonical_username(name), message))
    return lines


def _strip_user_prefix(name: str) -> str:
    lowered = name.lower()
    for prefix in _USER_PREFIXES:
        if lowered.startswith(prefix):
            name = name[len(prefix):]
            break
    return name.removesuffix("]]").split("|")[0]


def check(session: Session, campaign: Campaign, organizer: str, lines: list[Line], default_message: str,
          lookup: Lookup) -> dict[str, Standing]:
    """Mark each line's problem, if any. Cheap rules first; the wiki is asked only about the rest.

    Returns what the wiki said of each name it was asked about.
    """
    organizer = canonical_username(organizer)
    first_seen: dict[str, int] = {}
    for line in lines:
        if not line.username:
            line.problem = "There is no user name on this line."
        elif line.username in first_seen:
            line.problem = f"{line.username} is already on line {first_seen[line.username]}."
        elif line.username == organizer:
            line.problem = "You cannot nominate yourself."
        else:
            try:
                nominations.check_message(line.message or default_message)
            except DomainError as error:
                # A line with a bad message does not count as the name's first appearance: fixing it
                # on a later line should work.
                line.problem = error.message if line.message else "No message: " + error.message
                continue
            first_seen[line.username] = line.number
    todo = [line for line in lines if line.problem is None]
    names = [line.username for line in todo]
    found: dict[str, Standing] = {}
    for start in range(0, len(names), BATCH):
        found.update(lookup(names[start:start + BATCH]))
    opted_out = set(_in_chunks(session, names, lambda chunk: select(Person.username).where(
        Person.username.in_(chunk), Person.opted_out.is_(True))))
    keys = {nominations.pending_key(campaign.id, organizer, name): name for name in names}
    pending = {keys[k] for k in _in_chunks(session, list(keys), lambda chunk: select(Nomination.pending_key).where(
        Nomination.pending_key.in_(chunk)))}
    for line in todo:
        user = found.get(line.username)
        if user is None or user.invalid:
            line.problem = f"“{line.username}” is not a valid user name."
        elif not user.exists:
            line.problem = f"There is no user {line.username} on this wiki."
        elif user.blocked:
            line.problem = f"{line.username} is blocked on this wiki."
        elif line.username in opted_out:
            line.problem = f"{line.username} has chosen not to receive awards through Kudos."
        elif line.username in pending:
            line.problem = f"You already have a pending nomination of {line.username} in this campaign."
    return found


def _in_chunks(session: Session, values: list[str], query: Callable[[list[str]], Any], size: int = 500) -> list[Any]:
    # Hundreds of names fit one IN list; chunk anyway so a 2,000-line paste stays a few queries.
    out: list[Any] = []
    for start in range(0, len(values), size):
        out.extend(session.scalars(query(values[start:start + size])))
    return out


def create(session: Session, config: Config, *, campaign: Campaign, organizer: str, text: str,
           default_message: str, award: str, approve: bool, lookup: Lookup,
           now: datetime | None = None) -> Result:
    """Check the pasted list and turn its valid lines into nominations, within the caller's transaction."""
    lines = parse(text)
    if not lines:
        raise DomainError("kudos-bulk-names-required")
    if len(lines) > MAX_LINES:
        raise DomainError("kudos-error-bulk-too-many", MAX_LINES, len(lines))
    return create_lines(session, config, campaign=campaign, organizer=organizer, lines=lines,
                        default_message=default_message, award=award, approve=approve, lookup=lookup, now=now)


def create_lines(session: Session, config: Config, *, campaign: Campaign, organizer: str, lines: list[Line],
                 default_message: str, award: str, approve: bool, lookup: Lookup,
                 now: datetime | None = None) -> Result:
    """`create` for lines that are already apart (the suggestions page sends one per ticked person)."""
    now = now or utcnow()
    organizer = canonical_username(organizer)
    find_offered(config, campaign, award)
    found = check(session, campaign, organizer, lines, default_message, lookup)
    valid = [line for line in lines if line.problem is None]
    if valid:  # the whole list, or nothing: AllowanceSpent says how many more are left today
        allowance.take(session, config, organizer, allowance.Kind.bulk, len(valid), now)
    # The recipients' account ids, so the delivery job can follow a rename (kudos.accounts).
    accounts.remember_many(session, campaign.wiki, {
        line.username: accounts.Ids(getattr(found[line.username], "user_id", None),
                                    getattr(found[line.username], "central_id", None))
        for line in valid}, actor=organizer)
    result = Result(problems=[line for line in lines if line.problem], approved=approve)
    for line in valid:
        result.created.append(Nomination(
            campaign_id=campaign.id, campaign=campaign, wiki=campaign.wiki, nominator=organizer,
            recipient=line.username, award=award, message=nominations.check_message(line.message or default_message),
            link="", status=NominationStatus.pending, created_at=now,
            pending_key=nominations.pending_key(campaign.id, organizer, line.username),
        ))
    session.add_all(result.created)
    session.flush()
    for nomination in result.created:
        audit.record(session, organizer, "nomination.create", nomination, campaign=campaign.slug,
                     recipient=audit.name(nomination.recipient), award=award, bulk="yes")
    if approve and result.created:
        consents = _consents(session, [n.recipient for n in result.created])
        for nomination in result.created:
            nominations.approve_on_submission(session, config, nomination, organizer, now=now,
                                              consent=consents.get(nomination.recipient, Consent.unknown))
    session.flush()
    return result


def _consents(session: Session, names: list[str]) -> dict[str, Consent]:
    out: dict[str, Consent] = {}
    for start in range(0, len(names), 500):
        rows = session.execute(select(Person.username, Person.consent).where(
            Person.username.in_(names[start:start + 500])))
        out.update({username: consent for username, consent in rows})
    return out
