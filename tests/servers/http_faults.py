"""A fault-injecting HTTP proxy for the social servers (Synapse, the Bluesky PDS, mastodon-mock), for failures
they cannot produce on demand: an answer the proxy makes up, a server that hangs, an answer withheld.

    proxy = HttpFaults(synapse.base_url)                      # or the fixture `http_faults`
    proxy.plan("PUT", r"/send/", status=429, body={"errcode": "M_LIMIT_EXCEEDED"})   # not forwarded
    proxy.plan("POST", r"createRecord", hold=True)            # forwarded (the post lands), answer withheld
    ...  # point the channel at proxy.base_url
    proxy.release()                                           # let withheld answers go (or the client gives up)

Every other request is forwarded unchanged. Effects:
- `status=…`: that answer (with `body`, `headers`), the request is not forwarded;
- `hang=seconds`: not forwarded, no answer for that long (or until the client hangs up);
- `hold=True`: forwarded, so the server acts on it, then the answer waits for `release()` or the client.
"""

from __future__ import annotations

import http.client
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest

HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length", "proxy-connection", "te",
               "upgrade", "accept-encoding", "host"}
HOLD_SECONDS = 60.0


@dataclass
class _Plan:
    method: str
    path: re.Pattern[str]
    remaining: int
    status: int | None = None
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    hang: float = 0.0
    hold: bool = False


class HttpFaults:
    """A threaded proxy on 127.0.0.1 in front of `target` (an http://host:port base URL)."""

    def __init__(self, target: str) -> None:
        parts = urlsplit(target)
        self._host, self._port = parts.hostname or "127.0.0.1", parts.port or 80
        self._plans: list[_Plan] = []
        self._lock = threading.Lock()
        self._released = threading.Event()
        self.seen: list[tuple[str, str, str]] = []  # (method, path, what the proxy did)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, name="http-faults", daemon=True).start()

    def plan(self, method: str, path: str, *, count: int = 1, status: int | None = None, body: Any = None,
             headers: dict[str, str] | None = None, hang: float = 0.0, hold: bool = False) -> None:
        with self._lock:
            self._plans.append(_Plan(method, re.compile(path), count, status, body, dict(headers or {}), hang, hold))

    def release(self) -> None:
        self._released.set()

    def clear(self) -> None:
        with self._lock:
            self._plans.clear()
            self.seen.clear()
        self._released = threading.Event()

    def done(self, what: str) -> list[str]:
        """Paths of the requests that got `what` ("status", "hang", "hold" or "forwarded")."""
        with self._lock:
            return [path for _method, path, did in self.seen if did == what]

    def stop(self) -> None:
        self._released.set()
        self._server.shutdown()
        self._server.server_close()

    def _take(self, method: str, path: str) -> _Plan | None:
        with self._lock:
            for plan in self._plans:
                if plan.remaining > 0 and plan.method == method and plan.path.search(path):
                    plan.remaining -= 1
                    return plan
            return None

    def _log(self, method: str, path: str, did: str) -> None:
        with self._lock:
            self.seen.append((method, path, did))

    def forward(self, method: str, path: str, headers: dict[str, str], body: bytes | None
                ) -> tuple[int, str, list[tuple[str, str]], bytes]:
        connection = http.client.HTTPConnection(self._host, self._port, timeout=120)
        try:
            connection.request(method, path, body=body, headers={**headers, "Host": f"{self._host}:{self._port}"})
            response = connection.getresponse()
            return response.status, response.reason, response.getheaders(), response.read()
        finally:
            connection.close()


def _handler_for(proxy: HttpFaults) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
            pass

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            self._handle()

        do_POST = do_PUT = do_DELETE = do_GET  # noqa: N815

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            plan = proxy._take(self.command, self.path)
            if plan is not None and plan.status is not None:
                proxy._log(self.command, self.path, "status")
                raw = plan.body if isinstance(plan.body, bytes) else json.dumps(plan.body or {}).encode()
                self._send(plan.status, "", [("Content-Type", "application/json"), *plan.headers.items()], raw)
                return
            if plan is not None and plan.hang:
                proxy._log(self.command, self.path, "hang")
                self._wait(plan.hang)
                return
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS}
            status, reason, reply_headers, reply = proxy.forward(self.command, self.path, headers, body)
            if plan is not None and plan.hold:
                proxy._log(self.command, self.path, "hold")
                if not proxy._released.wait(HOLD_SECONDS):
                    self.close_connection = True
                    return
            else:
                proxy._log(self.command, self.path, "forwarded")
            self._send(status, reason, [(k, v) for k, v in reply_headers if k.lower() not in HOP_HEADERS], reply)

        def _send(self, status: int, reason: str, headers: list[tuple[str, str]], body: bytes) -> None:
            try:
                self.send_response(status, reason or None)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:  # the client gave up (or was killed) meanwhile
                self.close_connection = True

        def _wait(self, seconds: float) -> None:
            # Say nothing until the time is up or the client hangs up (recv returns b""), then close.
            self.close_connection = True
            self.connection.settimeout(seconds)
            try:
                while self.connection.recv(4096):
                    pass
            except OSError:
                pass

    return Handler


@pytest.fixture
def http_faults() -> Iterator[Any]:
    """Make proxies in front of servers: `http_faults(target_url)`; all are stopped after the test."""
    made: list[HttpFaults] = []

    def make(target: str) -> HttpFaults:
        made.append(HttpFaults(target))
        return made[-1]

    yield make
    for proxy in made:
        proxy.stop()
