"""The delivery loop: claim due deliveries, hand them to their channel, record what happened.

Three kinds of delivery, each claimed separately:
- talk page: batched per wiki through `TalkPageChannel` (pywikibot);
- wall: no side effect, settled as soon as the same nomination's talk-page delivery is done;
- social (every other channel): handed to `kudos.social.send_all`, which sends them concurrently.
"""

from __future__ import annotations

import functools
import logging
import os
import secrets
import signal
import socket
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

from kudos import accounts, barnstar, claims, contribs, people, social, wall
from kudos.channels import DeliveryOutcome, Permanent, Posted, RetryLater, Skip
from kudos.clock import utcnow
from kudos.config import INSTANCE_DIR, Config
from kudos.db import Database
from kudos.errors import DomainError
from kudos.models import Delivery, DeliveryStatus
from kudos.outbox import TALKPAGE, WALL
from kudos.social.journal import Journal
from kudos.suggestions.refresh import Schedule as SuggestionSchedule

log = logging.getLogger("wikibot")
SUMMARY_KEYS = ("done", "skipped", "retrying", "failed")
JOB_ACTOR = "Kudos delivery job"  # as in kudos.claims' audit rows


def worker_name() -> str:
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(3)}"


def log_event(**fields: Any) -> None:
    """One key=value line per event, values quoted when they hold spaces, for grep and log search."""
    parts = []
    for key, value in fields.items():
        text = "" if value is None else str(value).replace("\n", " ")
        if not text or any(c in text for c in ' "='):
            text = '"' + text.replace('"', '\\"') + '"'
        parts.append(f"{key}={text}")
    log.info(" ".join(parts))


class Runner:
    def __init__(self, config: Config, db: Database, worker_id: str | None = None) -> None:
        self.config = config
        self.db = db
        self.worker_id = worker_id or worker_name()
        section = config.section("delivery")
        self.batch_size = int(section.get("batch_size", 50))
        throttle = float(config.section("bot").get("throttle", 10))
        # The lease must outlive a whole batch at the configured edit rate, or another job could take
        # over rows this one is still posting.
        self.lease_seconds = float(section.get("lease_seconds", max(300.0, 2 * self.batch_size * throttle + 120)))
        self.interval = float(section.get("interval", 60))
        self.health_file = Path(str(section.get("health_file") or INSTANCE_DIR / "wikibot.health"))
        self.policy = claims.RetryPolicy.from_config(config)
        self.stopping = threading.Event()
        self.counts: Counter[str] = Counter()
        self._channels: dict[str, Future[Any]] = {}
        self._connector = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wikibot-connect")
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wikibot-outcomes")
        self.due_by: datetime | None = None  # set by run_once: only what was due when the pass began
        # Contribution counts for organizer reports are refreshed between rounds; 0 turns it off.
        self.contribs_interval = float(section.get("contribs_interval", 6 * 3600))
        self.contribs_next = 0.0
        self.suggestions = SuggestionSchedule(config, db, functools.partial(log_event, worker=self.worker_id))

    # --- life cycle -------------------------------------------------------------------------------

    def install_signal_handlers(self) -> None:
        def stop(signum: int, _frame: Any) -> None:
            log_event(event="stopping", signal=signal.Signals(signum).name, worker=self.worker_id)
            self.stopping.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)

    def touch_health(self) -> None:
        self.health_file.parent.mkdir(parents=True, exist_ok=True)
        self.health_file.touch()

    def run_once(self) -> Counter[str]:
        """Deliver everything that is due now, then return the counts."""
        self.due_by = utcnow()
        self.touch_health()
        while not self.stopping.is_set():
            if self.step() == 0:
                break
            self.touch_health()
        return self.counts

    def run_forever(self) -> Counter[str]:
        while not self.stopping.is_set():
            self.touch_health()
            busy = self.step()
            if busy == 0:
                self.refresh_contribs_if_due()
                self.suggestions.refresh_if_due()
                self.stopping.wait(self.interval)
        return self.counts

    def refresh_contribs_if_due(self) -> None:
        """The report's contribution counts, fetched when the outbox is idle so praise is never delayed."""
        if not self.contribs_interval or time.monotonic() < self.contribs_next:
            return
        self.contribs_next = time.monotonic() + self.contribs_interval
        try:
            summary = contribs.refresh(self.db, self.config, utcnow())
        except Exception as error:  # noqa: BLE001 - a report refresh must never stop deliveries
            log_event(event="contribs", outcome="failed", reason=str(error)[:200], worker=self.worker_id)
            return
        log_event(event="contribs", outcome="done", users=summary.users, requests=summary.requests,
                  worker=self.worker_id)

    def step(self) -> int:
        """One round over every kind of delivery; returns how many deliveries it settled."""
        handled = self.talkpage_batch()
        handled += self.settle_wall()
        if not self.stopping.is_set():
            handled += self.social_batch()
        return handled

    # --- outcomes ---------------------------------------------------------------------------------

    def _record(self, delivery: Delivery, outcome: Posted | DeliveryOutcome) -> None:
        status = claims.record(self.db, self.worker_id, delivery.id, outcome, self.policy)
        key = {DeliveryStatus.done: "done", DeliveryStatus.skipped: "skipped", DeliveryStatus.pending: "retrying",
               DeliveryStatus.failed: "failed"}.get(status) if status else "lease_lost"
        self.counts[key or "lease_lost"] += 1
        nomination = delivery.nomination
        log_event(event="delivery", delivery=delivery.id, nomination=nomination.id, wiki=nomination.wiki,
                  channel=delivery.channel, attempt=delivery.attempts, outcome=key,
                  revision=getattr(outcome, "external_id", None), url=getattr(outcome, "url", None),
                  reason=getattr(outcome, "reason", None))

    # --- talk pages -------------------------------------------------------------------------------

    def talkpage_batch(self) -> int:
        rows = claims.claim(self.db, self.worker_id, [TALKPAGE], self.batch_size, self.lease_seconds,
                            due_by=self.due_by)
        by_wiki: dict[str, list[Delivery]] = defaultdict(list)
        for delivery in rows:
            by_wiki[delivery.nomination.wiki].append(delivery)
        for wiki_id, deliveries in by_wiki.items():
            self._talkpage_wiki(wiki_id, deliveries)
        return len(rows)

    def _talkpage_wiki(self, wiki_id: str, deliveries: list[Delivery]) -> None:
        from wikibot.talkpage import TalkDelivery

        if wiki_id not in self.config.wikis:
            for delivery in deliveries:
                self._record(delivery, Permanent(f"The wiki {wiki_id} is no longer configured."))
            return
        # Connecting (pywikibot's import, the site's set-up and the login: a dozen round trips on a cold
        # start) waits on the wiki, rendering the barnstars on the CPU: the two go on at the same time.
        connecting = self._connect_in_background(wiki_id)
        items: list[TalkDelivery] = []
        by_id = {d.id: d for d in deliveries}
        with self.db.session() as session:
            opted_out = {d.id for d in deliveries if people.is_opted_out(session, d.nomination.recipient)}
            user_ids = accounts.known_ids(session, wiki_id, [d.nomination.recipient for d in deliveries])
            shared = wall.with_personal_pages(session, [d.nomination.recipient for d in deliveries])
        for delivery in deliveries:
            if delivery.id in opted_out:
                self._record(delivery, Skip("The recipient has opted out of Kudos awards."))
                continue
            try:
                rendered = barnstar.render(self.config, delivery, shared=delivery.nomination.recipient in shared)
            except DomainError as error:
                self._record(delivery, Permanent(str(error)))
                continue
            recipient = delivery.nomination.recipient
            items.append(TalkDelivery(delivery.id, delivery.key, recipient, rendered,
                                      retried=delivery.attempts > 1, user_id=user_ids.get(recipient)))
        if not items:
            return
        try:
            channel = connecting.result()
        except Exception as error:  # noqa: BLE001 - cannot reach or log in to the wiki: the batch waits
            reason = f"Cannot connect to {wiki_id}: {type(error).__name__}: {error}"[:500]
            for item in items:
                self._record(by_id[item.id], RetryLater(reason))
            return
        reported: set[int] = set()
        on_rename = functools.partial(self._renamed, wiki_id)
        # Each outcome is written on the writer thread while the next barnstar goes out, so the job waits on
        # the wiki and on the database at the same time. Writes keep their order; if one fails, nothing more
        # is posted, and the error ends the batch as it would have without the thread (an edit whose outcome
        # was not written is found by its marker on the next attempt).
        failed: list[BaseException] = []
        writes: list[Future[None]] = []

        def write(delivery: Delivery, outcome: Posted | DeliveryOutcome) -> None:
            try:
                self._record(delivery, outcome)
            except BaseException as error:
                failed.append(error)
                raise

        def should_stop() -> bool:
            return self.stopping.is_set() or bool(failed)

        for delivery_id, outcome in channel.deliver(items, should_stop, on_rename):
            reported.add(delivery_id)
            writes.append(self._writer.submit(write, by_id[delivery_id], outcome))
        for done in writes:
            done.result()
        # Stopped part-way (SIGTERM): hand back what was not attempted, without counting an attempt.
        claims.release(self.db, self.worker_id, [i.id for i in items if i.id not in reported])

    def _renamed(self, wiki_id: str, renames: dict[str, str]) -> None:
        """The wiki found recipients by account id under new names: Kudos follows (audited)."""
        try:
            with self.db.transaction() as session:
                for old, new in renames.items():
                    accounts.rename(session, old, new, wiki=wiki_id, actor=JOB_ACTOR,
                                    reason="the delivery job found the account under a new name")
        except Exception as error:  # noqa: BLE001 - the barnstar still goes to the new name; next time again
            log_event(event="rename", wiki=wiki_id, outcome="failed", reason=str(error)[:200], worker=self.worker_id)
            return
        for old, new in renames.items():
            log_event(event="rename", wiki=wiki_id, old=old, new=new, outcome="done", worker=self.worker_id)

    def _connect_in_background(self, wiki_id: str) -> Future[Any]:
        """The wiki's channel, connected once per process; a failed connection is tried again next batch."""
        known = self._channels.get(wiki_id)
        if known is None or (known.done() and known.exception() is not None):
            from wikibot.talkpage import TalkPageChannel

            known = self._channels[wiki_id] = self._connector.submit(TalkPageChannel.connect,
                                                                     self.config.wiki(wiki_id))
        return known

    # --- the wall ---------------------------------------------------------------------------------

    def settle_wall(self) -> int:
        settled = claims.settle_wall(self.db, TALKPAGE, WALL)
        for delivery_id, status in settled.items():
            self.counts[status.value] += 1
            log_event(event="delivery", delivery=delivery_id, channel=WALL, outcome=status.value)
        return len(settled)

    # --- social channels (kudos.social) -----------------------------------------------------------

    def social_batch(self) -> int:
        names: Sequence[str] = sorted(self.config.channels)
        if not names:
            return 0
        rows = claims.claim(self.db, self.worker_id, names, self.batch_size, self.lease_seconds,
                            due_by=self.due_by)
        if not rows:
            return 0
        # The journal marks each row "sending" before its request, so a job killed mid-send is never
        # followed by a blind second post (see kudos.social.journal).
        results = social.send_all(self.config, rows, journal=Journal(self.db))
        for delivery in rows:
            outcome = results.get(delivery.id) or RetryLater("The social channel returned no result.")
            self._record(delivery, outcome)
        return len(rows)


def summary_line(counts: Counter[str]) -> str:
    return " ".join(f"{key}={counts.get(key, 0)}" for key in SUMMARY_KEYS)
