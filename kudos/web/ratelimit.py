"""Request throttling (Flask-Limiter) for what costs more than a page: signing in, where every GET /login
asks Meta-Wiki for an OAuth request token and the callback asks twice more, and the public API.

Requests are counted per client address as the web server sees it (an X-Forwarded-For header is not
believed: anyone can write one). With `redis_url` the counts live in Redis, shared by every gunicorn
worker; without it each worker counts in its own memory, so N workers allow N times the limit. Should
Redis stop answering, each worker counts in memory until it is back. Toolforge's Redis is shared by
every tool and has no accounts, so our keys start with a prefix derived from the secret key, which no
other tool can guess.

The daily allowance of nominations is not a matter of requests: it is a rule of the core, counted in
the database (kudos.allowance).
"""

from __future__ import annotations

import hashlib
import hmac
import time

from flask import Flask, jsonify, render_template, request
from flask.wrappers import Response
from flask_limiter import Limiter, RateLimitExceeded
from limits import parse_many

from kudos import allowance
from kudos.config import Config
from kudos.errors import ConfigError
from kudos.web.i18n import msg

DEFAULTS = {"login": "30 per minute", "api": "300 per minute"}


def throttles(config: Config) -> dict[str, str]:
    """`ratelimit.login` and `ratelimit.api`, in Flask-Limiter's notation ("30 per minute")."""
    section = config.section("ratelimit")
    found = {}
    for key, default in DEFAULTS.items():
        value = section.get(key, default)
        try:
            rates = parse_many(value) if isinstance(value, str) else []
        except ValueError:
            rates = []
        if not rates or any(rate.amount < 1 for rate in rates):
            raise ConfigError(f"The configuration key “ratelimit.{key}” must be a rate such as “{default}”.")
        found[key] = value
    return found


def key_prefix(config: Config) -> str:
    return "kudos-" + hmac.new(config.secret_key.encode("utf-8"), b"throttle", hashlib.sha256).hexdigest()[:24]


def _client() -> str:
    return request.remote_addr or "unknown"


def init_app(app: Flask, config: Config) -> Limiter:
    for kind in allowance.Kind:
        allowance.per_day(config, kind)  # a bad value stops the start, not the first nomination
    rates = throttles(config)
    redis_url = str(config.raw.get("redis_url") or "")
    limiter = Limiter(_client, app=app, storage_uri=redis_url or "memory://", key_prefix=key_prefix(config),
                      strategy="fixed-window", in_memory_fallback_enabled=True, swallow_errors=True)
    app.extensions["kudos.limiter"] = limiter
    sign_in = limiter.shared_limit(rates["login"], scope="login")
    for endpoint in ("auth.login", "auth.oauth_callback"):
        app.view_functions[endpoint] = sign_in(app.view_functions[endpoint])  # type: ignore[assignment]
    api = limiter.limit(rates["api"])
    app.view_functions["api.shoutouts"] = api(app.view_functions["api.shoutouts"])  # type: ignore[assignment]
    return limiter


def too_many_requests(error: RateLimitExceeded, limiter: Limiter) -> tuple[str, int, dict[str, str]] | Response:
    """The refusal, with Retry-After: a JSON error for the API, a sentence on a page for signing in."""
    current = limiter.current_limit
    wait = max(int(current.reset_at - time.time()), 1) if current else 60
    if request.blueprint == "api":
        response = jsonify(error=f"Too many requests from your address; wait {wait} seconds and try again.")
        response.status_code = 429
        response.headers["Retry-After"] = str(wait)
        response.headers["Access-Control-Allow-Origin"] = "*"
        return response
    page = render_template("error.html", title_key="kudos-throttle-title", text=msg("kudos-throttle-login"))
    return page, 429, {"Retry-After": str(wait)}
