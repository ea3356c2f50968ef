"""The "sending" mark: written to the delivery row before a request goes out, cleared when it surely did not.

If the job dies between sending and recording, the next attempt finds the mark still there and knows
the first attempt's fate is unknown. Channels that can look (Mastodon, Matrix, Bluesky: `find`) look
before sending again; channels that cannot (Telegram, Discord, Slack, Zulip) are not sent again — at
most once — and the delivery fails with a reason asking an organizer to check the chat; the organizer's
retry calls `allow_resend`. The mark lives in `Delivery.external_id`, which a successful delivery
overwrites with the real post id, so no schema change is needed.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from kudos import figures_version, wall_version
from kudos.db import Database
from kudos.models import Delivery

_UNSEEN = {**wall_version.UNSEEN, **figures_version.UNCOUNTED}

SENDING = "sending"


def interrupted(delivery: Delivery) -> bool:
    """An earlier attempt sent (or may have sent) and its result was never recorded."""
    return delivery.external_id == SENDING


def allow_resend(session: Session, delivery: Delivery) -> None:
    """An organizer checked that the post is missing: the next attempt may send again."""
    if delivery.external_id == SENDING:
        delivery.external_id = None


class Journal:
    """Writes the mark in its own short transaction, from whichever thread is about to send."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def sending(self, delivery_id: int) -> None:
        with self.database.transaction() as session:
            # A social delivery's own mark: nothing the wall shows (kudos.wall_version) nor any dashboard figure.
            session.execute(update(Delivery).where(Delivery.id == delivery_id, Delivery.external_id.is_(None))
                            .values(external_id=SENDING).execution_options(**_UNSEEN))

    def not_sent(self, delivery_id: int) -> None:
        with self.database.transaction() as session:
            session.execute(update(Delivery).where(Delivery.id == delivery_id, Delivery.external_id == SENDING)
                            .values(external_id=None).execution_options(**_UNSEEN))
