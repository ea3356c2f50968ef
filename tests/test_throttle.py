"""Request throttling for signing in (each GET /login asks Meta-Wiki for an OAuth request token) and the
public API, with counts in Redis shared by every web worker (the real Redis at 127.0.0.1:6379).

Each test counts for a client address of its own, so tests and sessions sharing the Redis never mix.
"""

from __future__ import annotations

import secrets

import pytest
import redis
from flask import Flask

from kudos import allowance
from kudos.config import PROJECT_ROOT, load_config
from kudos.db import Database
from kudos.errors import ConfigError
from kudos.web import create_app
from kudos.web.ratelimit import key_prefix, throttles
from tests.support import TEST_SECRET_KEY, make_config, need

REDIS_URL = "redis://127.0.0.1:6379/0"
LIMITS = {"login": "3 per minute", "api": "4 per minute"}


def _redis_available() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


def _app(database: Database, redis_url: str) -> Flask:
    return create_app(make_config(database_url=database.url, redis_url=redis_url, ratelimit=LIMITS), database)


def _address() -> str:
    return "10.{}.{}.{}".format(*secrets.token_bytes(3))


def _get(app: Flask, path: str, address: str) -> int:
    return app.test_client().get(path, environ_base={"REMOTE_ADDR": address}).status_code


# Once, on SQLite: what is counted lives in Redis or in memory, not in the database.
ON_SQLITE = pytest.mark.parametrize("database", ["sqlite"], indirect=True)


@ON_SQLITE
def test_sign_in_is_throttled_across_workers_that_share_redis(database: Database) -> None:
    need(_redis_available(), f"Redis at {REDIS_URL}")
    workers, address = [_app(database, REDIS_URL), _app(database, REDIS_URL)], _address()
    # The OAuth callback (two more requests to Meta-Wiki) counts against the same allowance; in demo mode it is 404.
    seen = [_get(workers[0], "/login", address), _get(workers[1], "/oauth/callback", address),
            _get(workers[1], "/login", address), _get(workers[0], "/login", address)]
    assert seen == [200, 404, 200, 429]
    refused = workers[1].test_client().get("/login", environ_base={"REMOTE_ADDR": address})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "Too many sign-in attempts" in refused.get_data(as_text=True)
    assert _get(workers[1], "/login", _address()) == 200  # another address is counted on its own
    # Toolforge's Redis is shared by every tool: our counters are not where another tool could guess them.
    keys = [key.decode() for key in redis.Redis.from_url(REDIS_URL).scan_iter(match=f"*{address}*")]
    assert keys and all(key_prefix(workers[0].extensions["kudos.config"]) in key for key in keys)
    assert not any("/kudos/" in key for key in keys)


@ON_SQLITE
def test_the_api_is_throttled_with_a_json_answer(database: Database) -> None:
    need(_redis_available(), f"Redis at {REDIS_URL}")
    workers, address = [_app(database, REDIS_URL), _app(database, REDIS_URL)], _address()
    assert [_get(workers[i % 2], "/api/v1/shoutouts", address) for i in range(4)] == [200] * 4
    refused = workers[0].test_client().get("/api/v1/shoutouts", environ_base={"REMOTE_ADDR": address})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert refused.headers["Access-Control-Allow-Origin"] == "*"
    assert "Too many requests" in refused.get_json()["error"]
    assert _get(workers[0], "/", address) == 200  # pages are not throttled


@ON_SQLITE
def test_without_redis_each_worker_counts_on_its_own(database: Database) -> None:
    """What config.example.yaml says: without redis_url the limits are per worker, in its memory."""
    workers, address = [_app(database, ""), _app(database, "")], _address()
    assert [_get(workers[0], "/login", address) for _ in range(4)] == [200, 200, 200, 429]
    assert _get(workers[1], "/login", address) == 200


def test_the_example_configuration_holds_valid_limits() -> None:
    # The example's own secret_key is a placeholder that production refuses; a real deployment sets its own.
    example = load_config(PROJECT_ROOT / "config.example.yaml", environ={"TOOL_SECRET_KEY": TEST_SECRET_KEY})
    assert throttles(example) == {"login": "30 per minute", "api": "300 per minute"}
    assert [allowance.per_day(example, kind) for kind in allowance.Kind] == [20, 2000]


@pytest.mark.parametrize(("key", "bad"), [("login", "often"), ("api", 5), ("login", "0 per minute")])
@ON_SQLITE
def test_a_bad_throttle_stops_the_start_with_a_sentence(database: Database, key: str, bad: object) -> None:
    with pytest.raises(ConfigError, match=f"ratelimit.{key}"):
        create_app(make_config(database_url=database.url, ratelimit={key: bad}), database)
