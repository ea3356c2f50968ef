"""A Mastodon API server on loopback: mastodon-mock (FastAPI + in-memory SQLite) from its own virtualenv.

No real Mastodon can be installed here; mastodon-mock speaks the REST API that Mastodon.py uses,
honours Idempotency-Key, enforces the 500-character limit (422) and rejects unknown tokens (401).
Installed by scripts/install.d/41-mastodon-mock.sh into the test cache (tests.support.TEST_CACHE).
Its own fault-injection control plane (/api/v1/_mock/faults) is wrapped by `add_fault`.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.processes import stop_process, wait_until_answering
from tests.stub_http import free_port
from tests.support import TEST_CACHE, need

MOCK_BIN = TEST_CACHE / "mastodon-mock-venv" / "bin" / "mastodon_mock"
SEED_TOKEN = "mock_token"  # the seeded account "testuser"


def mastodon_mock_installed() -> bool:
    return MOCK_BIN.exists()


class MastodonMock:
    """A running `mastodon_mock serve --in-memory`; `base_url` and `token` are what Mastodon.py needs."""

    def __init__(self, folder: Path, port: int, process: subprocess.Popen[bytes]) -> None:
        self.folder = folder
        self.port = port
        self.process = process
        self.base_url = f"http://127.0.0.1:{port}"
        self.token = SEED_TOKEN

    @classmethod
    def start(cls, folder: Path, port: int | None = None, timeout: float = 30.0) -> MastodonMock:
        folder.mkdir(parents=True, exist_ok=True)
        port = port or free_port()
        with open(folder / "mastodon-mock.out", "ab") as out:
            # cwd matters: the mock reads ./.mastodon_mock.toml or ./pyproject.toml when present.
            process = subprocess.Popen(
                [str(MOCK_BIN), "serve", "--in-memory", "--host", "127.0.0.1", "--port", str(port),
                 "--log-level", "warning"],
                cwd=folder, stdout=out, stderr=subprocess.STDOUT,
            )
        server = cls(folder, port, process)
        server._wait_ready(timeout)
        return server

    def _wait_ready(self, timeout: float) -> None:
        wait_until_answering(self.process, f"{self.base_url}/api/v2/instance", timeout, "mastodon_mock",
                             str(self.folder))

    def stop(self) -> None:
        stop_process(self.process)

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"}
        response = requests.request(method, self.base_url + path, headers=headers, timeout=30, **kwargs)
        response.raise_for_status()
        return response.json()

    def client(self, **kwargs: Any) -> Any:
        """A Mastodon.py client for the seeded account (extra keyword arguments go to the constructor)."""
        from mastodon import Mastodon

        return Mastodon(api_base_url=self.base_url, access_token=self.token, **kwargs)

    def account_id(self) -> str:
        return str(self._call("GET", "/api/v1/accounts/verify_credentials")["id"])

    def statuses(self, limit: int = 40) -> list[dict[str, Any]]:
        """The seeded account's statuses as JSON, newest first (reading back what was posted)."""
        path = f"/api/v1/accounts/{self.account_id()}/statuses"
        return list(self._call("GET", path, params={"limit": limit}))

    def create_account(self, username: str) -> str:
        """A further local account (so that a mention of it would resolve); returns its id."""
        return str(self._call("POST", "/api/v1/_mock/dev_user", json={"username": username})["id"])

    def reset(self) -> None:
        """Drop every status and fault rule and re-seed (the token stays valid)."""
        self._call("POST", "/api/v1/_mock/reset")

    def add_fault(
        self,
        path: str = "/api/v1/statuses",
        effect: str = "ratelimit",
        *,
        count: int | None = 1,
        methods: list[str] | None = None,
        status: int | None = None,
        headers: dict[str, str] | None = None,
        delay_ms: int = 0,
        body: Any = None,
    ) -> dict[str, Any]:
        """Make the mock misbehave for the next `count` matching requests (None: until cleared).

        effect: "ratelimit" (429 + X-RateLimit-Reset as epoch seconds and Retry-After, default 300 s,
        override with `headers`), "status" (e.g. status=503), "latency" (delay_ms, then normal),
        "timeout" (holds the connection at least 30 s), "malformed" (broken JSON with 200).
        `path` may contain * wildcards; `methods` None matches every method.
        """
        effect_spec: dict[str, Any] = {"type": effect, "delay_ms": delay_ms, "headers": headers or {}}
        if status is not None:
            effect_spec["status"] = status
        if body is not None:
            effect_spec["body"] = body
        rule = {"match": {"path": path, "methods": methods}, "effect": effect_spec, "count": count}
        return dict(self._call("POST", "/api/v1/_mock/faults", json=rule))

    def clear_faults(self) -> None:
        self._call("DELETE", "/api/v1/_mock/faults")


@pytest.fixture(scope="session")
def mastodon_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MastodonMock]:
    need(mastodon_mock_installed(), "mastodon-mock (scripts/install.d/41-mastodon-mock.sh)")
    server = MastodonMock.start(tmp_path_factory.mktemp("mastodon-mock"))
    try:
        yield server
    finally:
        server.stop()
