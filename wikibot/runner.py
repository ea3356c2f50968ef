"""The delivery loop: find due deliveries, hand them to their channel, record what happened.

Three kinds of delivery, each on its own thread so that none waits for another:
- talk page: one lane per wiki (wikibot.lane), posting at that wiki's own rate, wikis side by side; the
  wiki's lane row in the database makes that rate hold across every replica of the job;
- wall: no side effect, settled as soon as the same nomination's talk-page delivery is done;
- social (every other channel): handed to `kudos.social.send_all`, which sends them concurrently.

The main thread looks for due work every `delivery.interval` seconds (one cheap query), wakes the lanes of
wikis that have some, and touches the health file.
"""

from __future__ import annotations

import functools
import signal
import threading
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

from kudos import claims, contribs, lanes, social
from kudos.channels import DeliveryOutcome, Permanent, Posted, RetryLater
from kudos.clock import precise_utcnow, utcnow
from kudos.config import INSTANCE_DIR, Config
from kudos.db import Database
from kudos.models import Delivery, DeliveryStatus
from kudos.outbox import TALKPAGE, WALL
from kudos.social.journal import Journal
from kudos.suggestions.refresh import Schedule as SuggestionSchedule
from wikibot.events import describe, log, log_event, worker_name
from wikibot.lane import JOB_ACTOR, Lane

__all__ = ["JOB_ACTOR", "Runner", "log", "log_event", "summary_line", "worker_name"]

SUMMARY_KEYS = ("done", "skipped", "retrying", "failed")
READ_ONLY_LOG_SECONDS = 600.0  # while Kudos is read-only, say why this often


class Runner:
    def __init__(self, config: Config, db: Database, worker_id: str | None = None) -> None:
        self.config = config
        self.db = db
        self.worker_id = worker_id or worker_name()
        section = config.section("delivery")
        self.batch_size = int(section.get("batch_size", 50))
        self.batch_seconds = float(section.get("batch_seconds", 60))
        slowest = max([config.throttle(w) for w in config.wikis] or [0.0])
        # A talk-page claim must outlive a whole batch at the slowest wiki's edit rate.
        self.lease_seconds = float(section.get("lease_seconds", max(300.0, 2 * self.batch_size * slowest + 120)))
        # A lane's lease must outlive the longest request (the read timeout), or a replica that merely
        # waits for an answer could see another take its wiki over.
        read_timeout = float(tuple(config.section("bot").get("timeout", (6.05, 60)))[-1])
        self.lane_lease_seconds = float(section.get("lane_lease_seconds", max(60.0, 2 * read_timeout)))
        self.interval = float(section.get("interval", 2))
        self.health_file = Path(str(section.get("health_file") or INSTANCE_DIR / "wikibot.health"))
        self.policy = claims.RetryPolicy.from_config(config)
        self.stopping = threading.Event()
        self.counts: Counter[str] = Counter()
        self._counting = threading.Lock()
        self._lanes: dict[str, Lane] = {}
        self.due_by: datetime | None = None  # set by run_once: only what was due when the pass began
        # Contribution counts for organizer reports are refreshed while the outbox is idle; 0 turns it off.
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
        """Deliver everything that is due now, then return the counts.

        Errors are not caught here: a failed outcome write ends the pass (and `python -m wikibot --once`)
        with the error, and nothing more is posted.
        """
        self.due_by = utcnow()
        self.touch_health()
        wikis = claims.due_talkpage_wikis(self.db, due_by=self.due_by)
        with ThreadPoolExecutor(max_workers=len(wikis) + 1, thread_name_prefix="wikibot-once") as pool:
            running = [pool.submit(self._social_until_idle)]
            running += [pool.submit(self._once_for, wiki) for wiki in sorted(wikis)]
            try:
                for done in running:
                    done.result()
            except BaseException:
                self.stopping.set()
                raise
        self.settle_wall()  # the talk pages of this pass are settled now
        self.touch_health()
        return self.counts

    def run_forever(self) -> Counter[str]:
        social_thread = threading.Thread(target=self._social_loop, name="wikibot-social", daemon=True)
        social_thread.start()
        threads: dict[str, threading.Thread] = {}
        upkeep = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wikibot-upkeep")
        refreshing: Future[None] | None = None
        try:
            while not self.stopping.is_set():
                if social_thread.is_alive():
                    self.touch_health()
                idle = self._dispatch(threads)
                if idle and (refreshing is None or refreshing.done()):
                    refreshing = upkeep.submit(self.refresh_if_due)
                self.stopping.wait(self.interval)
        finally:
            self.stopping.set()
            for lane in self._lanes.values():
                lane.wake.set()
            for thread in threads.values():
                thread.join()
            social_thread.join()
            upkeep.shutdown(wait=True)
        return self.counts

    def run_read_only(self, reason: str, once: bool) -> Counter[str]:
        """Kudos is read-only: deliver nothing, keep the heartbeat fresh and say why, until stopped.

        A continuous job that exited would be restarted by Toolforge again and again (and mail its
        maintainers each time); this one idles until it is restarted without the read-only reason.
        """
        last_said = float("-inf")
        while not self.stopping.is_set():
            self.touch_health()
            if time.monotonic() - last_said >= READ_ONLY_LOG_SECONDS:
                log_event(event="read_only", reason=reason, worker=self.worker_id,
                          action="delivering nothing until restarted without read_only_reason")
                last_said = time.monotonic()
            if once:
                break
            self.stopping.wait(self.interval)
        return self.counts

    def refresh_if_due(self) -> None:
        """What organizers' pages read from the wikis (contribution counts, praise suggestions), fetched while
        the outbox is idle so that praise is never delayed."""
        self.refresh_contribs_if_due()
        self.suggestions.refresh_if_due()

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

    # --- finding work -----------------------------------------------------------------------------

    def lane(self, wiki_id: str) -> Lane:
        if wiki_id not in self._lanes:
            self._lanes[wiki_id] = Lane(self, wiki_id)
        return self._lanes[wiki_id]

    def _dispatch(self, threads: dict[str, threading.Thread]) -> bool:
        """Wake the lane of every wiki with due deliveries that this replica may work on now.

        Returns True when nothing is due and no lane is busy (the time for upkeep).
        """
        try:
            due = claims.due_talkpage_wikis(self.db)
            with self.db.session() as session:
                states = lanes.states(session)
            for wiki in set(due) - set(self.config.wikis):
                self._unconfigured(wiki)
        except Exception as error:  # noqa: BLE001 - the database is away for a moment: look again later
            log_event(event="dispatch", outcome="failed", reason=describe(error), worker=self.worker_id)
            return False
        now = precise_utcnow()
        for wiki in due:
            if wiki not in self.config.wikis:
                continue
            state = states.get(wiki)
            if state is not None and (state.paused_at(now) or state.held_by_other(self.worker_id, now)):
                continue
            lane = self.lane(wiki)
            if wiki not in threads:
                threads[wiki] = threading.Thread(target=lane.loop, name=f"lane-{wiki}", daemon=True)
                threads[wiki].start()
            lane.wake.set()
        return not due and not any(lane.busy for lane in self._lanes.values())

    def _once_for(self, wiki: str) -> None:
        if wiki not in self.config.wikis:
            self._unconfigured(wiki)
        else:
            self.lane(wiki).work(once=True)

    def _unconfigured(self, wiki: str) -> None:
        rows = claims.claim_talkpages(self.db, self.worker_id, wiki, self.batch_size, self.lease_seconds,
                                      due_by=self.due_by)
        for delivery in rows:
            self.record(delivery, Permanent(f"The wiki {wiki} is no longer configured."))

    # --- outcomes ---------------------------------------------------------------------------------

    def record(self, delivery: Delivery, outcome: Posted | DeliveryOutcome) -> None:
        status = claims.record(self.db, self.worker_id, delivery.id, outcome, self.policy)
        key = {DeliveryStatus.done: "done", DeliveryStatus.skipped: "skipped", DeliveryStatus.pending: "retrying",
               DeliveryStatus.failed: "failed"}.get(status) if status else "lease_lost"
        with self._counting:
            self.counts[key or "lease_lost"] += 1
        nomination = delivery.nomination
        log_event(event="delivery", delivery=delivery.id, nomination=nomination.id, wiki=nomination.wiki,
                  channel=delivery.channel, attempt=delivery.attempts, outcome=key,
                  revision=getattr(outcome, "external_id", None), url=getattr(outcome, "url", None),
                  reason=getattr(outcome, "reason", None))

    # --- the wall and social channels -------------------------------------------------------------

    def _social_until_idle(self) -> None:
        while not self.stopping.is_set() and self.settle_wall() + self.social_batch():
            pass

    def _social_loop(self) -> None:
        while not self.stopping.is_set():
            try:
                handled = self.settle_wall() + self.social_batch()
            except Exception as error:  # noqa: BLE001 - the database is away for a moment: try again
                log_event(event="social", outcome="failed", reason=describe(error), worker=self.worker_id)
                handled = 0
            if not handled:
                self.stopping.wait(self.interval)

    def settle_wall(self) -> int:
        settled = claims.settle_wall(self.db, TALKPAGE, WALL)
        for delivery_id, status in settled.items():
            with self._counting:
                self.counts[status.value] += 1
            log_event(event="delivery", delivery=delivery_id, channel=WALL, outcome=status.value)
        return len(settled)

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
            self.record(delivery, outcome)
        return len(rows)


def summary_line(counts: Counter[str]) -> str:
    return " ".join(f"{key}={counts.get(key, 0)}" for key in SUMMARY_KEYS)
