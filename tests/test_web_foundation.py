"""The web tool's foundation: pages answer, demo mode is visible, forms need a CSRF token."""

from __future__ import annotations

import feedparser
import pytest
from flask.testing import FlaskClient

from kudos import demo
from kudos.db import Database
from kudos.demo.data import THANKS
from kudos.web import create_app
from tests.support import make_config


@pytest.fixture
def client(database: Database) -> FlaskClient:
    config = make_config(database_url=database.url)
    with database.transaction() as session:
        demo.seed(session, config)
    app = create_app(config, database)
    return app.test_client()


def test_wall_healthz_and_feed_answer(client: FlaskClient) -> None:
    assert client.get("/").status_code == 200
    health = client.get("/healthz")
    assert (health.status_code, health.data) == (200, b"ok\n")
    feed = feedparser.parse(client.get("/feed.atom").data)
    assert not feed.bozo, feed.bozo_exception
    assert len(feed.entries) == len(THANKS)  # the demo's delivered shout-outs


def test_wall_names_only_recipients_who_consented(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    assert "Subhashish" in page  # consented
    assert "Ananya" not in page  # refused: shown as an anonymous editor
    assert "An editor on Odia Wikipedia was thanked" in page
    assert "Priyanka" not in page.split("Recent shout-outs")[1].split("</ol>")[0]  # pending, not delivered


def test_demo_mode_is_marked_in_the_header(client: FlaskClient) -> None:
    assert "Demo mode" in client.get("/").get_data(as_text=True)


def test_demo_login_signs_in_as_the_typed_name_and_rotates_the_session(client: FlaskClient) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post("/login?next=/feed.atom", data={"username": "alice_b", "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/feed.atom"
    assert "Signed in as <bdi>Alice b</bdi>" in client.get("/").get_data(as_text=True)
    with client.session_transaction() as session:
        assert session.get("csrf_token") != token


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example"])
def test_login_never_redirects_off_site(client: FlaskClient, target: str) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post("/login", query_string={"next": target}, data={"username": "A", "csrf_token": token})
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("path", ["/login", "/logout"])
def test_post_without_csrf_token_is_refused(client: FlaskClient, path: str) -> None:
    response = client.post(path, data={"username": "Mallory"})
    assert response.status_code == 400
    assert "security token" in response.get_data(as_text=True)


def test_every_page_carries_the_security_headers(client: FlaskClient) -> None:
    for path in ("/", "/healthz", "/feed.atom", "/login", "/missing"):
        headers = client.get(path).headers
        assert "'unsafe-inline'" not in headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"]


def test_unknown_address_gives_a_readable_404(client: FlaskClient) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "There is nothing at this address." in response.get_data(as_text=True)
