"""Social channels: each approved, consented shout-out mirrored to the campaign's networks.

The delivery job calls `send_all(config, deliveries)` with its claimed social deliveries and records
the outcome of each (kudos.channels). The channels of one shout-out, and the shout-outs of one batch,
are sent concurrently with per-request timeouts, so a slow or failing network never delays the others.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

from sqlalchemy.orm import object_session

from kudos import people
from kudos.awards import award_name
from kudos.channels import DeliveryOutcome, Permanent, Posted, RetryLater, Skip, Uncertain
from kudos.config import Config
from kudos.errors import ConfigError
from kudos.models import Consent, Delivery
from kudos.social.base import Channel, Shoutout, compose
from kudos.social.journal import Journal, interrupted
from kudos.wall import permalink

__all__ = ["Channel", "Journal", "Shoutout", "build_channel", "compose", "permalink", "send_all", "shoutout_of"]

log = logging.getLogger(__name__)
DEFAULT_WORKERS = 16
DEFAULT_CHANNEL_CONCURRENCY = 4  # posts in flight per channel: enough for speed, gentle on rate limits
# A channel may need a few requests for one post (a login, the instance's limits, a read-back).
REQUESTS_PER_POST = 3

Outcome = Posted | DeliveryOutcome

_cache: dict[tuple[str, str], Channel] = {}
_cache_lock = threading.Lock()
_semaphores: dict[str, threading.Semaphore] = {}


def _channel_class(kind: str) -> type[Channel]:
    # Imported on demand: the web tool never loads Mastodon.py or atproto.
    if kind == "mastodon":
        from kudos.social.mastodon import MastodonChannel
        return MastodonChannel
    if kind == "bluesky":
        from kudos.social.bluesky import BlueskyChannel
        return BlueskyChannel
    if kind == "telegram":
        from kudos.social.telegram import TelegramChannel
        return TelegramChannel
    if kind == "matrix":
        from kudos.social.matrix import MatrixChannel
        return MatrixChannel
    from kudos.social import webhooks
    classes: dict[str, type[Channel]] = {
        "discord": webhooks.DiscordChannel, "slack": webhooks.SlackChannel, "zulip": webhooks.ZulipChannel,
    }
    if kind not in classes:
        raise ConfigError(f"The channel type “{kind}” is not known.")
    return classes[kind]


def build_channel(config: Config, name: str) -> Channel:
    """A new channel object for `channels.<name>`; raises ConfigError naming the key that is wrong."""
    settings = config.channels.get(name)
    if settings is None:
        raise ConfigError(f"The channel “{name}” is not configured; add it under “channels”.")
    return _channel_class(str(settings.get("type")))(name, settings)


def channel_for(config: Config, name: str) -> Channel:
    """The process's channel object for `name` (kept, so sessions and instance limits are reused)."""
    signature = (name, repr(sorted((k, repr(v)) for k, v in config.channels.get(name, {}).items())))
    with _cache_lock:
        channel = _cache.get(signature)
    if channel is None:
        channel = build_channel(config, name)
        with _cache_lock:
            channel = _cache.setdefault(signature, channel)
    return channel


def check_channels(config: Config) -> list[str]:
    """Build every configured channel once (at job start): a wrong key stops the job with its sentence."""
    return [channel_for(config, name).name for name in config.channels]


def shoutout_of(config: Config, delivery: Delivery) -> Shoutout:
    """The plain data a channel posts, read from the delivery row (in the caller's thread and session)."""
    nomination = delivery.nomination
    wiki = config.wikis.get(nomination.wiki)
    language = nomination.campaign.language or (wiki.language if wiki else "") or "en"
    award = award_name(config, nomination.wiki, nomination.award)
    return Shoutout(
        delivery_id=delivery.id, key=delivery.key, channel=delivery.channel, nomination_id=nomination.id,
        recipient=nomination.recipient, nominator=nomination.nominator, award=award,
        message=nomination.message, wiki=nomination.wiki, wiki_name=config.wiki_name(nomination.wiki),
        campaign=nomination.campaign.name, language=language,
        permalink=permalink(config, nomination.id), created_at=delivery.created_at,
        interrupted=interrupted(delivery),
    )


def _check_consent(delivery: Delivery) -> None:
    # The outbox and the consent gate keep these deliveries waiting; this is the last line of defence.
    session = object_session(delivery)
    if session is not None and people.consent_of(session, delivery.nomination.recipient) != Consent.granted:
        raise Skip("The recipient has not agreed to social sharing.")


def deliver(channel: Channel, shoutout: Shoutout, journal: Journal | None = None) -> Posted:
    """One attempt on one channel; raises a kudos.channels outcome unless it returns Posted."""
    if shoutout.interrupted:
        if not channel.can_find:
            raise Permanent(f"An earlier attempt was interrupted before its result was recorded, and "
                            f"{channel.type_name.capitalize()} cannot tell whether it arrived; look in the "
                            f"chat and retry by hand if the shout-out is missing.")
        found = channel.find(shoutout)
        if found is not None:
            return found
    if journal is not None:
        try:
            journal.sending(shoutout.delivery_id)
        except Exception as error:
            raise RetryLater(f"Could not record the attempt before sending: {type(error).__name__}.") from None
    try:
        return channel.send(shoutout)
    except Uncertain:
        raise  # the mark stays: the next attempt must find out first
    except DeliveryOutcome:
        if journal is not None:
            try:
                journal.not_sent(shoutout.delivery_id)
            except Exception:  # the mark then makes the next attempt cautious, which is safe
                log.warning("Could not clear the sending mark of delivery %s", shoutout.delivery_id,
                            exc_info=True)
        raise
    except Exception as error:  # a client library's surprise: the request may have gone out
        raise Uncertain(f"{channel.type_name}: unexpected {type(error).__name__}: {error}") from None


def send_all(config: Config, deliveries: Iterable[Delivery], *, journal: Journal | None = None,
             workers: int | None = None) -> dict[int, Outcome]:
    """Send claimed social deliveries concurrently; return each delivery id's outcome. Never raises.

    Pass `journal=Journal(database)` (the delivery job does) so an attempt that dies half-way is
    recognised next time; call it outside any open write transaction, as the journal writes its own.
    """
    results: dict[int, Outcome] = {}
    tasks: list[tuple[int, Channel, Shoutout]] = []
    for delivery in deliveries:
        try:
            _check_consent(delivery)
            channel = channel_for(config, delivery.channel)
            tasks.append((delivery.id, channel, shoutout_of(config, delivery)))
        except DeliveryOutcome as outcome:
            results[delivery.id] = outcome
        except ConfigError as error:
            results[delivery.id] = Permanent(str(error))
        except Exception as error:
            results[delivery.id] = RetryLater(f"Could not prepare the post: {type(error).__name__}: {error}")
    if tasks:
        results.update(_run(tasks, journal, workers or _workers(config)))
    return results


def _workers(config: Config) -> int:
    value = config.section("delivery").get("social_workers", DEFAULT_WORKERS)
    return value if isinstance(value, int) and value > 0 else DEFAULT_WORKERS


def _semaphore(channel: Channel) -> threading.Semaphore:
    with _cache_lock:
        if channel.name not in _semaphores:
            limit = channel.settings.values.get("concurrency", DEFAULT_CHANNEL_CONCURRENCY)
            _semaphores[channel.name] = threading.Semaphore(limit if isinstance(limit, int) and limit > 0
                                                            else DEFAULT_CHANNEL_CONCURRENCY)
        return _semaphores[channel.name]


def _run(tasks: Sequence[tuple[int, Channel, Shoutout]], journal: Journal | None,
         workers: int) -> dict[int, Outcome]:
    results: dict[int, Outcome] = {}
    started: dict[int, float] = {}

    def attempt(delivery_id: int, channel: Channel, shoutout: Shoutout) -> Outcome:
        with _semaphore(channel):
            started[delivery_id] = time.monotonic()
            try:
                return deliver(channel, shoutout, journal)
            except DeliveryOutcome as outcome:
                return outcome

    executor = ThreadPoolExecutor(max_workers=min(workers, len(tasks)), thread_name_prefix="kudos-social")
    futures: dict[Future[Outcome], tuple[int, Channel]] = {
        executor.submit(attempt, delivery_id, channel, shoutout): (delivery_id, channel)
        for delivery_id, channel, shoutout in tasks
    }
    pending = set(futures)
    try:
        while pending:
            done, pending = wait(pending, timeout=0.05, return_when=FIRST_COMPLETED)
            for future in done:
                delivery_id, _channel = futures[future]
                try:
                    results[delivery_id] = future.result()
                except Exception as error:  # attempt() catches outcomes; anything else is a bug
                    results[delivery_id] = Uncertain(f"Unexpected {type(error).__name__}: {error}")
            now = time.monotonic()
            for future in list(pending):
                delivery_id, channel = futures[future]
                budget = channel.timeout * REQUESTS_PER_POST + 1
                if delivery_id in started and now - started[delivery_id] > budget:
                    # The client's own timeouts should have fired; do not let one channel hold the batch.
                    results[delivery_id] = Uncertain(f"{channel.type_name}: no result within {budget:g} s.")
                    pending.discard(future)
    finally:
        executor.shutdown(wait=False, cancel_futures=True)
    return results


def describe(outcome: Any) -> str:
    """One line for logs and the organizer's page."""
    if isinstance(outcome, Posted):
        return f"posted {outcome.external_id} {outcome.url}".strip()
    return f"{type(outcome).__name__}: {getattr(outcome, 'reason', outcome)}"
