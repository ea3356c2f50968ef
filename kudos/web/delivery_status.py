"""What happened to a delivery, in one sentence a person understands: where the barnstar was posted (and
through which redirect), why it was not, or what it waits for. The deliveries page shows nothing else of a
delivery's state, so every new state gets its sentence here.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from markupsafe import Markup

from kudos.models import Delivery, DeliveryStatus
from kudos.names import canonical_username
from kudos.outbox import TALKPAGE, WALL
from kudos.web.i18n import bdi, msg

# Reasons the delivery job and the consent gate store (in English, for logs and the audit trail) that the
# page says in the reader's language; any other reason is shown as stored.
_REASONS = (
    (re.compile(r"^The recipient's talk page has \{\{nobots\}\}\.$"), "kudos-delivery-reason-nobots"),
    (re.compile(r"^The recipient's talk page (opts out of|allows only some bots|denies Kudos)"),
     "kudos-delivery-reason-bots"),
    (re.compile(r"^The recipient has opted out of Kudos awards\.$"), "kudos-delivery-reason-opted-out"),
    (re.compile(r"^The user .+ does not exist on this wiki\.$"), "kudos-delivery-reason-no-user"),
    (re.compile(r"^The user .+ is blocked\.$"), "kudos-delivery-reason-blocked"),
    (re.compile(r"^The recipient declined social sharing\.$"), "kudos-delivery-reason-declined"),
    (re.compile(r"^The recipient did not answer the request for consent"), "kudos-delivery-reason-no-answer"),
)


def reason(stored: str | None) -> Markup:
    text = stored or ""
    for pattern, key in _REASONS:
        if pattern.search(text):
            return msg(key)
    return Markup('<span dir="auto">{}</span>').format(text) if text else msg("kudos-delivery-reason-unknown")


def posted_title(delivery: Delivery) -> str:
    """The talk page the barnstar landed on: the diff link names it (`?title=…&diff=…`); older rows did not."""
    query = parse_qs(urlsplit(delivery.external_url or "").query)
    title = (query.get("title") or [""])[-1].replace("_", " ")
    return title or f"User talk:{delivery.nomination.recipient}"


def _linked(sentence: Markup, url: str | None, key: str) -> Markup:
    if not url:
        return sentence
    return msg("kudos-delivery-with-link", sentence, Markup('<a href="{}">{}</a>').format(url, msg(key)))


def sentence(delivery: Delivery) -> Markup:
    nomination = delivery.nomination
    recipient = bdi(nomination.recipient)
    status = delivery.status
    talk, wall = delivery.channel == TALKPAGE, delivery.channel == WALL
    if status == DeliveryStatus.done:
        if talk:
            return _linked(_posted_on(delivery), delivery.external_url, "kudos-delivery-see-edit")
        if wall:
            return msg("kudos-delivery-on-wall")
        return _linked(msg("kudos-delivery-shared"), delivery.external_url, "kudos-delivery-see-post")
    if status == DeliveryStatus.skipped:
        if talk:
            return msg("kudos-delivery-not-posted", reason(delivery.last_error))
        if wall:
            return msg("kudos-delivery-not-on-wall")
        return msg("kudos-delivery-not-shared", reason(delivery.last_error))
    if status == DeliveryStatus.awaiting_consent:
        return msg("kudos-delivery-awaiting-consent", recipient)
    if status == DeliveryStatus.failed:
        return msg("kudos-delivery-failed", delivery.attempts, reason(delivery.last_error))
    if status == DeliveryStatus.claimed:
        return msg("kudos-delivery-in-progress")
    if wall:
        return msg("kudos-delivery-wall-waits")
    if delivery.attempts and delivery.last_error:
        return msg("kudos-delivery-will-retry", reason(delivery.last_error))
    return msg("kudos-delivery-waiting")


def _posted_on(delivery: Delivery) -> Markup:
    title = posted_title(delivery)
    asked = f"User talk:{canonical_username(delivery.nomination.recipient)}"
    if _user_part(title) != _user_part(asked):
        return msg("kudos-delivery-posted-redirect", bdi(title), bdi(asked))
    return msg("kudos-delivery-posted", bdi(title))


def _user_part(title: str) -> str:
    # The namespace may be localised (an Odia wiki names User talk in Odia): compare the user name only.
    return canonical_username(title.split(":", 1)[-1].split("/", 1)[0])


def channel_name(channel: str) -> Markup:
    if channel == TALKPAGE:
        return msg("kudos-delivery-channel-talkpage")
    if channel == WALL:
        return msg("kudos-delivery-channel-wall")
    return bdi(channel)
