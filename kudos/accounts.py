"""Recipients' accounts on each wiki, by id, so a renamed recipient is found under their new name.

When someone is nominated, the wiki has just told us the recipient's local user id (and, on Wikimedia
wikis, their CentralAuth id); `remember_ids` / `remember_many` store them (`WikiAccount`,
`Person.central_id`). The delivery job looks people up by those ids when the stored name no longer
exists, and `rename` then moves the Person, and the nominations naming them, to the new name.

What is stored where:
- `WikiAccount(person, wiki, user_id)`: the local id on that wiki. Every wiki has one and a rename keeps
  it (a global rename too), so it is what the job asks for (`list=users&ususerids=`, 50 a request).
- `Person.central_id`: only a real CentralAuth id (`centralids.CentralAuth`). On a wiki without
  CentralAuth MediaWiki's "central" id (`centralids.local`) is just the local id again, which is not
  unique across wikis, so it is never put there.

Kudos has one Person per user name, for all wikis. A rename seen on a wiki with CentralAuth (a global
rename) moves that person's nominations on every wiki; a rename on a wiki without it moves only that
wiki's nominations, since the old name may still be someone else elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kudos import audit, people
from kudos.clock import utcnow
from kudos.models import Consent, Nomination, Person, WikiAccount
from kudos.names import canonical_username

CHUNK = 500  # names or ids per IN list
RENAMED = "person.renamed"


@dataclass(frozen=True)
class Ids:
    """What the wiki reported about an account: `list=users` `userid` and `centralids.CentralAuth`."""

    user_id: int | None
    central_id: int | None = None


def remember_ids(session: Session, username: str, wiki: str, ids: Ids, actor: str) -> Person:
    """Record the recipient's ids on `wiki`; returns their Person (created if new)."""
    name = canonical_username(username)
    remember_many(session, wiki, {name: ids}, actor)
    person = people.find(session, name)
    assert person is not None
    return person


def remember_many(session: Session, wiki: str, found: Mapping[str, Ids], actor: str) -> None:
    """`remember_ids` for a whole list (bulk nominations) in a few queries, whatever its length."""
    wanted = {canonical_username(n): ids for n, ids in found.items() if ids.user_id or ids.central_id}
    if not wanted:
        return
    # Someone already known under another name by one of these ids was renamed: follow them first,
    # so their consent and opt-out carry over to the new name.
    for old, new in _moved(session, wiki, wanted).items():
        rename(session, old, new, wiki=wiki, actor=actor, reason="nominated under the new name")
    persons = {p.username: p for p in _chunked(session, list(wanted), lambda chunk: select(Person).where(
        Person.username.in_(chunk)))}
    for name in wanted:
        if name not in persons:
            persons[name] = Person(username=name, consent=Consent.unknown, opted_out=False)
            session.add(persons[name])
    session.flush()
    accounts = {a.person_id: a for a in _chunked(session, [p.id for p in persons.values()],
                                                  lambda chunk: select(WikiAccount).where(
                                                      WikiAccount.wiki == wiki, WikiAccount.person_id.in_(chunk)))}
    now = utcnow()
    for name, ids in wanted.items():
        person = persons[name]
        if ids.central_id and person.central_id != ids.central_id:
            person.central_id = ids.central_id
        if not ids.user_id:
            continue
        account = accounts.get(person.id)
        if account is None:
            session.add(WikiAccount(person_id=person.id, wiki=wiki, user_id=ids.user_id, seen_at=now))
        elif account.user_id != ids.user_id:
            # The name now belongs to another account than the one recorded (renamed away, then taken).
            audit.record(session, actor, "person.account_changed", person, wiki=wiki,
                         before=audit.Identifies(name, account.user_id), after=audit.Identifies(name, ids.user_id))
            account.user_id = ids.user_id
            account.seen_at = now
        else:
            account.seen_at = now
    session.flush()


def _moved(session: Session, wiki: str, wanted: Mapping[str, Ids]) -> dict[str, str]:
    """{old name: new name} for the accounts among `wanted` that Kudos knows under another name."""
    by_user_id = {ids.user_id: name for name, ids in wanted.items() if ids.user_id}
    by_central = {ids.central_id: name for name, ids in wanted.items() if ids.central_id}
    moved: dict[str, str] = {}
    for username, user_id in _chunked_rows(session, list(by_user_id), lambda chunk: select(
            Person.username, WikiAccount.user_id).join(WikiAccount).where(
            WikiAccount.wiki == wiki, WikiAccount.user_id.in_(chunk))):
        if username != by_user_id[user_id]:
            moved[username] = by_user_id[user_id]
    for username, central_id in _chunked_rows(session, list(by_central), lambda chunk: select(
            Person.username, Person.central_id).where(Person.central_id.in_(chunk))):
        if username != by_central[central_id]:
            moved.setdefault(username, by_central[central_id])
    return moved


def known_ids(session: Session, wiki: str, names: Iterable[str]) -> dict[str, int]:
    """User name → the local user id recorded on `wiki`, for those Kudos has one."""
    wanted = sorted({canonical_username(n) for n in names})
    return dict(_chunked_rows(session, wanted, lambda chunk: select(Person.username, WikiAccount.user_id).join(
        WikiAccount).where(WikiAccount.wiki == wiki, Person.username.in_(chunk))))


def rename(session: Session, old: str, new: str, *, wiki: str, actor: str, reason: str) -> Person | None:
    """The person known as `old` is now `new` (the wiki said so by id): move them and their nominations.

    If Kudos already has a Person called `new` (nominated under the new name before the rename was
    noticed), the two are one person: the records are merged, keeping the most recent consent answer
    and any opt-out. Audited as `person.renamed` (RENAMED).
    """
    old, new = canonical_username(old), canonical_username(new)
    person = people.find(session, old)
    if person is None or not new or old == new:
        return person
    other = people.find(session, new)
    merged = None
    if other is not None:
        merged = other.id
        _merge(session, keep=person, drop=other)
    person.username = new
    global_rename = person.central_id is not None
    nominations = select(Nomination).where(Nomination.recipient == old)
    if not global_rename:
        nominations = nominations.where(Nomination.wiki == wiki)
    moved = _rename_nominations(session, list(session.scalars(nominations)), new)
    audit.record(session, actor, RENAMED, person, before=audit.Identifies(new, old),
                 after=audit.name(new), wiki=wiki, reason=reason, nominations=len(moved), merged=merged,
                 everywhere=global_rename)
    audit.follow_rename(session, old, new, person.id, moved)
    session.flush()
    return person


def _merge(session: Session, keep: Person, drop: Person) -> None:
    if drop.consent != Consent.unknown and (keep.consent == Consent.unknown or (
            drop.consent_at and (keep.consent_at is None or drop.consent_at > keep.consent_at))):
        keep.consent, keep.consent_at = drop.consent, drop.consent_at
    keep.opted_out = keep.opted_out or drop.opted_out
    keep.language = keep.language or drop.language
    central = keep.central_id or drop.central_id
    kept_wikis = {a.wiki for a in keep.accounts}
    carried = [(a.wiki, a.user_id, a.seen_at) for a in drop.accounts if a.wiki not in kept_wikis]
    # The dropped row holds the unique name and ids; it must be gone before `keep` takes them.
    session.delete(drop)
    session.flush()
    keep.central_id = central
    for wiki, user_id, seen_at in carried:
        keep.accounts.append(WikiAccount(wiki=wiki, user_id=user_id, seen_at=seen_at))


def _rename_nominations(session: Session, rows: list[Nomination], new: str) -> list[int]:
    from kudos.nominations import pending_key  # nominations imports this module's caller, people

    for nomination in rows:
        nomination.recipient = new
        if nomination.pending_key is not None:
            key = pending_key(nomination.campaign_id, nomination.nominator, new)
            taken = session.scalar(select(Nomination.id).where(Nomination.pending_key == key))
            # Two pending nominations of one person by one nominator: keep both, the older keeps its key.
            nomination.pending_key = key if taken is None else nomination.pending_key
    return [nomination.id for nomination in rows]


def _chunked(session: Session, values: list[Any], query: Callable[[list[Any]], Any]) -> list[Any]:
    out: list[Any] = []
    for start in range(0, len(values), CHUNK):
        out.extend(session.scalars(query(values[start:start + CHUNK])))
    return out


def _chunked_rows(session: Session, values: list[Any], query: Callable[[list[Any]], Any]) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    for start in range(0, len(values), CHUNK):
        out.extend(tuple(row) for row in session.execute(query(values[start:start + CHUNK])))
    return out
