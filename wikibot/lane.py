"""One wiki's lane in the delivery job: its talk-page deliveries, posted at that wiki's own rate (DESIGN §2).

Each wiki has a `Lane` in every job process; the one whose process holds the wiki's lane row (kudos.lanes)
works, the others wait. Working means, batch after batch: connect and log in (before claiming anything,
so a replica that cannot reach the wiki holds no rows), claim the wiki's due deliveries taking campaigns
in turn, and post them, each edit in the next slot `kudos.lanes.reserve` grants. A failure of the whole
wiki pauses the lane with backoff; the deliveries of the batch wait without being charged an attempt.
Lanes of different wikis run in threads of their own, so no wiki waits for another.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import timedelta
from typing import TYPE_CHECKING

from kudos import accounts, barnstar, claims, lanes, people, wall
from kudos.channels import DeliveryOutcome, Permanent, Posted, RetryLater, Skip
from kudos.clock import precise_utcnow
from kudos.errors import DomainError
from kudos.models import Delivery
from wikibot.events import describe, log_event

if TYPE_CHECKING:
    from wikibot.runner import Runner
    from wikibot.talkpage import TalkDelivery, TalkPageChannel

JOB_ACTOR = "Kudos delivery job"  # as in kudos.claims' audit rows
SEND_MARGIN = 0.05  # seconds: at most this much (or a tenth of the throttle) is added to each edit slot


class Lane:
    def __init__(self, runner: Runner, wiki_id: str) -> None:
        self.runner = runner
        self.db = runner.db
        self.wiki_id = wiki_id
        self.throttle = runner.config.throttle(wiki_id)
        # Slots a little further apart than the throttle: an edit leaves some milliseconds after its slot is
        # granted, and not always equally many, but the wiki counts the time between arrivals.
        self.spacing = self.throttle + min(0.1 * self.throttle, SEND_MARGIN)
        # No more than the lane can post in `batch_seconds`: a campaign approved while another campaign's burst
        # is being posted to the same wiki gets its turn at the next batch, not after fifty slow edits.
        fits = int(runner.batch_seconds / self.throttle) if self.throttle > 0 else runner.batch_size
        self.batch_size = max(1, min(runner.batch_size, fits))
        self.wake = threading.Event()  # set by the runner when the wiki has due deliveries
        self.busy = False
        self.channel: TalkPageChannel | None = None
        self.next_edit_at = precise_utcnow()
        self.paused = False  # the lane row says the wiki is paused; cleared by the first normal answer
        self._pause_delay: float | None = None  # this batch's pause, once the wiki failed as a whole
        self._renewed = 0.0
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"lane-{wiki_id}-outcomes")

    # --- when to work -----------------------------------------------------------------------------

    def loop(self) -> None:
        """The lane's thread in a continuous job: work whenever the runner wakes it, until the job stops."""
        stopping = self.runner.stopping
        while not stopping.is_set():
            self.wake.wait()
            self.wake.clear()
            if stopping.is_set():
                break
            try:
                self.work(once=False)
            except Exception as error:  # noqa: BLE001 - a database hiccup: the rows' leases run out, try later
                log_event(event="lane", wiki=self.wiki_id, state="error", reason=describe(error),
                          worker=self.runner.worker_id)
                stopping.wait(self.runner.interval * 5)

    def work(self, once: bool) -> None:
        """Deliver what is due on this wiki while this process holds the wiki's lane.

        Returns when nothing more is due, when the wiki is paused, or when another replica holds the lane;
        with `once`, waits for a lane held by another replica while this wiki still has due deliveries
        (that replica is working on them, or died and its lease will run out).
        """
        runner = self.runner
        while not runner.stopping.is_set():
            state = lanes.acquire(self.db, self.wiki_id, runner.worker_id, runner.lane_lease_seconds)
            if state is None:
                if once and claims.due_talkpage_wikis(self.db, due_by=runner.due_by).get(self.wiki_id):
                    runner.stopping.wait(runner.interval)
                    continue
                return
            log_event(event="lane", wiki=self.wiki_id, state="taken", worker=runner.worker_id)
            self.busy = True
            try:
                self._drain(state)
            finally:
                self.busy = False
                try:
                    lanes.release(self.db, self.wiki_id, runner.worker_id)
                except Exception as error:  # noqa: BLE001 - the lease runs out by itself
                    log_event(event="lane", wiki=self.wiki_id, state="release_failed", reason=describe(error))
            return

    def _drain(self, state: lanes.LaneState) -> None:
        runner = self.runner
        self.next_edit_at = state.next_edit_at
        self.paused = state.paused_kind is not None
        self._renewed = time.monotonic()
        while not runner.stopping.is_set():
            if self.paused and self.next_edit_at > precise_utcnow():
                return  # the pause is not over; the runner wakes the lane when it is
            if not self._connected():
                return
            rows = claims.claim_talkpages(self.db, runner.worker_id, self.wiki_id, self.batch_size,
                                          runner.lease_seconds, due_by=runner.due_by)
            if not rows:
                return
            self._pause_delay = None
            self._deliver(rows)
            if self._pause_delay is not None:
                return
            renewed = lanes.acquire(self.db, self.wiki_id, runner.worker_id, runner.lane_lease_seconds)
            if renewed is None:
                return  # lost while posting (a long stall): whoever holds it now goes on
            self._renewed = time.monotonic()

    # --- connecting and pausing -------------------------------------------------------------------

    def _connected(self) -> bool:
        if self.channel is not None:
            return True
        from wikibot.talkpage import TalkPageChannel

        try:
            self.channel = TalkPageChannel.connect(self.runner.config.wiki(self.wiki_id))
        except RetryLater as failure:
            self._pause(failure)
            return False
        except Exception as error:  # noqa: BLE001 - pywikibot's set-up failed: try again later
            self._pause(RetryLater(f"Cannot connect to {self.wiki_id}: {describe(error)}", pause="failing"))
            return False
        return True

    def _pause(self, failure: RetryLater) -> float:
        runner = self.runner
        kind = failure.pause or "failing"
        delay = lanes.pause(self.db, self.wiki_id, runner.worker_id, kind, failure.reason, runner.policy.pause_delay,
                            failure.after)
        self.paused = True
        self.next_edit_at = max(self.next_edit_at, precise_utcnow() + timedelta(seconds=delay))
        if kind == "login":
            self.channel = None  # log in afresh next time
        log_event(event="lane", wiki=self.wiki_id, state="paused", kind=kind, retry_in=f"{delay:.1f}",
                  reason=failure.reason, worker=runner.worker_id)
        return delay

    def _answered(self, outcome: Posted | DeliveryOutcome) -> Posted | DeliveryOutcome:
        """Keep the lane's account of the wiki: pause on its first failure, resume on a normal answer."""
        if isinstance(outcome, RetryLater) and outcome.pause:
            if self._pause_delay is None:
                self._pause_delay = self._pause(outcome)
            # The deliveries wait as long as the lane does.
            return type(outcome)(outcome.reason, self._pause_delay, pause=outcome.pause)
        if self.paused:
            lanes.resume(self.db, self.wiki_id)
            self.paused = False
            log_event(event="lane", wiki=self.wiki_id, state="resumed", worker=self.runner.worker_id)
        return outcome

    def pace(self) -> bool:
        """Wait for the wiki's next edit slot and take it; False when the lane is lost or the job stops."""
        runner = self.runner
        while not runner.stopping.is_set():
            wait = (self.next_edit_at - precise_utcnow()).total_seconds()
            if wait > 0:
                runner.stopping.wait(wait)
                continue
            if self.throttle <= 0 and time.monotonic() - self._renewed < runner.lane_lease_seconds / 3:
                return True  # no rate to keep, and the lease is fresh: no need to write
            try:
                granted, self.next_edit_at = lanes.reserve(self.db, self.wiki_id, runner.worker_id, self.spacing,
                                                           runner.lane_lease_seconds)
            except lanes.LaneLost:
                log_event(event="lane", wiki=self.wiki_id, state="lost", worker=runner.worker_id)
                return False
            self._renewed = time.monotonic()
            if granted:
                return True
        return False

    # --- a batch ----------------------------------------------------------------------------------

    def _deliver(self, deliveries: list[Delivery]) -> None:
        from wikibot.talkpage import TalkDelivery

        runner = self.runner
        channel = self.channel
        assert channel is not None
        by_id = {d.id: d for d in deliveries}
        with self.db.session() as session:
            opted_out = {d.id for d in deliveries if people.is_opted_out(session, d.nomination.recipient)}
            user_ids = accounts.known_ids(session, self.wiki_id, [d.nomination.recipient for d in deliveries])
            shared = wall.with_personal_pages(session, [d.nomination.recipient for d in deliveries])
        # Each outcome is written on the writer thread while the next barnstar goes out, so the lane waits on
        # the wiki and on the database at the same time. Writes keep their order; if one fails, nothing more
        # is posted, and the error ends the batch as it would have without the thread (an edit whose outcome
        # was not written is found by its marker on the next attempt).
        failed: list[BaseException] = []
        writes: list[Future[None]] = []

        def write(delivery: Delivery, outcome: Posted | DeliveryOutcome) -> None:
            try:
                runner.record(delivery, outcome)
            except BaseException as error:
                failed.append(error)
                raise

        items: list[TalkDelivery] = []
        for delivery in deliveries:
            if delivery.id in opted_out:
                opted = Skip("The recipient has opted out of Kudos awards.")
                writes.append(self._writer.submit(write, delivery, opted))
                continue
            try:
                rendered = barnstar.render(runner.config, delivery, shared=delivery.nomination.recipient in shared)
            except DomainError as error:
                writes.append(self._writer.submit(write, delivery, Permanent(str(error))))
                continue
            recipient = delivery.nomination.recipient
            items.append(TalkDelivery(delivery.id, delivery.key, recipient, rendered,
                                      retried=delivery.attempts > 1, user_id=user_ids.get(recipient)))

        def should_stop() -> bool:
            return runner.stopping.is_set() or bool(failed)

        reported: set[int] = set()
        for delivery_id, outcome in channel.deliver(items, should_stop, self._renamed, self.pace):
            reported.add(delivery_id)
            writes.append(self._writer.submit(write, by_id[delivery_id], self._answered(outcome)))
        for done in writes:
            done.result()
        # Stopped part-way (SIGTERM, or the lane was lost): hand back what was not attempted, uncounted.
        claims.release(self.db, runner.worker_id, [i.id for i in items if i.id not in reported])

    def _renamed(self, renames: dict[str, str]) -> None:
        """The wiki found recipients by account id under new names: Kudos follows (audited)."""
        try:
            with self.db.transaction() as session:
                for old, new in renames.items():
                    accounts.rename(session, old, new, wiki=self.wiki_id, actor=JOB_ACTOR,
                                    reason="the delivery job found the account under a new name")
        except Exception as error:  # noqa: BLE001 - the barnstar still goes to the new name; next time again
            log_event(event="rename", wiki=self.wiki_id, outcome="failed", reason=str(error)[:200],
                      worker=self.runner.worker_id)
            return
        for old, new in renames.items():
            log_event(event="rename", wiki=self.wiki_id, old=old, new=new, outcome="done",
                      worker=self.runner.worker_id)
