"""Sharing by hand where no group API exists (WhatsApp groups and channels, Facebook groups).

The organizer's delivery page offers a pre-filled WhatsApp link, a Facebook share link and the text for
a copy button; nothing is posted automatically. Offered only for a delivered shout-out whose recipient
agreed to social sharing.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from sqlalchemy.orm import Session

from kudos import people
from kudos.awards import award_name
from kudos.config import Config
from kudos.errors import DomainError
from kudos.models import Consent, DeliveryStatus, Nomination, NominationStatus
from kudos.outbox import WALL
from kudos.social.text import choose_template, grapheme_count, render
from kudos.wall import permalink

SHARE_LIMIT = 1000  # graphemes: a chat message people will read, not the networks' maximum


@dataclass(frozen=True)
class ShareLinks:
    text: str  # for the copy button
    whatsapp: str
    facebook: str


def share_links(session: Session, config: Config, nomination: Nomination,
                hashtags: tuple[str, ...] = (), consent: Consent | None = None) -> ShareLinks:
    """`consent` may be passed by a caller that read it for many nominations in one query."""
    if consent is None:
        consent = people.consent_of(session, nomination.recipient)
    if consent != Consent.granted:
        raise DomainError("kudos-error-share-not-agreed", nomination.recipient)
    wall = [d for d in nomination.deliveries if d.channel == WALL]
    if nomination.status != NominationStatus.approved or not any(d.status == DeliveryStatus.done for d in wall):
        raise DomainError("kudos-error-share-not-delivered")
    wiki = config.wikis.get(nomination.wiki)
    language = nomination.campaign.language or (wiki.language if wiki else "") or "en"
    award = award_name(config, nomination.wiki, nomination.award)
    url = permalink(config, nomination.id)
    fields = {"recipient": nomination.recipient, "nominator": nomination.nominator, "award": award,
              "message": nomination.message, "wiki": wiki.name if wiki else nomination.wiki,
              "campaign": nomination.campaign.name, "url": url}
    text = render(fields, choose_template(None, language), hashtags, SHARE_LIMIT, grapheme_count).text
    return ShareLinks(
        text=text,
        whatsapp="https://wa.me/?text=" + quote(text, safe=""),
        facebook="https://www.facebook.com/sharer/sharer.php?u=" + quote(url, safe=""),
    )
