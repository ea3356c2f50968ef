"""Sign in with Wikimedia: the real OAuth 1.0a handshake through mwoauth against the local provider."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from kudos.db import Database
from kudos.web import create_app
from tests.servers.oauth_provider import OAuthProvider
from tests.support import make_config


def _client(database: Database, provider: OAuthProvider, secret: str | None = None) -> FlaskClient:
    config = make_config(database_url=database.url, oauth={
        "mw_uri": provider.mw_uri, "consumer_key": provider.consumer_key,
        "consumer_secret": secret or provider.consumer_secret})
    return create_app(config, database).test_client()


@pytest.fixture
def client(database: Database, oauth_provider: OAuthProvider) -> FlaskClient:
    return _client(database, oauth_provider)


def _start(client: FlaskClient, next_path: str = "/") -> str:
    response = client.get("/login", query_string={"next": next_path})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def _signed_in_as(client: FlaskClient) -> str | None:
    with client.session_transaction() as session:
        user = session.get("user")
    return user["username"] if user else None


def test_handshake_signs_the_user_in_and_returns_to_next(client: FlaskClient, oauth_provider) -> None:
    query = oauth_provider.authorize(_start(client, "/feed.atom"), "Alice")
    response = client.get("/oauth/callback?" + query)
    assert (response.status_code, response.headers["Location"]) == (302, "/feed.atom")
    with client.session_transaction() as session:
        user = session["user"]
    assert user == {"username": "Alice", "central_id": 101, "blocked": False, "editcount": 1234,
                    "groups": ["*", "user", "autoconfirmed", "extendedconfirmed"]}


def test_login_rotates_the_session_and_csrf_token(client: FlaskClient, oauth_provider) -> None:
    client.get("/")
    with client.session_transaction() as session:
        session["csrf_token"] = "before-login"
        session["leftover"] = "from an anonymous visit"
    query = oauth_provider.authorize(_start(client), "Alice")
    client.get("/oauth/callback?" + query)
    with client.session_transaction() as session:
        assert "leftover" not in session
        assert session.get("csrf_token") != "before-login"


def test_blocked_user_signs_in_marked_blocked(client: FlaskClient, oauth_provider) -> None:
    client.get("/oauth/callback?" + oauth_provider.authorize(_start(client), "Bob"))
    with client.session_transaction() as session:
        assert session["user"]["blocked"] is True


def test_user_who_denies_is_not_signed_in(client: FlaskClient, oauth_provider) -> None:
    with oauth_provider.settings(deny_mode="redirect"):
        query = oauth_provider.authorize(_start(client), "Alice", allow=False)
    response = client.get("/oauth/callback?" + query)
    assert response.status_code == 400
    assert "cancelled" in response.get_data(as_text=True)
    assert _signed_in_as(client) is None


def test_wrong_consumer_secret_gives_a_readable_page(database: Database, oauth_provider) -> None:
    client = _client(database, oauth_provider, secret="0" * 40)
    response = client.get("/login")
    assert response.status_code == 502
    assert "could not be reached" in response.get_data(as_text=True)
    assert _signed_in_as(client) is None


@pytest.mark.parametrize("fault", ["bad_signature", "expired", "wrong_nonce", "wrong_audience", "future"])
def test_an_identity_that_fails_validation_is_refused(client: FlaskClient, oauth_provider, fault: str) -> None:
    query = oauth_provider.authorize(_start(client), "Alice")
    with oauth_provider.identify_fault(fault):
        response = client.get("/oauth/callback?" + query)
    assert response.status_code == 403
    assert "could not confirm who you are" in response.get_data(as_text=True)
    assert _signed_in_as(client) is None


def test_a_callback_for_another_attempt_is_refused(client: FlaskClient, oauth_provider) -> None:
    query = oauth_provider.authorize(_start(client), "Alice")
    _start(client)  # a second attempt replaces the stored request token
    response = client.get("/oauth/callback?" + query)
    assert response.status_code == 400
    assert _signed_in_as(client) is None


def test_callback_without_a_started_login_is_refused(client: FlaskClient) -> None:
    response = client.get("/oauth/callback?oauth_verifier=x&oauth_token=y")
    assert response.status_code == 400
    assert _signed_in_as(client) is None


def test_demo_login_is_off_when_oauth_is_configured(client: FlaskClient) -> None:
    client.application.config["WTF_CSRF_ENABLED"] = False  # the form reaches the view, which refuses it
    assert client.post("/login", data={"username": "Mallory"}).status_code == 405
    assert "Demo mode" not in client.get("/").get_data(as_text=True)
    assert _signed_in_as(client) is None


def test_session_cookie_is_httponly_lax_and_secure_in_production(database: Database) -> None:
    config = make_config(database_url=database.url, environment="production", dev_login=False)
    app = create_app(config, database)
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["SESSION_COOKIE_SECURE"] is True
