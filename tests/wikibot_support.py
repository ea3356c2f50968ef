"""Helpers for the delivery-job tests: a job configuration for the local wiki, approved nominations, runs.

The job always runs as a real subprocess (`python -m wikibot`) with KUDOS_CONFIG pointing at a
generated file, as it runs in production; results are checked through the wiki's API.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from kudos import nominations
from kudos.config import PROJECT_ROOT, Config, load_config
from kudos.db import Database
from kudos.models import Delivery, DeliveryStatus
from tests.factories import make_campaign, make_nomination
from tests.support import TEST_SECRET_KEY
from tests.wiki_people import create_accounts

WIKI_ID = "localwiki"
ORGANIZER = "Olga Organizer"
NOMINATOR = "Nina"


def job_settings(database_url: str, api_url: str, bot_login: str, bot_password: str, folder: Path,
                 **delivery: Any) -> dict[str, Any]:
    return {
        "environment": "development",
        "secret_key": TEST_SECRET_KEY,  # the web tool's, so the job's consent links open there
        "database_url": database_url,
        "tool_url": "https://kudos.example.org",
        "contact": "kudos-tests@example.org",
        "wikis": {WIKI_ID: {"api_url": api_url, "language": "en", "name": "Local test wiki"}},
        "ratelimit": {"nominations_per_day": 100_000},  # one nominator makes every batch's nominations
        "bot": {"username": bot_login, "password": bot_password, "throttle": 0,
                "pywikibot_dir": str(folder / "pywikibot")},
        "delivery": {"health_file": str(folder / "wikibot.health"), "retry_base_seconds": 2,
                     "retry_max_seconds": 3, **delivery},
    }


def write_config(folder: Path, settings: dict[str, Any]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"config-{uuid.uuid4().hex[:6]}.yaml"
    path.write_text(yaml.safe_dump(settings, allow_unicode=True))
    return path


def load(path: Path) -> Config:
    return load_config(path=path, environ={})


def unique_name(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def approve_many(db: Database, config: Config, recipients: list[str], messages: list[str] | None = None,
                 campaign_slug: str | None = None, wiki: str = WIKI_ID) -> list[int]:
    """Nominate and approve one barnstar per recipient; returns the talk-page delivery ids."""
    ids = []
    with db.transaction() as session:
        campaign = make_campaign(session, config, slug=campaign_slug or unique_name("c-").lower(),
                                 wiki=wiki, organizers=(ORGANIZER,))
        for index, recipient in enumerate(recipients):
            message = messages[index] if messages else f"Thank you for your work, {recipient}."
            nomination = make_nomination(session, config, campaign, nominator=NOMINATOR, recipient=recipient,
                                         message=message)
            nominations.approve(session, config, nomination, ORGANIZER)
            session.flush()
            ids += [d.id for d in nomination.deliveries if d.channel == "talkpage"]
    return ids


def run_job(config_path: Path, *args: str, timeout: float = 180, check: bool = True,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "wikibot", *args], cwd=PROJECT_ROOT, capture_output=True, text=True,
        timeout=timeout, env={**os.environ, "KUDOS_CONFIG": str(config_path), **(env or {})},
    )
    if check and done.returncode != 0:
        raise AssertionError(f"wikibot exited {done.returncode}:\n{done.stdout}\n{done.stderr[-4000:]}")
    return done


def summary(output: str) -> dict[str, int]:
    found = re.search(r"done=(\d+) skipped=(\d+) retrying=(\d+) failed=(\d+)", output)
    assert found, output
    return dict(zip(("done", "skipped", "retrying", "failed"), map(int, found.groups()), strict=True))


def deliveries(db: Database, ids: list[int]) -> dict[int, Delivery]:
    with db.session() as session:
        query = select(Delivery).where(Delivery.id.in_(ids)).options(selectinload(Delivery.nomination))
        return {d.id: d for d in session.scalars(query)}


def statuses(db: Database, ids: list[int]) -> dict[int, DeliveryStatus]:
    return {i: d.status for i, d in deliveries(db, ids).items()}


def page_text(wiki: Any, title: str) -> str:
    pages = wiki.api(prop="revisions", rvprop="content", rvslots="main", titles=title)["query"]["pages"]
    revisions = pages[0].get("revisions") or [{}]
    return str(revisions[0].get("slots", {}).get("main", {}).get("content", ""))


def markers_on(wiki: Any, title: str, key: str) -> int:
    return page_text(wiki, title).count(f"kudos:delivery:{key}")


# --- fixtures for the tests against the local MediaWiki ------------------------------------------

@dataclass
class Job:
    """One delivery-job set-up: the wiki, the database and a configuration file naming both."""

    wiki: Any
    db: Database
    folder: Path
    settings: dict[str, Any]
    bot_user: str

    def __post_init__(self) -> None:
        self.path = write_config(self.folder, self.settings)
        self.config = load(self.path)

    def with_delivery(self, **delivery: Any) -> Job:
        settings = {**self.settings, "delivery": {**self.settings["delivery"], **delivery}}
        return Job(self.wiki, self.db, self.folder, settings, self.bot_user)

    def with_bot(self, **bot: Any) -> Job:
        settings = {**self.settings, "bot": {**self.settings["bot"], **bot}}
        return Job(self.wiki, self.db, self.folder, settings, self.bot_user)

    def approve(self, recipients: list[str], messages: list[str] | None = None) -> list[int]:
        return approve_many(self.db, self.config, recipients, messages)

    def run(self, *args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        return run_job(self.path, *args, **kwargs)

    def once(self) -> dict[str, int]:
        return summary(self.run("--once").stdout)

    def users(self, count: int, prefix: str = "R") -> list[str]:
        names = [unique_name(prefix) for _ in range(count)]
        create_accounts(self.wiki, names)
        return names


@pytest.fixture(scope="module")
def delivery_bot(local_wiki: Any) -> Any:
    """A bot account with a BotPassword, its own per test module (so cookies never mix)."""
    return local_wiki.create_bot(unique_name("KudosBot"))


def bot_home(tmp_path_factory: pytest.TempPathFactory, bot: Any) -> str:
    """pywikibot's folder for `bot` across the tests of a module, so that only the first job run logs in (a
    second or so each); the job keeps one sub-folder per account, secret and wiki address (wikibot.pwbconfig),
    so a test that changes any of them still starts without cookies."""
    return str(tmp_path_factory.getbasetemp() / f"pywikibot-{bot.user}")


@pytest.fixture
def job(database: Database, local_wiki: Any, delivery_bot: Any, tmp_path: Path,
        tmp_path_factory: pytest.TempPathFactory) -> Job:
    settings = job_settings(database.url, local_wiki.api_url, delivery_bot.login, delivery_bot.password, tmp_path)
    settings["bot"]["pywikibot_dir"] = bot_home(tmp_path_factory, delivery_bot)
    return Job(local_wiki, database, tmp_path, settings, delivery_bot.user)
