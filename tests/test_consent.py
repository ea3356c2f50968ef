"""The consent gate: social deliveries wait for a yes, are released by it, skipped by a no or by time."""

from datetime import timedelta

from sqlalchemy import select

from kudos import consent, nominations, people
from kudos.clock import utcnow
from kudos.db import Database
from kudos.models import AuditEvent, Consent, Delivery, DeliveryStatus
from tests.factories import make_campaign, make_nomination
from tests.support import make_config

CONFIG = make_config()


def approve(database: Database, recipient: str = "Ravi", slug: str = "workshop") -> int:
    with database.transaction() as session:
        campaign = make_campaign(session, CONFIG, slug=slug, channels=("mastodon", "matrix"))
        nomination = make_nomination(session, CONFIG, campaign, recipient=recipient)
        nominations.approve(session, CONFIG, nomination, "Olga Organizer")
        return nomination.id


def statuses(database: Database, nomination_id: int) -> dict[str, tuple[DeliveryStatus, str | None]]:
    with database.session() as session:
        rows = session.scalars(select(Delivery).where(Delivery.nomination_id == nomination_id))
        return {d.channel: (d.status, d.last_error) for d in rows}


def test_consent_releases_waiting_social_deliveries(database: Database) -> None:
    nomination_id = approve(database)
    other_id = approve(database, recipient="Sita", slug="other")
    assert statuses(database, nomination_id)["mastodon"][0] == DeliveryStatus.awaiting_consent

    with database.transaction() as session:
        people.set_consent(session, "Ravi", Consent.granted)

    after = statuses(database, nomination_id)
    assert after["mastodon"] == (DeliveryStatus.pending, None)
    assert after["matrix"] == (DeliveryStatus.pending, None)
    assert after["talkpage"][0] == DeliveryStatus.pending  # untouched
    assert statuses(database, other_id)["mastodon"][0] == DeliveryStatus.awaiting_consent  # someone else's
    with database.session() as session:
        actions = list(session.scalars(select(AuditEvent.action)))
    assert "consent.granted" in actions and "consent.release" in actions


def test_refusal_skips_at_once_with_a_readable_reason(database: Database) -> None:
    nomination_id = approve(database)
    with database.transaction() as session:
        people.set_consent(session, "Ravi", Consent.refused)
    after = statuses(database, nomination_id)
    assert after["mastodon"] == (DeliveryStatus.skipped, consent.REFUSED)
    assert after["matrix"] == (DeliveryStatus.skipped, consent.REFUSED)
    assert after["talkpage"][0] == DeliveryStatus.pending and after["wall"][0] == DeliveryStatus.pending


def test_withdrawn_consent_skips_deliveries_not_yet_sent(database: Database) -> None:
    with database.transaction() as session:
        people.set_consent(session, "Ravi", Consent.granted)
    nomination_id = approve(database)
    assert statuses(database, nomination_id)["mastodon"][0] == DeliveryStatus.pending
    with database.transaction() as session:
        people.set_consent(session, "Ravi", Consent.refused)
    assert statuses(database, nomination_id)["mastodon"][0] == DeliveryStatus.skipped


def test_unanswered_requests_expire_after_the_configured_days(database: Database) -> None:
    old_id = approve(database)
    new_id = approve(database, recipient="Sita", slug="other")
    with database.transaction() as session:
        for delivery in session.scalars(select(Delivery).where(Delivery.nomination_id == old_id)):
            delivery.created_at = utcnow() - timedelta(days=31)
    config = make_config(consent={"expire_days": 30})
    with database.transaction() as session:
        expired = consent.expire(session, utcnow(), days=consent.expire_days(config))
    assert len(expired) == 2
    status, reason = statuses(database, old_id)["mastodon"]
    assert status == DeliveryStatus.skipped and reason is not None and "30 days" in reason
    assert statuses(database, new_id)["mastodon"][0] == DeliveryStatus.awaiting_consent
    assert statuses(database, old_id)["talkpage"][0] == DeliveryStatus.pending


def test_expire_days_defaults_to_30_and_is_validated() -> None:
    import pytest

    from kudos.errors import ConfigError

    assert consent.expire_days(make_config()) == 30
    with pytest.raises(ConfigError, match="consent.expire_days"):
        consent.expire_days(make_config(consent={"expire_days": "soon"}))
