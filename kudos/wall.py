"""The public wall and feed: delivered shout-outs, with the recipient's name only after consent.

Every list is newest first and paged by keyset (`before` = the last wall delivery id seen), so a page
costs the same with a thousand shout-outs or a million.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from sqlalchemy import Select, and_, select
from sqlalchemy.orm import Session, aliased

from kudos.awards import award_name
from kudos.config import Config
from kudos.models import Campaign, Consent, Delivery, DeliveryStatus, Nomination, Person
from kudos.names import canonical_username
from kudos.outbox import TALKPAGE, WALL

PAGE_MAX = 100


def permalink(config: Config, nomination_id: int) -> str:
    """The shout-out's page on the wall: the one link the barnstar, feeds and every network show."""
    return f"{config.tool_url}/shoutouts/{nomination_id}"


def person_url(config: Config, wiki: str, username: str) -> str:
    """A recipient's own page (it exists only while they agree to public sharing: `has_personal_page`)."""
    name = canonical_username(username).replace(" ", "_")
    return f"{config.tool_url}/users/{quote(wiki, safe='')}/{quote(name, safe='')}"


@dataclass(frozen=True)
class ShoutOut:
    id: int  # the wall delivery's id: stable, and the keyset for pagination
    nomination_id: int
    wiki: str
    wiki_name: str
    campaign_slug: str
    campaign_name: str
    award: str  # the catalogue id
    award_name: str
    delivered_at: datetime
    # None unless the recipient consented: then the wall shows "a <wiki> editor" and nothing personal.
    recipient: str | None
    nominator: str | None
    message: str | None
    link: str | None
    diff_url: str | None = None  # the barnstar's edit on the wiki; it names the recipient, so only after consent

    @property
    def anonymous(self) -> bool:
        return self.recipient is None

    def public_fields(self) -> dict[str, Any]:
        """What the JSON API publishes: the same privacy rule as the pages (nothing personal without consent)."""
        return {
            "id": self.id, "nomination_id": self.nomination_id, "wiki": self.wiki, "wiki_name": self.wiki_name,
            "campaign": {"slug": self.campaign_slug, "name": self.campaign_name}, "award": self.award,
            "award_name": self.award_name,
            "delivered_at": self.delivered_at.isoformat() + "Z", "anonymous": self.anonymous,
            "recipient": self.recipient, "nominator": self.nominator, "message": self.message, "link": self.link,
        }


_TALK = aliased(Delivery, name="talk")
_COLUMNS = (
    Delivery.id, Delivery.done_at, Nomination.id, Nomination.wiki, Nomination.nominator, Nomination.recipient,
    Nomination.award, Nomination.message, Nomination.link, Nomination.created_at, Campaign.slug, Campaign.name,
    Person.consent, _TALK.external_url,
)


@functools.cache
def _base_query() -> Select[*tuple[Any, ...]]:
    # Plain columns rather than ORM entities: the wall is the busiest page, and rows are cheap this way.
    # Built once per process (statements are immutable; every filter below makes a new one).
    return (
        select(*_COLUMNS)
        .join(Nomination, Delivery.nomination_id == Nomination.id)
        .join(Campaign, Nomination.campaign_id == Campaign.id)
        .outerjoin(Person, Person.username == Nomination.recipient)
        # The barnstar's own delivery, by the unique (nomination, channel) index: one row at most.
        .outerjoin(_TALK, and_(_TALK.nomination_id == Nomination.id, _TALK.channel == TALKPAGE))
        .where(Delivery.channel == WALL, Delivery.status == DeliveryStatus.done)
    )


def _shoutout(config: Config, row: Any) -> ShoutOut:
    (delivery_id, done_at, nomination_id, wiki, nominator, recipient, award, message, link, created_at, slug, name,
     consent, diff_url) = row
    shared = consent == Consent.granted
    return ShoutOut(
        id=delivery_id, nomination_id=nomination_id, wiki=wiki, wiki_name=config.wiki_name(wiki), campaign_slug=slug,
        campaign_name=name, award=award, award_name=award_name(config, wiki, award),
        delivered_at=done_at or created_at,
        recipient=recipient if shared else None,
        nominator=nominator if shared else None,
        message=message if shared else None,
        link=link if shared else None,
        diff_url=diff_url if shared else None,
    )


def recent(session: Session, config: Config, *, limit: int = 20, before: int | None = None,
           wiki: str | None = None, campaign: str | None = None, recipient: str | None = None) -> list[ShoutOut]:
    query = _base_query().order_by(Delivery.id.desc()).limit(max(1, min(limit, PAGE_MAX)))
    if before is not None:
        query = query.where(Delivery.id < before)
    if wiki:
        query = query.where(Nomination.wiki == wiki)
    if campaign:
        # The campaign's id as a constant, so the (campaign_id, channel, status, id) index gives its newest
        # rows in order, however large or small the campaign.
        query = query.where(Delivery.campaign_id == select(Campaign.id).where(Campaign.slug == campaign)
                            .scalar_subquery())
    if recipient:
        name = canonical_username(recipient)
        # Their wall deliveries found from their nominations first: SQLite would otherwise walk every wall
        # delivery newest first looking for theirs (0.1 s at 100,000 rows) rather than sort the few it needs.
        theirs = (select(Delivery.id).join(Nomination, Delivery.nomination_id == Nomination.id)
                  .where(Nomination.recipient == name, Delivery.channel == WALL))
        query = query.where(Nomination.recipient == name, Delivery.id.in_(theirs))
    else:
        # Newest wall deliveries first, straight from the delivery indexes. MariaDB would otherwise start
        # from the small campaign table and sort every delivery: 0.6 s at 100,000 rows (0.24 s for one
        # campaign holding a third of them). A person narrows the rows enough that its own plan is better.
        query = query.prefix_with("STRAIGHT_JOIN", dialect="mysql")
    return [_shoutout(config, row) for row in session.execute(query)]


def one(session: Session, config: Config, nomination_id: int) -> ShoutOut | None:
    """The delivered shout-out of a nomination (its permalink), or None if it is not on the wall."""
    row = session.execute(_base_query().where(Delivery.nomination_id == nomination_id)).first()
    return _shoutout(config, row) if row else None


def has_personal_page(session: Session, username: str) -> bool:
    """Only a recipient who said yes to sharing has a page of their own."""
    consent = session.scalar(select(Person.consent).where(Person.username == canonical_username(username)))
    return consent == Consent.granted


def with_personal_pages(session: Session, usernames: Iterable[str]) -> set[str]:
    """Which of these people have a page of their own (canonical names), in one query."""
    names = {canonical_username(name) for name in usernames}
    return set(session.scalars(select(Person.username).where(Person.username.in_(names),
                                                             Person.consent == Consent.granted)))
