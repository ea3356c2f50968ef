"""whom each audit event is about, by exact name, so export and erasure never search the details' text

Revision ID: 0006_privacy
Revises: 0005_delivery_campaign
Create Date: 2026-12-05

Existing events get their subjects from structured facts only (kudos.audit explains the roles): the actor,
the Person row or nomination (or the delivery's nomination) that is the object, and the exact detail keys
that name people in each kind of event. A detail's text is never searched.
"""

import json
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from alembic import op

from kudos.audit import TOOL_ACTORS
from kudos.names import canonical_username

revision = '0006_privacy'
down_revision = '0005_delivery_campaign'
branch_labels = None
depends_on = None

CHUNK = 2000
TRUSTED_PREFIX = "trusted:"
# Before this revision, these details named a person (by action: the keys).
NAMED = {"nomination.create": ("recipient",), "campaign.organizer.add": ("username",),
         "campaign.trusted.add": ("username",), "campaign.participant.hide": ("username",),
         "campaign.participant.show": ("username",)}
# …and these identified the person who is the event's object (a former name, account ids).
OF_THE_PERSON = {"person.renamed": ("before", "after"), "person.account_changed": ("before", "after")}
BEFORE_REVIEW = ("nomination.create", "nomination.edit")

event = sa.table('audit_event', sa.column('id', sa.Integer), sa.column('actor', sa.String),
                 sa.column('action', sa.String), sa.column('object_type', sa.String),
                 sa.column('object_id', sa.String), sa.column('details', sa.Text))
subject = sa.table('audit_subject', sa.column('event_id', sa.Integer), sa.column('name', sa.String),
                   sa.column('role', sa.String))


def upgrade() -> None:
    op.create_table('audit_subject',
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['audit_event.id'], name=op.f('fk_audit_subject_event_id_audit_event'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('event_id', 'name', 'role', name=op.f('pk_audit_subject')),
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_bin',
    mysql_engine='InnoDB'
    )
    with op.batch_alter_table('audit_subject', schema=None) as batch_op:
        batch_op.create_index('ix_audit_subject_name', ['name'], unique=False)
    _back_fill(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table('audit_subject', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_subject_name')
    op.drop_table('audit_subject')


def _back_fill(connection: sa.Connection) -> None:
    persons = dict(connection.execute(sa.text("SELECT id, username FROM person")).all())
    nominations = {row[0]: row[1:] for row in connection.execute(sa.text(
        "SELECT id, nominator, recipient, reviewer FROM nomination"))}
    deliveries = dict(connection.execute(sa.text("SELECT id, nomination_id FROM delivery")).all())
    for rows in _chunks(connection):
        found = set()
        for event_id, actor, action, object_type, object_id, details in rows:
            nomination = None
            number = int(object_id) if object_id.isdigit() else None
            if object_type == "nomination":
                nomination = nominations.get(number)
            elif object_type == "delivery":
                nomination = nominations.get(deliveries.get(number))
            person = persons.get(number) if object_type == "person" else None
            found |= {(event_id, name, role) for name, role in _subjects(
                actor, action, person, nomination, _loads(details))}
        if found:
            connection.execute(sa.insert(subject), [
                {"event_id": e, "name": n, "role": r} for e, n, r in sorted(found)])


def _subjects(actor: str, action: str, person: str | None, nomination: tuple[str, str, str | None] | None,
              details: dict[str, Any]) -> Iterator[tuple[str, str]]:
    if actor not in TOOL_ACTORS:
        yield canonical_username(actor), "actor"
    if person is not None:
        yield person, "person"
    if nomination is not None:
        nominator, recipient, reviewer = nomination
        yield nominator, "nominator"
        yield recipient, "recipient"
        if reviewer and action not in BEFORE_REVIEW:
            yield reviewer.removeprefix(TRUSTED_PREFIX), "reviewer"
    for key in NAMED.get(action, ()):
        if isinstance(details.get(key), str):
            # A nomination's recipient may have been renamed since: the detail identifies them as they are now.
            named = nomination[1] if nomination is not None and key == "recipient" else details[key]
            yield canonical_username(named), f"details.{key}"
    for key in OF_THE_PERSON.get(action, ()):
        owner = person or details.get("after")
        if key in details and isinstance(owner, str):
            yield canonical_username(owner), f"details.{key}"


def _loads(details: str | None) -> dict[str, Any]:
    try:
        loaded = json.loads(details or "{}")
    except ValueError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _chunks(connection: sa.Connection) -> Iterator[list[tuple[Any, ...]]]:
    last = 0
    while True:
        rows = [tuple(r) for r in connection.execute(
            sa.select(event.c.id, event.c.actor, event.c.action, event.c.object_type, event.c.object_id,
                      event.c.details).where(event.c.id > last).order_by(event.c.id).limit(CHUNK))]
        if not rows:
            return
        yield rows
        last = rows[-1][0]
