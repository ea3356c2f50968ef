"""Per-person daily limits on nominations (Flask-Limiter).

One limiter per app instance, so its in-memory storage belongs to that app (tests do not share counts).
With `redis_url` configured, the counts live in Redis and every gunicorn worker sees the same ones;
in memory each worker counts on its own, which is good enough for one small web service.
Only a nomination that was actually saved counts: a form sent back with errors costs nothing.
"""

from __future__ import annotations

from flask import Flask, request
from flask.wrappers import Response
from flask_limiter import Limiter

from kudos.config import Config
from kudos.errors import ConfigError
from kudos.web.context import current_config, current_user

DEFAULT_PER_DAY = 20


def nominations_per_day(config: Config) -> int:
    value = config.section("ratelimit").get("nominations_per_day", DEFAULT_PER_DAY)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError("The configuration key “ratelimit.nominations_per_day” must be a whole number above 0.")
    return value


def _who() -> str:
    user = current_user()
    return f"user:{user.username}" if user else f"ip:{request.remote_addr}"


def _saved(response: Response) -> bool:
    return response.status_code in (302, 303)


def init_app(app: Flask, config: Config) -> Limiter:
    nominations_per_day(config)  # a bad value stops the start, not the first nomination
    redis_url = str(config.raw.get("redis_url") or "")
    limiter = Limiter(_who, app=app, storage_uri=redis_url or "memory://", headers_enabled=False,
                      key_prefix="kudos", strategy="fixed-window")
    app.extensions["kudos.limiter"] = limiter
    view = app.view_functions["nominate.confirm"]
    app.view_functions["nominate.confirm"] = limiter.limit(  # type: ignore[assignment]
        lambda: f"{nominations_per_day(current_config())} per day", deduct_when=_saved)(view)
    return limiter
