"""A real Matrix homeserver (Synapse, from its own virtualenv) on loopback for the Matrix delivery tests.

Installed by scripts/install.d/40-synapse.sh into the test cache (tests.support.TEST_CACHE). Usable outside
pytest too:

    server = LocalSynapse.start(Path("/tmp/hs"))
    user_id, token = server.register_user("kudosbot", "secret-pw")
    ...
    server.stop()
"""

from __future__ import annotations

import hashlib
import hmac
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests
import yaml

from tests.processes import stop_process, wait_until_answering
from tests.stub_http import free_port
from tests.support import TEST_CACHE, need

SYNAPSE_PYTHON = TEST_CACHE / "synapse-venv" / "bin" / "python"
SERVER_NAME = "localhost"

# Deliveries and test set-up send bursts of requests from one address; the default limits
# (a few per second) would turn a fast test suite into rate-limit failures.
_GENEROUS = {"per_second": 1000, "burst_count": 1000}
OVERRIDES: dict[str, Any] = {
    "listeners": [
        {
            "port": 0,  # replaced with the chosen port
            "bind_addresses": ["127.0.0.1"],
            "type": "http",
            "tls": False,
            "x_forwarded": False,
            "resources": [{"names": ["client"], "compress": False}],
        }
    ],
    "trusted_key_servers": [],  # never contact matrix.org
    "suppress_key_server_warning": True,
    "enable_registration": False,
    "report_stats": False,
    "presence": {"enabled": False},
    "bcrypt_rounds": 4,  # registering and logging in test accounts takes milliseconds instead of ~0.5 s
    "rc_message": _GENEROUS,
    "rc_registration": _GENEROUS,
    "rc_login": {"address": _GENEROUS, "account": _GENEROUS, "failed_attempts": _GENEROUS},
    "rc_joins": {"local": _GENEROUS, "remote": _GENEROUS},
    "rc_invites": {"per_room": _GENEROUS, "per_user": _GENEROUS, "per_issuer": _GENEROUS},
    "rc_room_creation": _GENEROUS,
    "rc_admin_redaction": _GENEROUS,
}


def synapse_installed() -> bool:
    return SYNAPSE_PYTHON.exists()


class LocalSynapse:
    """One running Synapse process with its data in `folder`; `base_url` is its client API root."""

    def __init__(self, folder: Path, port: int, process: subprocess.Popen[bytes], shared_secret: str):
        self.folder = folder
        self.port = port
        self.process = process
        self.base_url = f"http://127.0.0.1:{port}"
        self.server_name = SERVER_NAME
        self._shared_secret = shared_secret

    @classmethod
    def start(cls, folder: Path, port: int | None = None, timeout: float = 60.0) -> LocalSynapse:
        """Generate a config in `folder` (reused if present), start Synapse and wait until it answers."""
        folder.mkdir(parents=True, exist_ok=True)
        port = port or free_port()
        config = folder / "homeserver.yaml"
        if not config.exists():
            subprocess.run(
                [str(SYNAPSE_PYTHON), "-m", "synapse.app.homeserver", "--server-name", SERVER_NAME,
                 "--config-path", str(config), "--data-directory", str(folder),
                 "--generate-config", "--report-stats=no"],
                check=True, capture_output=True, cwd=folder,
            )
        overrides = dict(OVERRIDES, listeners=[dict(OVERRIDES["listeners"][0], port=port)])
        (folder / "overrides.yaml").write_text(yaml.safe_dump(overrides))
        secret = str(yaml.safe_load(config.read_text())["registration_shared_secret"])
        with open(folder / "synapse.out", "ab") as out:
            process = subprocess.Popen(
                [str(SYNAPSE_PYTHON), "-m", "synapse.app.homeserver",
                 "-c", str(config), "-c", str(folder / "overrides.yaml")],
                cwd=folder, stdout=out, stderr=subprocess.STDOUT,
            )
        server = cls(folder, port, process, secret)
        server._wait_ready(timeout)
        return server

    def _wait_ready(self, timeout: float) -> None:
        wait_until_answering(self.process, f"{self.base_url}/_matrix/client/versions", timeout, "Synapse",
                             f"{self.folder}/synapse.out and {self.folder}/homeserver.log")

    def stop(self) -> None:
        stop_process(self.process, grace=15)

    # --- helpers for tests: the real client-server and admin APIs ---

    def _call(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = requests.request(method, self.base_url + path, headers=headers, timeout=30, **kwargs)
        if not response.ok:
            raise RuntimeError(f"{method} {path} -> {response.status_code}: {response.text}")
        return response.json()

    def register_user(self, name: str, password: str, admin: bool = False) -> tuple[str, str]:
        """Create an account through the shared-secret admin API; returns (user_id, access_token)."""
        nonce = self._call("GET", "/_synapse/admin/v1/register")["nonce"]
        message = "\0".join([nonce, name, password, "admin" if admin else "notadmin"])
        mac = hmac.new(self._shared_secret.encode(), message.encode(), hashlib.sha1).hexdigest()
        body = {"nonce": nonce, "username": name, "password": password, "admin": admin, "mac": mac}
        reply = self._call("POST", "/_synapse/admin/v1/register", json=body)
        return reply["user_id"], reply["access_token"]

    def login(self, name: str, password: str) -> str:
        """A fresh access token (a new device) for an existing account."""
        identifier = {"type": "m.id.user", "user": name}
        body = {"type": "m.login.password", "identifier": identifier, "password": password}
        return str(self._call("POST", "/_matrix/client/v3/login", json=body)["access_token"])

    def create_room(self, token: str, name: str, alias: str | None = None) -> str:
        """A public, unencrypted room (like an announcement room); returns its room id."""
        body: dict[str, Any] = {"name": name, "preset": "public_chat", "visibility": "public"}
        if alias:
            body["room_alias_name"] = alias
        return str(self._call("POST", "/_matrix/client/v3/createRoom", token, json=body)["room_id"])

    def join_room(self, token: str, room_id_or_alias: str) -> str:
        path = f"/_matrix/client/v3/join/{quote(room_id_or_alias, safe='')}"
        return str(self._call("POST", path, token, json={})["room_id"])

    def send_text(self, token: str, room_id: str, body: str, txn_id: str | None = None) -> str:
        """Post an m.text message; returns the event id."""
        txn_id = txn_id or uuid.uuid4().hex
        room, txn = quote(room_id, safe=""), quote(txn_id, safe="")
        path = f"/_matrix/client/v3/rooms/{room}/send/m.room.message/{txn}"
        return str(self._call("PUT", path, token, json={"msgtype": "m.text", "body": body})["event_id"])

    def messages(self, token: str, room_id: str, limit: int = 100) -> list[dict[str, Any]]:
        """The room's m.room.message events, oldest first (reading back what was posted)."""
        path = f"/_matrix/client/v3/rooms/{quote(room_id, safe='')}/messages"
        chunk = self._call("GET", path, token, params={"dir": "b", "limit": limit})["chunk"]
        return [event for event in reversed(chunk) if event.get("type") == "m.room.message"]


@pytest.fixture(scope="session")
def synapse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSynapse]:
    need(synapse_installed(), "Synapse (scripts/install.d/40-synapse.sh)")
    server = LocalSynapse.start(tmp_path_factory.mktemp("synapse"))
    try:
        yield server
    finally:
        server.stop()


if __name__ == "__main__":  # manual check: python -m tests.servers.matrix
    import tempfile

    began = time.monotonic()
    hs = LocalSynapse.start(Path(tempfile.mkdtemp(prefix="synapse-")))
    print(f"Synapse ready at {hs.base_url} in {time.monotonic() - began:.1f} s", file=sys.stderr)
    hs.stop()
