"""A fault-injecting HTTP proxy in front of the local MediaWiki, for failures the wiki cannot produce on demand.

    proxy = FaultProxy(local_wiki.base_url)          # or the fixture `wiki_faults`
    proxy.fail_next("maxlag", count=2)               # the next 2 action=edit POSTs get a maxlag error
    proxy.fail_next("drop")                          # the next edit lands, but its answer never arrives
    ...  # point the client at proxy.api_url
    assert proxy.injected == {"maxlag": 2, "drop": 1}

Every other request is forwarded unchanged (cookies included), so logins, reads and the remaining edits
reach the real wiki. Faults, in the forms MediaWiki 1.39 (ApiMain, ApiEditPage) and its web servers give:
- "maxlag": HTTP 200, `MediaWiki-API-Error: maxlag`, `Retry-After`, `X-Database-Lag`, and the error JSON
  with `lag`, `host`, `type`; nothing is forwarded.
- "editconflict": HTTP 200 with the API error `editconflict` ("Edit conflict."); nothing is forwarded.
- "readonly": HTTP 200 with the API error `readonly` and the wiki's `readonlyreason`; nothing is forwarded.
- "503": HTTP 503 with an HTML body, as a load balancer or PHP-FPM gives when the app servers are busy;
  nothing is forwarded.
- "badjson": HTTP 200 with a JSON content type but a PHP fatal error's HTML for a body; nothing is forwarded.
- "reset": the connection is closed at once with a TCP reset, no answer: what the client sees when the
  server is not there (connection refused or reset); nothing is forwarded.
- "drop": the request IS forwarded (the edit is saved), then the answer is withheld until the client
  gives up and closes the connection: a timeout after the request was sent.

`retry_after` is the `Retry-After` the proxy's maxlag and 503 answers carry (pywikibot waits that long
before its next request to the wiki). `seen` keeps every request with the moment it arrived (`at`,
time.monotonic()), so a test can measure how far apart the edits reached the wiki.
"""

from __future__ import annotations

import http.client
import json
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

FAULTS = ("maxlag", "editconflict", "readonly", "503", "badjson", "reset", "drop")
# Not passed on in either direction: they describe one hop, and the proxy re-frames every body.
HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length", "proxy-connection", "te",
               "upgrade", "accept-encoding"}
DROP_HOLD_SECONDS = 120.0  # at most this long waiting for the client to give up on a dropped answer


@dataclass(frozen=True)
class ProxiedRequest:
    """What the proxy saw: the method, the API parameters (query string and form body merged)."""

    method: str
    path: str
    params: dict[str, str]
    at: float = field(default_factory=time.monotonic)  # when it arrived

    @property
    def action(self) -> str:
        return self.params.get("action", "")


Matcher = Callable[[ProxiedRequest], bool]


def edits(request: ProxiedRequest) -> bool:
    """The default matcher: action=edit POSTs (what the delivery job writes with)."""
    return request.method == "POST" and request.action == "edit"


@dataclass
class _Plan:
    fault: str
    remaining: int
    match: Matcher


@dataclass
class FaultProxy:
    """A threaded proxy on 127.0.0.1 forwarding to `target` (e.g. "http://127.0.0.1:8080")."""

    target: str
    retry_after: int = 5
    injected: Counter[str] = field(default_factory=Counter)
    seen: list[tuple[ProxiedRequest, str | None]] = field(default_factory=list, repr=False)  # (request, fault or None)

    def __post_init__(self) -> None:
        parts = urlsplit(self.target)
        self._host, self._port = parts.hostname or "127.0.0.1", parts.port or 80
        self._plans: list[_Plan] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.api_url = f"{self.base_url}/api.php"
        self._thread = threading.Thread(target=self._server.serve_forever, name="wiki-faults", daemon=True)
        self._thread.start()

    # --- telling it what to do --------------------------------------------------------------------

    def fail_next(self, fault: str, count: int = 1, match: Matcher = edits) -> None:
        """Answer the next `count` requests that `match` with `fault` (one of FAULTS); plans queue in order."""
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; expected one of {FAULTS}")
        with self._lock:
            self._plans.append(_Plan(fault, count, match))

    def clear(self) -> None:
        """Forget pending faults and what was seen and injected, and answer with the usual Retry-After."""
        with self._lock:
            self.retry_after = 5
            self._plans.clear()
            self.injected.clear()
            self.seen.clear()

    @property
    def pending(self) -> int:
        with self._lock:
            return sum(plan.remaining for plan in self._plans)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _take(self, request: ProxiedRequest) -> str | None:
        with self._lock:
            fault = None
            for plan in self._plans:
                if plan.remaining > 0 and plan.match(request):
                    plan.remaining -= 1
                    fault = plan.fault
                    self.injected[fault] += 1
                    break
            self._plans = [plan for plan in self._plans if plan.remaining > 0]
            self.seen.append((request, fault))
            return fault

    # --- forwarding -------------------------------------------------------------------------------

    def forward(self, method: str, path: str, headers: dict[str, str], body: bytes | None
                ) -> tuple[int, str, list[tuple[str, str]], bytes]:
        connection = http.client.HTTPConnection(self._host, self._port, timeout=120)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            # getheaders() keeps repeated headers (several Set-Cookie lines) apart.
            return response.status, response.reason, response.getheaders(), response.read()
        finally:
            connection.close()


def _params(path: str, content_type: str, body: bytes | None) -> dict[str, str]:
    params = {k: v[-1] for k, v in parse_qs(urlsplit(path).query, keep_blank_values=True).items()}
    if body and content_type.startswith("application/x-www-form-urlencoded"):
        params.update({k: v[-1] for k, v in parse_qs(body.decode("utf-8", "replace"),
                                                     keep_blank_values=True).items()})
    return params


def api_error(code: str, info: str, formatversion: str, **extra: Any) -> bytes:
    """An API error body as MediaWiki's JSON printer writes it (the help pointer differs by format version)."""
    error: dict[str, Any] = {"code": code, "info": info, **extra}
    see = "See /api.php for API usage. Subscribe to the mediawiki-api-announce mailing list."
    error["docref" if formatversion == "2" else "*"] = see
    return json.dumps({"error": error}).encode()


def _handler_for(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
            pass  # quiet: pytest shows what matters

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            self._handle(None)

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            self._handle(self.rfile.read(length) if length else b"")

        def _handle(self, body: bytes | None) -> None:
            request = ProxiedRequest(self.command, self.path,
                                     _params(self.path, self.headers.get("Content-Type", ""), body))
            fault = proxy._take(request)
            version = request.params.get("formatversion", "1")
            if fault == "maxlag":
                lag = 7
                maxlag = request.params.get("maxlag", "5")
                self._answer(200, api_error("maxlag", f"Waiting for 10.64.0.12: {lag} seconds lagged.", version,
                                            host="10.64.0.12", lag=lag, type="db"),
                             [("MediaWiki-API-Error", "maxlag"),
                              ("Retry-After", str(min(max(int(float(maxlag)), 5), proxy.retry_after))),
                              ("X-Database-Lag", str(lag))])
                return
            if fault == "readonly":
                self._answer(200, api_error("readonly", "The wiki is currently in read-only mode.", version,
                                            readonlyreason="Data centre switchover"),
                             [("MediaWiki-API-Error", "readonly")])
                return
            if fault == "badjson":
                page = b"<br />\n<b>Fatal error</b>: Allowed memory size exhausted in <b>ApiMain.php</b><br />"
                self._answer(200, page, [])
                return
            if fault == "reset":
                # SO_LINGER with a zero timeout: close() sends a RST instead of a FIN.
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.close_connection = True
                self.connection.close()
                return
            if fault == "editconflict":
                self._answer(200, api_error("editconflict", "Edit conflict.", version),
                             [("MediaWiki-API-Error", "editconflict")])
                return
            if fault == "503":
                page = b"<html><body><h1>503 Service Unavailable</h1>Our servers are busy.</body></html>"
                self._answer(503, page, [("Retry-After", str(proxy.retry_after))],
                             content_type="text/html; charset=utf-8")
                return
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS}
            headers["Host"] = f"{proxy._host}:{proxy._port}"
            status, reason, reply_headers, reply = proxy.forward(self.command, self.path, headers, body)
            if fault == "drop":
                self._withhold()
                return
            self.send_response(status, reason)
            for name, value in reply_headers:
                if name.lower() not in HOP_HEADERS:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def _answer(self, status: int, body: bytes, headers: list[tuple[str, str]],
                    content_type: str = "application/json; charset=utf-8") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _withhold(self) -> None:
            # Say nothing until the client times out and hangs up (recv returns b""), then close.
            self.close_connection = True
            self.connection.settimeout(DROP_HOLD_SECONDS)
            try:
                while self.connection.recv(4096):
                    pass
            except OSError:  # TimeoutError included
                pass

    return Handler


@pytest.fixture(scope="session")
def wiki_faults(local_wiki: Any) -> Iterator[FaultProxy]:
    """A FaultProxy in front of the session's local wiki; tests must `clear()` it (see `faulty`)."""
    proxy = FaultProxy(local_wiki.base_url)
    try:
        yield proxy
    finally:
        proxy.stop()


@pytest.fixture
def faulty(wiki_faults: FaultProxy) -> Iterator[FaultProxy]:
    """The session's FaultProxy, cleared before and after the test so no fault leaks into the next one."""
    wiki_faults.clear()
    yield wiki_faults
    wiki_faults.clear()
