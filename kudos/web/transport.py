"""Production answers as `tool_url`, over HTTPS only.

Every absolute URL the web tool writes (feed ids and links, the API's `next` and `url`, anything built with
`url_for(..., _external=True)`, `request.host_url` or `request.url_root`) takes its scheme, host and path
prefix from the request's WSGI environment, which a client fills from its own `Host` and, through the
server, `X-Forwarded-*` headers. In production that environment is set from `tool_url` before Flask sees
the request, so no code, present or future, can build an address from a client's headers; the job, the
social posts and the consent links use `tool_url` directly. Only development (`make run`, the tests'
demo instances) follows the request, so that links point at the address one opened.

Toolforge serves tools over HTTPS only, so production also asks browsers never to try plain HTTP again
(Strict-Transport-Security, one year).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response

from kudos.config import Config

HSTS = "max-age=31536000"


class FixedOrigin:
    """WSGI middleware: the request's scheme, host and script root are those of `tool_url`."""

    def __init__(self, app: Any, tool_url: str) -> None:
        parts = urlsplit(tool_url)
        self.app = app
        self.scheme = parts.scheme
        self.host = parts.netloc
        self.script_name = parts.path.rstrip("/")
        self.port = str(parts.port or (443 if parts.scheme == "https" else 80))

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        environ["wsgi.url_scheme"] = self.scheme
        environ["HTTP_HOST"] = self.host
        environ["SERVER_NAME"] = self.host.rsplit(":", 1)[0] if self.host.count(":") == 1 else self.host
        environ["SERVER_PORT"] = self.port
        environ["SCRIPT_NAME"] = self.script_name
        return self.app(environ, start_response)


def init_app(app: Flask, config: Config) -> None:
    if not config.production:
        return
    app.wsgi_app = FixedOrigin(app.wsgi_app, config.tool_url)  # type: ignore[method-assign]

    @app.after_request
    def strict_transport_security(response: Response) -> Response:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
        return response
