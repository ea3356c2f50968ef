"""The version of each campaign's dashboard figures: a counter per campaign that moves with every unit of work
that changed a row they are counted from.

The organizer's home (`kudos.dashboard`) keeps each campaign's figures under the campaign's version, so a page
of thirty campaigns counts again only those whose rows changed since they were last counted, and reads the
others' versions with the campaigns themselves. As for the wall's version (`kudos.wall_version`), no writer is
trusted to remember: every unit of work of the tool's sessions is watched (`watch`, installed by
`kudos.db.Database`).

- Watched rows: nominations, deliveries and participants (by the campaign they belong to, before and after the
  change) and campaigns (their end decides whether a follow-up reminder is counted). Any change to such a row
  moves its campaign's version, whatever column changed: a spare count costs a millisecond, a missed one
  shows an organizer a wrong figure.
- A bulk statement (`session.execute(update(…))`) names no campaign: it moves GENERATION, row 0, which is part
  of every campaign's version, unless it says it cannot change a figure (`UNCOUNTED`: the delivery job's
  claims and releases, which move deliveries between pending and claimed, neither of them counted).
- The versions move as the committing transaction's last statements (before the wall's), one statement in
  the order of the campaigns' ids: a transaction holding one waits for nothing but the next, in the same order
  as every other, so they take part in no deadlock. A campaign without a row is at version 0; its first change
  writes 1. No foreign key ties a row to its campaign: a campaign given a deleted one's id starts past it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker
from sqlalchemy.orm.attributes import NO_VALUE

from kudos import counters
from kudos.models import Campaign, Delivery, FiguresVersion, Nomination, Participant

GENERATION = 0  # the row moved by changes whose campaigns are not known: part of every campaign's version
# `.execution_options(**UNCOUNTED)` on a bulk statement that cannot change any dashboard figure.
_UNCOUNTED = "kudos_figures_uncounted"
UNCOUNTED = {_UNCOUNTED: True}
_CHANGED = "kudos.figures_changed"
_BY_CAMPAIGN = (Nomination, Delivery, Participant)  # rows that belong to a campaign by their campaign_id
WATCHED = frozenset(model.__tablename__ for model in (*_BY_CAMPAIGN, Campaign))


def watch(sessions: sessionmaker[Session]) -> None:
    """Every unit of work of these sessions moves the versions of the campaigns whose figures it changed."""
    event.listen(sessions, "after_flush", _after_flush)
    event.listen(sessions, "do_orm_execute", _bulk_statement)
    counters.at_commit(sessions, _CHANGED, bump)


def bump(session: Session, campaign_ids: set[int]) -> None:
    """Move these campaigns' versions (the watch does this; GENERATION moves every campaign's)."""
    rows = [{"campaign_id": campaign_id, "version": 1} for campaign_id in sorted(campaign_ids)]
    session.execute(counters.upsert(session, FiguresVersion, rows, ["campaign_id"],
                                    {"version": FiguresVersion.version + 1}))


def _campaigns_of(obj: Any) -> set[int]:
    """The campaigns a changed row belongs to, before and after the change; GENERATION when one is unknown."""
    if isinstance(obj, Campaign):
        return {obj.id} if obj.id is not None else {GENERATION}
    added, unchanged, deleted = inspect(obj).attrs["campaign_id"].history
    values = [*added, *unchanged, *deleted]
    if not values or any(value is NO_VALUE or value is None for value in values):
        return {GENERATION}
    return {int(value) for value in values}


def _after_flush(session: Session, _context: Any) -> None:
    # After the flush, the session's lists and attribute histories still describe what it wrote.
    changed: set[int] = session.info.setdefault(_CHANGED, set())
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, (*_BY_CAMPAIGN, Campaign)):
            changed |= _campaigns_of(obj)


def _bulk_statement(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) in WATCHED and not state.execution_options.get(_UNCOUNTED):
        state.session.info.setdefault(_CHANGED, set()).add(GENERATION)

