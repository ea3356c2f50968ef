"""A minimal Mastodon API stub for failure handling: rate limits, server errors and hangs, then success.

Speaks just enough for Mastodon.py's `status_post`, `instance_v2` and `account_verify_credentials`,
honours Idempotency-Key like Mastodon (same key -> the same status), and records every request so a
test can check that a retry re-sent the same key.

How Mastodon.py 2.3.3 reacts (mastodon/internals.py):
- 429 with ratelimit_method="throw": raises MastodonRatelimitError("Hit rate limit.") with no response
  attached. Before raising it has parsed X-RateLimit-Reset (epoch seconds or an ISO 8601 time, as real
  Mastodon sends) into `client.ratelimit_reset` (local epoch seconds, corrected by the Date header), and
  X-RateLimit-Remaining into `client.ratelimit_remaining`. Our code should wait
  `max(0, client.ratelimit_reset - time.time())`; Retry-After is ignored by Mastodon.py. A reset time in
  the past leaves `ratelimit_reset` None (fall back to a backoff).
- With the default ratelimit_method="wait" it sleeps until that reset (at most 5 minutes) and retries
  the same request itself: never use it in a delivery job.
- 500/502/503/504 raise MastodonInternalServerError / BadGateway / ServiceUnavailable / GatewayTimeout,
  other 5xx MastodonServerError (all MastodonServerError subclasses); a read timeout
  (`request_timeout=` in the constructor, default 300 s) raises MastodonNetworkError.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.stub_http import Recorded, Reply, StubServer

TOKEN = "faults_token"
STATUSES_PATH = "/api/v1/statuses"


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class MastodonFaults(StubServer):
    """Mastodon stub; `rate_limit`, `server_error` and `hang` queue failures for the next requests."""

    max_characters = 500

    def __init__(self, port: int | None = None) -> None:
        super().__init__(port)
        self.token = TOKEN
        self._ids = itertools.count(110_000_000_000_000_001)
        self.statuses: list[dict[str, Any]] = []  # created statuses, oldest first
        self._by_key: dict[str, dict[str, Any]] = {}

    def on_reset(self) -> None:
        self.statuses.clear()
        self._by_key.clear()

    # --- failure injection ---

    def rate_limit(self, times: int = 1, reset_in: float = 30, path: str = STATUSES_PATH) -> None:
        """The next `times` requests get 429 with Mastodon's headers; the window resets in `reset_in` s."""
        reset = time.time() + reset_in
        headers = {
            "X-RateLimit-Limit": "300",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": _iso(reset),
            "Retry-After": str(max(1, round(reset_in))),
        }
        self.fail(path, 429, times=times, body={"error": "Too many requests"}, headers=headers)

    def server_error(self, status: int = 503, times: int = 1, path: str = STATUSES_PATH) -> None:
        self.fail(path, status, times=times, body={"error": "Service Unavailable"})

    def hang(self, seconds: float, times: int = 1, path: str = STATUSES_PATH) -> None:
        """Post, but delay the next `times` answers by `seconds`: past the client's timeout this is a post
        that went through while the client saw a failure."""
        self.fail(path, None, times=times, delay=seconds)

    # --- the API ---

    def route(self, request: Recorded) -> Reply:
        path = request.path.rstrip("/")  # Mastodon.py asks for /api/v1/instance/ with a trailing slash
        if path == "/api/v2/instance":
            return Reply(200, self._instance())
        if path == "/api/v1/instance":
            return Reply(200, {"uri": "faults.test", "title": "Faults", "version": "4.3.0",
                               "configuration": self._instance()["configuration"]})
        if request.header("Authorization") != f"Bearer {self.token}":
            return Reply(401, {"error": "The access token is invalid"})
        if path == "/api/v1/accounts/verify_credentials":
            return Reply(200, self._account())
        if path == STATUSES_PATH and request.method == "POST":
            return self._post_status(request)
        return Reply(404, {"error": "Record not found"})

    def _post_status(self, request: Recorded) -> Reply:
        form = request.body if isinstance(request.body, dict) else {}
        text = str(form.get("status", ""))
        if not text:
            return Reply(422, {"error": "Validation failed: Text can't be blank"})
        if len(text) > self.max_characters:
            error = f"Validation failed: Text is too long (maximum is {self.max_characters} characters)"
            return Reply(422, {"error": error})
        key = request.header("Idempotency-Key")
        if key and key in self._by_key:
            return Reply(200, self._by_key[key])
        status_id = str(next(self._ids))
        status = {
            "id": status_id,
            "uri": f"{self.base_url}/users/kudos/statuses/{status_id}",
            "url": f"{self.base_url}/@kudos/{status_id}",
            "created_at": _iso(time.time()),
            "content": f"<p>{text}</p>",
            "visibility": form.get("visibility") or "public",
            "language": form.get("language"),
            "sensitive": False,
            "spoiler_text": "",
            "account": self._account(),
            "media_attachments": [],
            "mentions": [],
            "tags": [],
            "emojis": [],
            "replies_count": 0,
            "reblogs_count": 0,
            "favourites_count": 0,
        }
        self.statuses.append(status)
        if key:
            self._by_key[key] = status
        return Reply(200, status)

    def _account(self) -> dict[str, Any]:
        return {"id": "1", "username": "kudos", "acct": "kudos", "display_name": "Kudos",
                "url": f"{self.base_url}/@kudos", "created_at": "2026-01-01T00:00:00.000Z"}

    def _instance(self) -> dict[str, Any]:
        return {
            "domain": "faults.test",
            "title": "Faults",
            "version": "4.3.0",
            "configuration": {
                "statuses": {"max_characters": self.max_characters, "max_media_attachments": 4,
                             "characters_reserved_per_url": 23},
            },
        }


@pytest.fixture(scope="session")
def mastodon_faults_server() -> Iterator[MastodonFaults]:
    server = MastodonFaults().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def mastodon_faults(mastodon_faults_server: MastodonFaults) -> MastodonFaults:
    """The session's stub, emptied of statuses, recorded requests and pending faults for this test."""
    mastodon_faults_server.reset()
    return mastodon_faults_server
