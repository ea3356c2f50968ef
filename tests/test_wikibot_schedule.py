"""The job's scheduled step: contribution counts for reports are refreshed while the outbox is idle."""

from __future__ import annotations

import threading

from kudos import contribs
from kudos.db import Database
from tests.support import make_config
from wikibot.runner import Runner


def _runner(database: Database, tmp_path, **delivery: object) -> Runner:  # type: ignore[no-untyped-def]
    config = make_config(database_url=database.url, channels={},
                         delivery={"interval": 0.01, "health_file": str(tmp_path / "health"), **delivery})
    return Runner(config, database)


def test_idle_job_refreshes_contributions_once_per_interval(database: Database, tmp_path, monkeypatch) -> None:
    calls: list[object] = []
    runner = _runner(database, tmp_path, contribs_interval=3600)

    def refresh(db, config, now):  # type: ignore[no-untyped-def]
        calls.append(now)
        if len(calls) == 1:
            threading.Timer(0.2, runner.stopping.set).start()
        return contribs.Summary()

    monkeypatch.setattr(contribs, "refresh", refresh)
    runner.run_forever()
    assert len(calls) == 1  # many idle rounds passed, but the interval had not
    assert (tmp_path / "health").exists()


def test_a_failing_refresh_never_stops_the_job(database: Database, tmp_path, monkeypatch) -> None:
    runner = _runner(database, tmp_path, contribs_interval=3600)

    def refresh(db, config, now):  # type: ignore[no-untyped-def]
        threading.Timer(0.1, runner.stopping.set).start()
        raise ConnectionError("wiki unreachable")

    monkeypatch.setattr(contribs, "refresh", refresh)
    runner.run_forever()
    assert runner.contribs_next > 0


def test_refresh_can_be_turned_off(database: Database, tmp_path, monkeypatch) -> None:
    calls: list[object] = []
    runner = _runner(database, tmp_path, contribs_interval=0)
    monkeypatch.setattr(contribs, "refresh", lambda db, config, now: calls.append(now) or contribs.Summary())
    threading.Timer(0.3, runner.stopping.set).start()  # dozens of idle rounds at an interval of 0.01 s
    runner.run_forever()
    assert calls == []
    assert (tmp_path / "health").exists()
