"""A small recording HTTP server for services that cannot run offline (Telegram, webhooks, error cases).

Subclasses implement `route(request) -> Reply`. Every request is recorded (method, path, query, headers,
parsed body) so tests can read back exactly what the code under test sent, and failures can be injected
per path prefix: an HTTP status with a body and headers, a delay (a slow or hanging server), or both.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


def free_port() -> int:
    """A loopback port that is free right now (a tiny race with other processes is acceptable in tests)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Recorded:
    """One request as the server received it; `body` is parsed JSON, a form dict, or text."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    raw: bytes
    status: int = 0  # what the server answered (filled in after routing)
    at: float = field(default_factory=time.time)

    def header(self, name: str) -> str | None:
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # dict/list -> JSON, str -> text, None -> empty
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Fault:
    prefix: str
    status: int | None  # None: only the delay, then the normal answer
    body: Any
    headers: dict[str, str]
    delay: float
    remaining: int | None  # None: every matching request until cleared


def parse_body(content_type: str, raw: bytes) -> Any:
    if not raw:
        return None
    if "application/json" in content_type:
        try:
            return json.loads(raw)
        except ValueError:
            return raw.decode("utf-8", "replace")
    if "application/x-www-form-urlencoded" in content_type:
        # Single-valued form fields are what every client here sends; flatten them for readability.
        fields = parse_qs(raw.decode(), keep_blank_values=True)
        return {k: v[0] if len(v) == 1 else v for k, v in fields.items()}
    return raw.decode("utf-8", "replace")


class StubServer:
    """A threaded HTTP server on 127.0.0.1 that records requests and can be told to misbehave."""

    def __init__(self, port: int | None = None) -> None:
        self.received: list[Recorded] = []
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", port or 0), _make_handler(self))
        self._httpd.daemon_threads = True  # a hanging reply must not block stop()
        self.port = int(self._httpd.server_address[1])
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._thread: threading.Thread | None = None

    def start(self) -> StubServer:
        name = type(self).__name__
        # A short poll: stop() waits for the loop's next look, up to half a second at the default, in every test.
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, name=name,
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    # --- what tests call ---

    def fail(
        self,
        prefix: str,
        status: int | None = 500,
        *,
        times: int | None = 1,
        delay: float = 0.0,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer the next `times` requests whose path starts with `prefix` with `status` after `delay` s.

        `status=None` with a delay makes a slow (or, with a delay beyond the client's timeout, hanging)
        server: the request is handled at once and its normal answer is sent after the delay.
        `times=None` keeps failing until `clear_faults()`.
        """
        if body is None and status is not None:
            body = {"error": f"injected {status}"}
        with self._lock:
            self._faults.append(Fault(prefix, status, body, dict(headers or {}), delay, times))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def reset(self) -> None:
        """Forget recorded requests and faults (call between tests that share the session server)."""
        with self._lock:
            self._faults.clear()
            self.received.clear()
        self.on_reset()

    def requests_to(self, prefix: str = "", method: str | None = None) -> list[Recorded]:
        with self._lock:
            return [r for r in self.received if r.path.startswith(prefix) and method in (None, r.method)]

    # --- for subclasses ---

    def route(self, request: Recorded) -> Reply:
        return Reply(404, {"error": "Not found"})

    def on_reset(self) -> None:
        """Subclasses drop their stored state here."""

    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if path.startswith(fault.prefix):
                    if fault.remaining is not None:
                        fault.remaining -= 1
                        if fault.remaining <= 0:
                            self._faults.remove(fault)
                    return fault
        return None

    def _handle(self, request: Recorded) -> Reply:
        with self._lock:
            self.received.append(request)
        fault = self._take_fault(request.path)
        if fault is None:
            return self.route(request)
        if fault.status is not None:
            time.sleep(fault.delay)
            return Reply(fault.status, fault.body, fault.headers)
        # A slow answer is computed first: the request takes effect at once and only the reply is late
        # (like a post that went through while the client timed out), and no delayed request can
        # change state after a later test has reset the server.
        reply = self.route(request)
        time.sleep(fault.delay)
        return reply


def _make_handler(stub: StubServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            request = Recorded(
                method=self.command,
                path=url.path,
                query={k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()},
                headers=dict(self.headers.items()),
                body=parse_body(self.headers.get("Content-Type", ""), raw),
                raw=raw,
            )
            try:
                reply = stub._handle(request)
            except Exception as error:  # a stub bug must show up as a 500, not a hung client
                reply = Reply(500, {"error": f"stub failure: {error!r}"})
            request.status = reply.status
            if isinstance(reply.body, dict | list):
                payload, content_type = json.dumps(reply.body).encode(), "application/json; charset=utf-8"
            elif reply.body is None:
                payload, content_type = b"", "text/plain"
            else:
                payload, content_type = str(reply.body).encode(), "text/plain; charset=utf-8"
            try:
                self.send_response(reply.status)
                headers = {"Content-Type": content_type, **reply.headers}
                for name, value in headers.items():
                    self.send_header(name, value)
                if reply.status not in (204, 304):
                    self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if reply.status not in (204, 304):
                    self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test); nothing to answer

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
            pass  # requests are recorded; stderr noise would only hide test output

    return Handler
