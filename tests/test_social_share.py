"""The organizer's share helper for networks without a group API (WhatsApp, Facebook groups)."""

from urllib.parse import parse_qs, urlsplit

import pytest

from kudos import people
from kudos.db import Database
from kudos.errors import DomainError
from kudos.models import Consent, Delivery, DeliveryStatus, Nomination
from kudos.outbox import WALL
from kudos.social.share import share_links
from kudos.wall import permalink
from tests.social_support import approve
from tests.support import make_config

CONFIG = make_config(channels={}, tool_url="https://kudos.example.org")


def deliver_wall(database: Database, nomination_id: int) -> None:
    with database.transaction() as session:
        for delivery in session.get(Nomination, nomination_id).deliveries:  # type: ignore[union-attr]
            if delivery.channel == WALL:
                delivery.status = DeliveryStatus.done


def test_share_links_for_a_delivered_consented_shout_out(database: Database) -> None:
    nomination_id = approve(database, CONFIG, [], message="Fixed 200 river names @everyone")
    deliver_wall(database, nomination_id)
    with database.session() as session:
        links = share_links(session, CONFIG, session.get(Nomination, nomination_id))  # type: ignore[arg-type]
    url = permalink(CONFIG, nomination_id)
    assert url in links.text and "Fixed 200 river names" in links.text and "@everyone" not in links.text
    whatsapp = urlsplit(links.whatsapp)
    assert (whatsapp.scheme, whatsapp.netloc, whatsapp.path) == ("https", "wa.me", "/")
    assert parse_qs(whatsapp.query)["text"] == [links.text]
    facebook = urlsplit(links.facebook)
    assert facebook.netloc == "www.facebook.com" and facebook.path == "/sharer/sharer.php"
    assert parse_qs(facebook.query)["u"] == [url]


def test_no_share_links_without_consent_or_before_delivery(database: Database) -> None:
    nomination_id = approve(database, CONFIG, [], consent=None)
    deliver_wall(database, nomination_id)
    with database.session() as session, pytest.raises(DomainError, match="not agreed"):
        share_links(session, CONFIG, session.get(Nomination, nomination_id))  # type: ignore[arg-type]

    with database.transaction() as session:
        people.set_consent(session, "Ravi", Consent.granted)
        for delivery in session.query(Delivery).filter_by(nomination_id=nomination_id, channel=WALL):
            delivery.status = DeliveryStatus.pending
    with database.session() as session, pytest.raises(DomainError, match="not on the wall yet"):
        share_links(session, CONFIG, session.get(Nomination, nomination_id))  # type: ignore[arg-type]
