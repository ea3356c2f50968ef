"""Wiki lanes in the database: one holder per wiki, edit slots a throttle apart whoever holds it, pauses."""

from __future__ import annotations

import random
import threading
import time
from datetime import timedelta

import pytest

from kudos import lanes
from kudos.clock import utcnow
from kudos.db import Database


def test_one_replica_holds_a_wiki_and_another_takes_it_when_released(database: Database) -> None:
    first = lanes.acquire(database, "orwiki", "w1", 60)
    assert first is not None and first.holder == "w1"
    assert lanes.acquire(database, "orwiki", "w2", 60) is None
    assert lanes.acquire(database, "orwiki2", "w2", 60) is not None  # another wiki, even a similar id
    assert lanes.acquire(database, "orwiki", "w1", 60) is not None  # renewing one's own
    lanes.release(database, "orwiki", "w2")  # not the holder: changes nothing
    assert lanes.acquire(database, "orwiki", "w2", 60) is None
    lanes.release(database, "orwiki", "w1")
    assert lanes.acquire(database, "orwiki", "w2", 60) is not None


def test_a_slot_is_a_throttle_after_the_last_one_even_for_the_replica_that_takes_over(database: Database) -> None:
    assert lanes.acquire(database, "orwiki", "dead", 0.3)
    granted, next_slot = lanes.reserve(database, "orwiki", "dead", 0.25, 0.3)
    assert granted
    assert next_slot.microsecond != 0 or next_slot.second != 0  # fractions of a second are kept (MariaDB too)
    again, wait_until = lanes.reserve(database, "orwiki", "dead", 0.25, 0.3)
    assert not again and wait_until == next_slot
    assert lanes.acquire(database, "orwiki", "heir", 0.3) is None  # the lease is still running
    time.sleep(0.35)
    taken = lanes.acquire(database, "orwiki", "heir", 5)
    assert taken is not None and taken.next_edit_at == next_slot
    with pytest.raises(lanes.LaneLost):
        lanes.reserve(database, "orwiki", "dead", 0.25, 0.3)


def test_edit_slots_never_come_closer_than_the_throttle_whoever_holds_the_wiki(database: Database) -> None:
    """Four replicas (threads here) that take the lane, post a few times and let it go, or stall in it."""
    throttle, slots, lock = 0.05, [], threading.Lock()
    chance = random.Random(7)
    delays = [chance.uniform(0, 0.05) for _ in range(400)]
    deadline = time.monotonic() + 2.0

    def replica(name: str) -> None:
        while time.monotonic() < deadline:
            if lanes.acquire(database, "orwiki", name, 0.2) is None:
                time.sleep(0.01)
                continue
            for _ in range(3):
                try:
                    granted, slot = lanes.reserve(database, "orwiki", name, throttle, 0.2)
                except lanes.LaneLost:
                    break
                if granted:
                    with lock:
                        slots.append(slot)
                time.sleep(delays.pop() if delays else 0.01)
            if chance.random() < 0.5:
                lanes.release(database, "orwiki", name)  # else it stalls until its lease runs out

    threads = [threading.Thread(target=replica, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    slots.sort()
    gaps = [(later - earlier).total_seconds() for earlier, later in zip(slots, slots[1:], strict=False)]
    assert len(slots) > 10
    assert min(gaps) >= throttle


def test_a_pause_backs_off_keeps_when_it_began_and_ends_on_resume(database: Database) -> None:
    assert lanes.acquire(database, "orwiki", "w", 60)
    asked: list[tuple[int, float | None]] = []

    def backoff(failures: int, after: float | None) -> float:
        asked.append((failures, after))
        return 30.0 * failures

    before = utcnow()
    assert lanes.pause(database, "orwiki", "w", "readonly", "The wiki is read-only: maintenance", backoff) == 30
    with database.session() as session:
        first = lanes.paused(session, "orwiki")
    assert first is not None and first.paused_kind == "readonly" and first.paused_since is not None
    assert first.paused_since >= before.replace(microsecond=0) and first.paused_at(utcnow())
    assert lanes.pause(database, "orwiki", "w", "unreachable", "No answer", backoff, after=5) == 60
    assert asked == [(1, None), (2, 5)]
    with database.session() as session:
        second = lanes.paused(session, "orwiki")
    assert second is not None and second.paused_kind == "unreachable"
    assert second.paused_since == first.paused_since  # the outage began with the first failure
    assert second.next_edit_at >= utcnow() + timedelta(seconds=55)
    assert lanes.pause(database, "orwiki", "not-the-holder", "failing", "x", backoff) == 30  # writes nothing
    lanes.resume(database, "orwiki")
    with database.session() as session:
        assert lanes.paused(session, "orwiki") is None
        assert lanes.states(session)["orwiki"].failures == 0
