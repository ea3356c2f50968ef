"""What organizers decide about a suggestion, each audited and within the caller's transaction.

- *Snooze*: hidden until the campaign's `suggest_snooze_days` have passed.
- *Not for this campaign*: hidden for good, recording who decided; *Undo* brings the person back (at the
  next refresh, if they still meet the bar).
- *Thank*: a nomination made from a suggestion is recorded on it, for the report. Several people at once
  go through the bulk page's rules (`kudos.bulk.create_lines`): the same checks and one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from kudos import audit, bulk, ids, plaintext
from kudos.config import Config
from kudos.errors import DomainError, NotFound
from kudos.models import Campaign, Nomination, Suggestion
from kudos.names import canonical_username

MAX_AT_ONCE = 200


def get(session: Session, campaign: Campaign, user_id: int) -> Suggestion:
    row = session.get(Suggestion, (campaign.id, user_id)) if 0 < user_id <= ids.MAX else None
    if row is None:
        raise NotFound("kudos-error-suggestion-not-found", user_id, campaign.name)
    return row


def snooze(session: Session, campaign: Campaign, user_id: int, actor: str, now: datetime) -> Suggestion:
    row = get(session, campaign, user_id)
    row.snoozed_until = now + timedelta(days=campaign.suggest_snooze_days)
    row.snoozed_by = canonical_username(actor)
    audit.record(session, actor, "suggestion.snooze", campaign, username=audit.name(row.username),
                 until=row.snoozed_until)
    return row


def dismiss(session: Session, campaign: Campaign, user_id: int, actor: str, now: datetime) -> Suggestion:
    row = get(session, campaign, user_id)
    if row.dismissed_at is not None:
        raise DomainError("kudos-error-suggestion-set-aside", row.username, row.dismissed_by or "")
    row.dismissed_at, row.dismissed_by = now, canonical_username(actor)
    audit.record(session, actor, "suggestion.dismiss", campaign, username=audit.name(row.username))
    return row


def restore(session: Session, campaign: Campaign, user_id: int, actor: str) -> Suggestion:
    """Undo "not for this campaign" (and any snooze): the person may be suggested again."""
    row = get(session, campaign, user_id)
    if row.dismissed_at is None and row.snoozed_until is None:
        raise DomainError("kudos-error-suggestion-not-set-aside", row.username)
    row.dismissed_at = row.dismissed_by = row.snoozed_until = row.snoozed_by = None
    audit.record(session, actor, "suggestion.restore", campaign, username=audit.name(row.username))
    return row


def record_thanks(session: Session, campaign: Campaign, nominations: Iterable[Nomination], now: datetime) -> int:
    """Nominations made from the suggestions page: each recipient's suggestion remembers the first one."""
    by_name = {n.recipient: n for n in nominations}
    if not by_name:
        return 0
    recorded = 0
    for row in session.scalars(select(Suggestion).where(
            Suggestion.campaign_id == campaign.id, Suggestion.username.in_(list(by_name)),
            Suggestion.eligible_since.is_not(None), Suggestion.thanked_at.is_(None))):
        row.thanked_at, row.nomination_id = now, by_name[row.username].id
        recorded += 1
    return recorded


def thank_several(session: Session, config: Config, *, campaign: Campaign, organizer: str,
                  picks: list[tuple[int, str]], award: str, approve: bool, lookup: bulk.Lookup,
                  now: datetime) -> bulk.Result:
    """Nominate the ticked people, each with their own line, exactly as the bulk page would."""
    if not picks:
        raise DomainError("kudos-error-suggestions-none-ticked")
    if len(picks) > MAX_AT_ONCE:
        raise DomainError("kudos-error-suggestions-too-many", MAX_AT_ONCE, len(picks))
    lines = []
    for number, (user_id, message) in enumerate(picks, start=1):
        row = get(session, campaign, user_id)
        lines.append(bulk.Line(number, row.username, row.username, plaintext.line(message)))
    result = bulk.create_lines(session, config, campaign=campaign, organizer=organizer, lines=lines,
                               default_message="", award=award, approve=approve, lookup=lookup, now=now)
    record_thanks(session, campaign, result.created, now)
    return result
