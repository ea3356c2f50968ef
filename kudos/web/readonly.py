"""Read-only mode: while `read_only_reason` is set, every change is refused with a page that says why.

Signing in and out stay possible (they change only the visitor's own session), so people can still
read their own pages during maintenance. The delivery job pauses on its own side.
"""

from __future__ import annotations

from flask import Flask, render_template, request
from flask.typing import ResponseReturnValue

from kudos.web.context import current_config

ALLOWED_DURING_READ_ONLY = frozenset({"auth.login", "auth.logout"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def init_app(app: Flask) -> None:
    @app.before_request
    def refuse_writes_when_read_only() -> ResponseReturnValue | None:
        reason = current_config().read_only_reason
        if not reason or request.method in SAFE_METHODS or request.endpoint in ALLOWED_DURING_READ_ONLY:
            return None
        body = render_template("error.html", title="Kudos is read-only for now",
                               message=f"Nothing can be changed at the moment: {reason} Your request was not "
                                       f"saved; try again later.")
        return body, 503, {"Retry-After": "600"}
