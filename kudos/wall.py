"""The public wall and feed: delivered shout-outs, with the recipient's name only after consent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from kudos.config import Config
from kudos.models import Campaign, Consent, Delivery, DeliveryStatus, Nomination, Person
from kudos.outbox import WALL


@dataclass(frozen=True)
class ShoutOut:
    id: int  # the wall delivery's id: stable, and the keyset for pagination
    nomination_id: int
    wiki: str
    wiki_name: str
    campaign_slug: str
    campaign_name: str
    award: str
    delivered_at: datetime
    # None unless the recipient consented: then the wall shows "a <wiki> editor" and nothing personal.
    recipient: str | None
    nominator: str | None
    message: str | None
    link: str | None

    @property
    def anonymous(self) -> bool:
        return self.recipient is None


def recent(session: Session, config: Config, *, limit: int = 20, before: int | None = None,
           wiki: str | None = None, campaign: str | None = None) -> list[ShoutOut]:
    person = aliased(Person)
    query = (
        select(Delivery.id, Delivery.done_at, Nomination, Campaign.slug, Campaign.name, person.consent)
        .join(Nomination, Delivery.nomination_id == Nomination.id)
        .join(Campaign, Nomination.campaign_id == Campaign.id)
        .outerjoin(person, person.username == Nomination.recipient)
        .where(Delivery.channel == WALL, Delivery.status == DeliveryStatus.done)
        .order_by(Delivery.id.desc())
        .limit(limit)
    )
    if before is not None:
        query = query.where(Delivery.id < before)
    if wiki:
        query = query.where(Nomination.wiki == wiki)
    if campaign:
        query = query.where(Campaign.slug == campaign)
    shoutouts = []
    for delivery_id, done_at, nomination, slug, name, consent in session.execute(query):
        shared = consent == Consent.granted
        wiki_config = config.wikis.get(nomination.wiki)
        shoutouts.append(ShoutOut(
            id=delivery_id, nomination_id=nomination.id, wiki=nomination.wiki,
            wiki_name=wiki_config.name if wiki_config else nomination.wiki, campaign_slug=slug,
            campaign_name=name, award=nomination.award, delivered_at=done_at or nomination.created_at,
            recipient=nomination.recipient if shared else None,
            nominator=nomination.nominator if shared else None,
            message=nomination.message if shared else None,
            link=nomination.link if shared else None,
        ))
    return shoutouts
