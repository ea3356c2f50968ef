"""Production speaks only as `tool_url` over HTTPS: absolute URLs never follow the request, and HSTS is sent.

A client chooses its own `Host` and `X-Forwarded-*` headers. Every GET address of the URL map is asked for
with hostile ones, anonymously and as an admin; no answer may name the client's host or scheme.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.routing import Rule

from kudos import consent_links, demo
from kudos.config import Config
from kudos.db import Database
from kudos.models import Nomination
from tests.support import make_config
from tests.webtools import sign_in_as, web_app

TOOL_URL = "https://kudos.toolforge.org"
EVIL = "evil.example"
HOSTILE = {"Host": EVIL, "X-Forwarded-Host": EVIL, "X-Forwarded-Proto": "http", "X-Forwarded-Port": "8080",
           "X-Forwarded-Prefix": "/evil", "Forwarded": f"host={EVIL};proto=http"}
ABSOLUTE = re.compile(r"""https?://[^\s"'<>]+""")
SQLITE_ONLY = pytest.mark.parametrize("database", ["sqlite"], indirect=True)


def _production(database: Database) -> Config:
    return make_config(database_url=database.url, environment="production", dev_login=False, admins=["Ada"],
                       tool_url=TOOL_URL)


@pytest.fixture
def seeded(database: Database) -> Iterator[tuple[Flask, dict[str, object]]]:
    config = _production(database)
    with database.transaction() as session:
        demo.seed(session, config)
        shown = session.scalar(select(Nomination).where(Nomination.recipient == "Subhashish"))
        assert shown is not None
        values: dict[str, object] = {
            "slug": "workshop-demo", "nomination_id": shown.id, "delivery_id": shown.deliveries[0].id,
            "wiki": "orwiki", "username": "Subhashish",
            "token": consent_links.token_for(config, shown.id, "Subhashish"), "filename": "kudos.css",
        }
    yield web_app(database, config), values


def _addresses(app: Flask, values: dict[str, object]) -> list[str]:
    """Every GET rule of the URL map with its arguments filled in, plus the API's paging."""
    addresses = []
    rule: Rule
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()):
            continue
        with app.test_request_context():
            from flask import url_for

            addresses.append(url_for(rule.endpoint, **{name: values[name] for name in rule.arguments}))
    return sorted(addresses) + ["/api/v1/shoutouts?limit=1", "/campaigns/workshop-demo/feed.atom?limit=1"]


def _assert_speaks_as_the_tool(path: str, response) -> None:  # type: ignore[no-untyped-def]
    text = response.get_data(as_text=True)
    headers = "\n".join(f"{name}: {value}" for name, value in response.headers.items())
    assert response.status_code != 500, path  # 503 for /login: production without an OAuth consumer
    assert EVIL not in text and EVIL not in headers, path
    assert "/evil" not in text and "/evil" not in headers, path
    for url in ABSOLUTE.findall(text + "\n" + headers):
        if "kudos.toolforge.org" in url:
            assert url.startswith(TOOL_URL + "/") or url == TOOL_URL, (path, url)


@SQLITE_ONLY
def test_no_address_follows_the_request_host(seeded: tuple[Flask, dict[str, object]]) -> None:
    app, values = seeded
    anonymous = app.test_client()
    admin = sign_in_as(app.test_client(), "Ada")
    for client in (anonymous, admin):
        for path in _addresses(app, values):
            _assert_speaks_as_the_tool(path, client.get(path, headers=HOSTILE))


@SQLITE_ONLY
def test_no_redirect_follows_the_request_host(seeded: tuple[Flask, dict[str, object]]) -> None:
    """Every form's answer, as an admin, with the forms left empty: the redirects name no other host."""
    app, values = seeded
    admin = sign_in_as(app.test_client(), "Ada")
    posts = [rule for rule in app.url_map.iter_rules() if "POST" in (rule.methods or ())]
    for rule in sorted(posts, key=lambda rule: rule.endpoint.startswith("auth.")):  # signing out comes last
        with app.test_request_context():
            from flask import url_for

            path = url_for(rule.endpoint, **{name: values[name] for name in rule.arguments})
        _assert_speaks_as_the_tool(path, admin.post(path, headers=HOSTILE))


@SQLITE_ONLY
def test_feeds_and_api_name_the_tool_url(seeded: tuple[Flask, dict[str, object]]) -> None:
    app, values = seeded
    client = app.test_client()
    feed = client.get("/feed.atom", headers=HOSTILE).get_data(as_text=True)
    assert f"{TOOL_URL}/shoutouts/{values['nomination_id']}" in feed
    assert f'href="{TOOL_URL}/feed.atom"' in feed
    page = client.get("/api/v1/shoutouts?limit=1", headers=HOSTILE).get_json()
    assert page["next"].startswith(f"{TOOL_URL}/api/v1/shoutouts?")
    first = page["shoutouts"][0]
    assert first["url"] == f"{TOOL_URL}/shoutouts/{first['nomination_id']}"


@SQLITE_ONLY
def test_development_follows_the_request(database: Database) -> None:
    """`make run` on 127.0.0.1:5000 links to itself."""
    config = make_config(database_url=database.url, tool_url=TOOL_URL)
    with database.transaction() as session:
        demo.seed(session, config)  # shout-outs enough for a next page
    app = web_app(database, config)
    page = app.test_client().get("/api/v1/shoutouts?limit=1", base_url="http://127.0.0.1:5000").get_json()
    assert page["next"].startswith("http://127.0.0.1:5000/api/v1/shoutouts?")
    assert page["shoutouts"][0]["url"].startswith("http://127.0.0.1:5000/shoutouts/")
    feed = app.test_client().get("/feed.atom", base_url="http://127.0.0.1:5000").get_data(as_text=True)
    assert 'href="http://127.0.0.1:5000/feed.atom"' in feed


@SQLITE_ONLY
@pytest.mark.parametrize("path", ["/", "/healthz", "/feed.atom", "/missing", "/api/v1/shoutouts"])
def test_production_sends_strict_transport_security(database: Database, path: str) -> None:
    client: FlaskClient = web_app(database, _production(database)).test_client()
    header = client.get(path, headers=HOSTILE).headers.get("Strict-Transport-Security", "")
    found = re.fullmatch(r"max-age=(\d+)(; includeSubDomains)?", header)
    assert found and int(found.group(1)) >= 365 * 24 * 3600, header


@SQLITE_ONLY
def test_development_sends_no_strict_transport_security(database: Database) -> None:
    client = web_app(database).test_client()
    assert "Strict-Transport-Security" not in client.get("/").headers
