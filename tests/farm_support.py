"""Delivery jobs against the wiki farm (tests.servers.wikis): several wikis, several job replicas.

Each wiki is reached through its fault proxy, which notes when every edit arrived: the tests measure each
wiki's edit rate there, as the wiki itself would see it (MediaWiki's own timestamps have whole seconds).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kudos.config import PROJECT_ROOT
from kudos.db import Database
from kudos.models import DeliveryStatus
from tests.servers.wiki_faults import FaultProxy, ProxiedRequest
from tests.servers.wikis import Farm
from tests.support import TEST_SECRET_KEY
from tests.wiki_people import create_accounts
from tests.wikibot_support import approve_many, deliveries, load, page_text, unique_name, write_config

WIKI_IDS = ("lanea", "laneb", "lanec")


def is_edit(request: ProxiedRequest) -> bool:
    return request.method == "POST" and request.action == "edit"


def edit_times(proxy: FaultProxy) -> list[float]:
    """When each edit that reached the wiki arrived (a dropped answer's edit reached it too)."""
    return sorted(request.at for request, fault in list(proxy.seen) if is_edit(request) and fault in (None, "drop"))


def gaps(times: list[float]) -> list[float]:
    return [later - earlier for earlier, later in zip(times, times[1:], strict=False)]


@dataclass
class FarmJob:
    """A job configuration for the farm's wikis (`lanea`, `laneb`, `lanec`) and the replicas started with it."""

    farm: Farm
    db: Database
    folder: Path
    settings: dict[str, Any]
    replicas: list[subprocess.Popen[str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.path = write_config(self.folder, self.settings)
        self.config = load(self.path)
        self.wiki_of = dict(zip(WIKI_IDS, self.farm.wikis, strict=True))
        self.proxy_of = dict(zip(WIKI_IDS, self.farm.proxies, strict=True))

    @classmethod
    def make(cls, farm: Farm, db: Database, folder: Path, throttle: float, wiki_throttles: dict[str, float],
             **delivery: Any) -> FarmJob:
        wikis = {wiki_id: {"api_url": proxy.api_url, "language": "en", "name": f"Wiki {wiki_id[-1].upper()}"}
                 for wiki_id, proxy in zip(WIKI_IDS, farm.proxies, strict=True)}
        for wiki_id, seconds in wiki_throttles.items():
            wikis[wiki_id]["throttle"] = seconds  # type: ignore[assignment]
        settings = {
            "environment": "development", "secret_key": TEST_SECRET_KEY, "database_url": db.url,
            "ratelimit": {"nominations_per_day": 100_000},  # one nominator makes every burst's nominations
            "tool_url": "https://kudos.example.org", "contact": "kudos-tests@example.org", "wikis": wikis,
            "bot": {"username": farm.bot.login, "password": farm.bot.password, "throttle": throttle,
                    "pywikibot_dir": str(folder / "pywikibot"), "timeout": [3, 10]},
            "delivery": {"health_file": str(folder / "wikibot.health"), "interval": 0.2, "retry_base_seconds": 1,
                         "retry_max_seconds": 2, **delivery},
        }
        job = cls(farm, db, folder, settings)
        farm.cleanups.append(job.stop)
        return job

    def users(self, wiki_id: str, count: int, prefix: str = "Lane") -> list[str]:
        names = [unique_name(prefix) for _ in range(count)]
        create_accounts(self.wiki_of[wiki_id], names)
        return names

    def approve(self, wiki_id: str, recipients: list[str], campaign: str | None = None) -> list[int]:
        return approve_many(self.db, self.config, recipients, campaign_slug=campaign, wiki=wiki_id)

    def start(self, count: int = 1) -> list[subprocess.Popen[str]]:
        started = [subprocess.Popen([sys.executable, "-m", "wikibot"], cwd=PROJECT_ROOT, text=True,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    env={**os.environ, "KUDOS_CONFIG": str(self.path)})
                   for _ in range(count)]
        self.replicas += started
        return started

    def stop(self) -> list[tuple[int, str]]:
        """SIGTERM every replica still running; (exit code, stderr) of each replica ever started."""
        for process in self.replicas:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        ended = []
        for process in self.replicas:
            try:
                _, err = process.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                _, err = process.communicate()
            ended.append((process.returncode, err))
        return ended

    def wait_done(self, ids: list[int], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            waiting = [i for i, d in deliveries(self.db, ids).items() if d.status != DeliveryStatus.done]
            if not waiting:
                return
            assert time.monotonic() < deadline, f"{len(waiting)} deliveries not done: {waiting[:5]}"
            for process in self.replicas:
                assert process.returncode != 1 and process.poll() in (None, -signal.SIGKILL), self.stop()
            time.sleep(0.1)

    def assert_each_exactly_once(self, ids: list[int]) -> None:
        rows = deliveries(self.db, ids)
        texts: dict[tuple[str, str], str] = {}
        for delivery_id in ids:
            delivery = rows[delivery_id]
            assert delivery.status == DeliveryStatus.done, (delivery_id, delivery.status, delivery.last_error)
            page = (delivery.nomination.wiki, f"User talk:{delivery.nomination.recipient}")
            if page not in texts:
                texts[page] = page_text(self.wiki_of[page[0]], page[1])
            assert texts[page].count(f"kudos:delivery:{delivery.key}") == 1, (page, delivery_id)
