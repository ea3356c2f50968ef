"""The daily allowance of nominations per person: counted in the database, so it holds across web
workers, parallel submissions and the bulk page.

Core tests race threads on SQLite and MariaDB; the web tests go through the nomination form with the
real local MediaWiki answering its checks; one test runs the production web command (gunicorn, 4
workers) against MariaDB with 16 parallel submissions.
"""

from __future__ import annotations

import itertools
import os
import secrets
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import flask
import pytest
import requests
import yaml
from flask import Flask
from flask.testing import FlaskClient
from flask_wtf.csrf import generate_csrf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from kudos import allowance, bulk, maintenance, nominations
from kudos.clock import utcnow
from kudos.config import PROJECT_ROOT, Config
from kudos.db import Database
from kudos.errors import DomainError
from kudos.models import Allowance, Campaign, Nomination
from kudos.names import canonical_username
from kudos.web import create_app
from tests.factories import make_campaign
from tests.processes import stop_process, wait_until_answering
from tests.servers.mediawiki import LocalWiki
from tests.stub_http import free_port
from tests.support import make_config
from tests.wiki_people import create_accounts

MESSAGE = "Wrote three fine articles about rivers, with sources."
RECIPIENTS = [f"Alw Ravi {i}" for i in range(16)]


def _config(database: Database, per_day: int = 3, bulk_per_day: int = 2000, **overrides: object) -> Config:
    return make_config(database_url=database.url,
                       ratelimit={"nominations_per_day": per_day, "bulk_nominations_per_day": bulk_per_day},
                       **overrides)


def _campaign_id(database: Database, config: Config, wiki: str = "orwiki") -> int:
    with database.transaction() as session:
        return make_campaign(session, config, slug="alw", wiki=wiki, organizers=("Olga",), starts=None,
                             ends=None).id


def _nominate(database: Database, config: Config, campaign_id: int, nominator: str, recipient: str,
              **kwargs: Any) -> int:
    with database.transaction() as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        return nominations.nominate(session, config, campaign=campaign, nominator=nominator, recipient=recipient,
                                    award="barnstar", message=MESSAGE, **kwargs).id


def _saved(database: Database) -> Counter[str]:
    with database.session() as session:
        return Counter(session.scalars(select(Nomination.nominator)))


# --- the rule in the core ---------------------------------------------------------------------------

def test_each_person_gets_exactly_the_allowance_per_utc_day(database: Database) -> None:
    config = _config(database, per_day=3)
    campaign = _campaign_id(database, config)
    for i in range(3):
        _nominate(database, config, campaign, "Ana", f"Ravi {i}")
    # "ana" and "Ana" are one account by MediaWiki's rules; the refusal says how many and until when.
    with pytest.raises(allowance.AllowanceSpent, match="at most 3 nominations a day"):
        _nominate(database, config, campaign, "ana", "Ravi 3")
    for other in ("Ananya", "Ana b", "An"):  # prefixes and extensions are other people
        _nominate(database, config, campaign, other, "Ravi 3")
    _nominate(database, config, campaign, "Ana", "Ravi 3", now=utcnow() + timedelta(days=1))
    assert _saved(database) == {"Ana": 4, "Ananya": 1, "Ana b": 1, "An": 1}


def test_a_refused_nomination_costs_nothing(database: Database) -> None:
    config = _config(database, per_day=2)
    campaign = _campaign_id(database, config)
    _nominate(database, config, campaign, "Nina", "Ravi")
    for _ in range(3):  # a duplicate of a pending nomination is refused, and does not count
        with pytest.raises(DomainError, match="already have a pending nomination"):
            _nominate(database, config, campaign, "Nina", "Ravi")
    _nominate(database, config, campaign, "Nina", "Rita")
    assert _saved(database) == {"Nina": 2}


def test_the_table_holds_no_names(database: Database) -> None:
    config = _config(database)
    _nominate(database, config, _campaign_id(database, config), "Nina Privatename", "Ravi")
    with database.session() as session:
        rows = list(session.scalars(select(Allowance)))
    assert len(rows) == 1 and rows[0].used == 1
    assert "Nina" not in rows[0].subject and "Privatename" not in rows[0].subject


def test_prune_forgets_the_counts_of_days_that_are_over(database: Database) -> None:
    config = _config(database, per_day=1)
    campaign = _campaign_id(database, config)
    now = utcnow()
    for days_ago in (0, 1, 2, 30):
        _nominate(database, config, campaign, "Nina", f"Ravi {days_ago}", now=now - timedelta(days=days_ago))
    with database.transaction() as session:
        assert maintenance.prune(session, config, now).allowances_deleted == 2
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Allowance)) == 2  # today's and yesterday's
    with pytest.raises(allowance.AllowanceSpent):
        _nominate(database, config, campaign, "Nina", "Rita", now=now)


def _race(workers: int, job: Callable[[int], object]) -> Counter[str]:
    """Run job(0..workers-1) at the same moment; count what each returned or raised."""
    start = threading.Barrier(workers)

    def run(i: int) -> str:
        start.wait()
        try:
            job(i)
            return "saved"
        except allowance.AllowanceSpent:
            return "refused"
        except Exception as error:  # noqa: BLE001 - anything else is reported, and fails the test
            return f"{type(error).__name__}: {error}"

    with ThreadPoolExecutor(workers) as pool:
        return Counter(pool.map(run, range(workers)))


def test_sixteen_parallel_nominations_by_one_person_save_exactly_the_allowance(database: Database) -> None:
    config = _config(database, per_day=5)
    campaign = _campaign_id(database, config)
    outcomes = _race(16, lambda i: _nominate(database, config, campaign, "Nina", f"Ravi {i}"))
    assert outcomes == {"saved": 5, "refused": 11}
    assert _saved(database) == {"Nina": 5}


NAMES = ["Ana", "ana", "Ananya", "Ana_b", "Ana b", "E", "e", "Ee", "Great", "Greatness"]
_examples = itertools.count()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(attempts=st.lists(st.sampled_from(NAMES), min_size=1, max_size=12))
def test_nobody_gets_more_than_the_allowance_whatever_the_spelling(database: Database, attempts: list[str]) -> None:
    config = _config(database, per_day=2)
    with database.session() as session:
        campaign = session.scalar(select(Campaign.id).where(Campaign.slug == "alw"))
    campaign = campaign or _campaign_id(database, config)
    example = next(_examples)  # examples share the database: each gets a day and recipients of its own
    day = utcnow() + timedelta(days=example)
    saved: Counter[str] = Counter()
    for number, name in enumerate(attempts):
        try:
            _nominate(database, config, campaign, name, f"Recipient {example}-{number}", now=day)
            saved[canonical_username(name)] += 1
        except allowance.AllowanceSpent:
            pass
    wanted = Counter(canonical_username(name) for name in attempts)
    assert saved == {name: min(count, 2) for name, count in wanted.items()}


# --- the bulk page: organizers' lists count on their own allowance -----------------------------------

def _everyone(names: Any) -> dict[str, bulk.WikiUser]:
    return {name: bulk.WikiUser(exists=True) for name in names}


def _bulk(database: Database, config: Config, campaign_id: int, names: list[str]) -> int:
    with database.transaction() as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        return len(bulk.create(session, config, campaign=campaign, organizer="Olga", text="\n".join(names),
                               default_message=MESSAGE, award="barnstar", approve=False, lookup=_everyone).created)


def test_bulk_lists_count_on_the_organizers_bulk_allowance_only(database: Database) -> None:
    config = _config(database, per_day=1, bulk_per_day=5)
    campaign = _campaign_id(database, config)
    assert _bulk(database, config, campaign, ["A1", "A2", "A3"]) == 3
    with pytest.raises(allowance.AllowanceSpent, match="only 2 more today"):
        _bulk(database, config, campaign, ["B1", "B2", "B3"])  # the whole list is refused, nothing half-done
    assert _saved(database) == {"Olga": 3}
    assert _bulk(database, config, campaign, ["B1", "B2"]) == 2
    _nominate(database, config, campaign, "Olga", "Ravi")  # the form's allowance is separate
    assert _saved(database) == {"Olga": 6}


def test_parallel_bulk_lists_respect_the_bulk_allowance(database: Database) -> None:
    config = _config(database, bulk_per_day=10)
    campaign = _campaign_id(database, config)
    outcomes = _race(8, lambda i: _bulk(database, config, campaign, [f"L{i} {n}" for n in range(3)]))
    assert outcomes == {"saved": 3, "refused": 5}
    assert _saved(database) == {"Olga": 9}


# --- through the nomination form, with the real wiki answering the checks ----------------------------

@pytest.fixture(scope="module")
def wiki(local_wiki: LocalWiki) -> LocalWiki:
    create_accounts(local_wiki, ["Alw Nina", "Alw Rita", *RECIPIENTS])
    return local_wiki


def _wiki_config(database: Database, wiki: LocalWiki, per_day: int) -> Config:
    return _config(database, per_day=per_day,
                   wikis={"testwiki": {"api_url": wiki.api_url, "language": "en", "name": "Test Wiki"}})


def _form(recipient: str, **changes: str) -> dict[str, str]:
    return {"campaign": "alw", "recipient": recipient, "award": "barnstar", "message": MESSAGE, "link": "",
            **changes}


def _client(app: Flask, username: str = "Alw Nina") -> FlaskClient:
    client = app.test_client()
    with client.session_transaction() as session:
        session["user"] = {"username": username, "editcount": 1000}
    return client


def _web_app(database: Database, config: Config) -> Flask:
    app = create_app(config, database)
    app.config["WTF_CSRF_ENABLED"] = False
    return app


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_two_web_workers_share_one_allowance_and_the_refusal_keeps_the_form(database: Database,
                                                                          wiki: LocalWiki) -> None:
    config = _wiki_config(database, wiki, per_day=3)
    _campaign_id(database, config, wiki="testwiki")
    workers = [_client(_web_app(database, config)), _client(_web_app(database, config))]
    for i in range(3):
        assert workers[i % 2].post("/nominate/confirm", data=_form(RECIPIENTS[i])).status_code == 302
    typed = _form("Alw Ravi 9", message="The fourth kind word today, about rivers and <b>bridges</b>.")
    for worker in workers:
        refused = worker.post("/nominate/confirm", data=typed)
        page = refused.get_data(as_text=True)
        assert refused.status_code == 429
        assert "at most 3 nominations from one person per day" in page and "This nomination was not saved." in page
        # Everything typed is still in the form, ready to send tomorrow.
        assert 'value="Alw Ravi 9"' in page
        assert "The fourth kind word today, about rivers and &lt;b&gt;bridges&lt;/b&gt;.</textarea>" in page
    # The preview already says so, before asking the wiki to render anything.
    before = wiki.request_count()
    assert workers[0].post("/nominate", data=typed).status_code == 429
    assert wiki.request_count() == before
    assert _saved(database) == {"Alw Nina": 3}
    assert _client(workers[0].application, "Alw Rita").post(
        "/nominate/confirm", data=_form("Alw Ravi 9")).status_code == 302  # another person still may


@pytest.mark.parametrize("database", ["mariadb"], indirect=True)
def test_parallel_submissions_to_one_web_worker(database: Database, wiki: LocalWiki) -> None:
    # Six threads: each request holds two of the worker's 15 pooled connections (a read session, then the
    # write transaction); gunicorn runs four threads a worker.
    config = _wiki_config(database, wiki, per_day=2)
    _campaign_id(database, config, wiki="testwiki")
    app = _web_app(database, config)
    statuses = _race_web(6, lambda i: _client(app).post("/nominate/confirm", data=_form(RECIPIENTS[i])).status_code)
    assert statuses == {302: 2, 429: 4}
    assert _saved(database) == {"Alw Nina": 2}


def _race_web(workers: int, job: Callable[[int], int]) -> Counter[int]:
    start = threading.Barrier(workers)

    def run(i: int) -> int:
        start.wait()
        return job(i)

    with ThreadPoolExecutor(workers) as pool:
        return Counter(pool.map(run, range(workers)))


# --- the production web command: gunicorn with 4 workers on MariaDB -------------------------------------

@pytest.fixture
def gunicorn_4(database: Database, wiki: LocalWiki, tmp_path: Path) -> Iterator[tuple[str, Config]]:
    config_path = tmp_path / "config.yaml"
    settings_ = {"environment": "development", "secret_key": "allowance-test-secret-0123456789abcdef",
                 "database_url": database.url, "ratelimit": {"nominations_per_day": 5},
                 "wikis": {"testwiki": {"api_url": wiki.api_url, "language": "en", "name": "Test Wiki"}}}
    config_path.write_text(yaml.safe_dump(settings_))
    config = make_config(**settings_)
    _campaign_id(database, config, wiki="testwiki")
    port = free_port()
    log = tmp_path / "gunicorn.log"
    env = {**os.environ, "KUDOS_CONFIG": str(config_path), "PORT": str(port), "GUNICORN_WORKERS": "4"}
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "app:app"],
                                   cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until_answering(process, f"http://127.0.0.1:{port}/healthz", 60, "gunicorn", str(log))
        yield f"http://127.0.0.1:{port}", config
    finally:
        stop_process(process)


def _browser(config: Config) -> tuple[dict[str, str], str]:
    """What Alw Nina's browser sends: her session cookie (the session stored as the tool stores every one,
    with a CSRF token in it) and the form's token."""
    app = create_app(config)
    client = app.test_client()
    with client.session_transaction() as session:
        session["user"] = {"username": "Alw Nina", "editcount": 1000}
        session["csrf_token"] = secrets.token_hex(20)
    with app.test_request_context():
        flask.session["csrf_token"] = session["csrf_token"]
        token = generate_csrf()
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None
    app.extensions["kudos.db"].dispose()
    return {"Cookie": f"{app.config['SESSION_COOKIE_NAME']}={cookie.value}"}, token


@pytest.mark.parametrize("database", ["mariadb"], indirect=True)
def test_four_gunicorn_workers_and_sixteen_parallel_submissions(database: Database,
                                                               gunicorn_4: tuple[str, Config]) -> None:
    base, config = gunicorn_4
    headers, token = _browser(config)

    def submit(i: int) -> int:
        return requests.post(f"{base}/nominate/confirm", data={**_form(RECIPIENTS[i]), "csrf_token": token},
                             headers=headers, allow_redirects=False, timeout=60).status_code

    assert _race_web(16, submit) == {302: 5, 429: 11}
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Nomination)) == 5
