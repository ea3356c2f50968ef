"""The version of what the public wall shows: a counter that moves with every change a reader could see.

The feeds and the JSON API answer a poll that has already seen the current version with 304 Not Modified
(`kudos.web.conditional`), so the version must move whenever anything they show changes, not only when a
shout-out is delivered: a recipient's yes or no to sharing (a name appears or goes), an erasure, a rename,
an edited message, a campaign's name. A stale 304 that keeps an erased person's name in a feed reader is a
privacy failure, so no writer is trusted to remember: every unit of work is watched (`watch`, installed by
`kudos.db.Database`), and one that changed a row the wall shows moves the version before it commits.

- Rows the wall shows: wall and talk-page deliveries that are or were `done` (the talk page's edit is the
  permalink's diff link), nominations that are or were approved, people (their name and their consent) and
  campaigns (slug and name). Changes to anything else (claims, attempts, sessions, audit rows, pending
  nominations) leave the version alone, so feed readers keep their 304s while the job works.
- Bulk statements (`session.execute(update(…))`) on those tables move the version too, unless they say they
  cannot change what the wall shows (`UNSEEN`): the claims of the delivery job, which only ever touch rows
  that are not `done`.

The version is one row, moved by the committing transaction as its last statement: the row lock orders the
versions as the commits are ordered, so a reader who saw version n has seen every change up to n; held only
while the transaction commits, the lock waits for nothing else and so takes part in no deadlock. `modified`
(Unix seconds) moves on by a second at least each time: it is the feeds' Last-Modified, and an HTTP date
has whole seconds, so two changes within one second still give two dates.
"""

from __future__ import annotations

import calendar
from typing import Any

from sqlalchemy import Connection, case, event, inspect, select
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker
from sqlalchemy.orm.attributes import NO_VALUE

from kudos import counters
from kudos.clock import utcnow
from kudos.models import Campaign, Consent, Delivery, DeliveryStatus, Nomination, NominationStatus, Person, WallVersion
from kudos.outbox import TALKPAGE, WALL

ROW = 1
# `.execution_options(**UNSEEN)` on a bulk statement that cannot change what the wall shows.
_UNSEEN = "kudos_wall_unseen"
UNSEEN = {_UNSEEN: True}
_CHANGED = "kudos.wall_changed"
_UNKNOWN = object()  # an attribute's value the session never loaded: assume the worst

# What the wall shows of each watched table (and which rows at all: `_shown`). A column the wall starts to
# show or filter on belongs here (tests/test_conditional.py compares this with kudos.wall's query).
SHOWN: dict[type, tuple[str, ...]] = {
    Delivery: ("status", "done_at", "external_url", "nomination_id", "campaign_id", "channel"),
    Nomination: ("status", "wiki", "nominator", "recipient", "award", "message", "link", "created_at",
                 "campaign_id"),
    Person: ("username", "consent"),
    Campaign: ("slug", "name"),
}
_TABLES = frozenset(model.__tablename__ for model in SHOWN)  # type: ignore[attr-defined]
_READ = select(WallVersion.version, WallVersion.modified).where(WallVersion.id == ROW)


def read(connection: Connection | Session) -> tuple[int, int]:
    """(version, modified): one lookup by primary key. (0, 0) before anything was ever counted."""
    row = connection.execute(_READ).first()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def watch(sessions: sessionmaker[Session]) -> None:
    """Every unit of work of these sessions moves the version when it changes what the wall shows."""
    event.listen(sessions, "after_flush", _after_flush)
    event.listen(sessions, "do_orm_execute", _bulk_statement)
    counters.at_commit(sessions, _CHANGED, lambda session, _changed: bump(session))


def bump(session: Session) -> None:
    """Move the version (the watch does this; call it directly only for a change it cannot see)."""
    now = calendar.timegm(utcnow().timetuple())
    values = {"version": WallVersion.version + 1,
              "modified": case((WallVersion.modified + 1 > now, WallVersion.modified + 1), else_=now)}
    # An upsert: the migration writes the row, but a database emptied row by row (the tests') has none.
    row = {"id": ROW, "version": 1, "modified": now}
    session.execute(counters.upsert(session, WallVersion, row, ["id"], values))


def _value(obj: Any, key: str, *, before: bool) -> Any:
    added, unchanged, deleted = inspect(obj).attrs[key].history
    found = (deleted if before else added) or unchanged
    # Not loaded, or overwritten without being read: unknown, so assume the worst.
    return found[0] if found and found[0] is not NO_VALUE else _UNKNOWN


def _shown(obj: Any, *, before: bool) -> bool:
    """Whether the row is (or, before=True, was before this unit of work) one that the wall shows."""
    if isinstance(obj, Delivery):
        return (_value(obj, "status", before=before) in (DeliveryStatus.done, _UNKNOWN)
                and _value(obj, "channel", before=before) in (WALL, TALKPAGE, _UNKNOWN))
    if isinstance(obj, Nomination):
        # Approving shows nothing yet: a nomination appears with its wall delivery, which counts itself.
        return before and _value(obj, "status", before=True) in (NominationStatus.approved, _UNKNOWN)
    if isinstance(obj, Person):
        # Without a yes to sharing, the wall names nobody: the row changes nothing there.
        return _value(obj, "consent", before=before) in (Consent.granted, _UNKNOWN)
    return before  # a campaign: a new one has no shout-outs yet


def _shows_change(session: Session) -> bool:
    if any(type(obj) in SHOWN and _shown(obj, before=False) for obj in session.new):
        return True
    if any(type(obj) in SHOWN and _shown(obj, before=True) for obj in session.deleted):
        return True
    for obj in session.dirty:
        shown = SHOWN.get(type(obj))
        if shown and (_shown(obj, before=True) or _shown(obj, before=False)) and any(
                inspect(obj).attrs[key].history.has_changes() for key in shown):
            return True
    return False


def _after_flush(session: Session, _context: Any) -> None:
    # After the flush, the session's lists and attribute histories still describe what it wrote.
    if not session.info.get(_CHANGED) and _shows_change(session):
        session.info[_CHANGED] = True


def _bulk_statement(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) in _TABLES and not state.execution_options.get(_UNSEEN):
        state.session.info[_CHANGED] = True

