"""Read-only mode: while `read_only_reason` is set, every change is refused with a page that says why.

Signing in and out stay possible (they change only the visitor's own session), so people can still
read their own pages during maintenance. The delivery job pauses on its own side.
"""

from __future__ import annotations

from flask import Flask, render_template, request
from flask.typing import ResponseReturnValue

from kudos.web.context import current_config
from kudos.web.i18n import msg

ALLOWED_DURING_READ_ONLY = frozenset({"auth.login", "auth.logout"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def init_app(app: Flask) -> None:
    @app.before_request
    def refuse_writes_when_read_only() -> ResponseReturnValue | None:
        reason = current_config().read_only_reason
        if not reason or request.method in SAFE_METHODS or request.endpoint in ALLOWED_DURING_READ_ONLY:
            return None
        body = render_template("error.html", title_key="kudos-readonly-title",
                               text=msg("kudos-readonly-text", reason))
        return body, 503, {"Retry-After": "600"}
