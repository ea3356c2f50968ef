"""Read-only mode: the banner shows, every change is refused with 503 and the reason; signing in still works."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from kudos.db import Database
from kudos.models import CampaignMember
from kudos.web import create_app
from tests.factories import make_campaign
from tests.support import make_config

REASON = "The database is being moved to a new server."
# Appointing an organizer asks the campaign's wiki whether the admin is blocked there.
pytestmark = pytest.mark.usefixtures("local_test_wikis")


def _client(database: Database, reason: str, csrf: bool = False) -> FlaskClient:
    app = create_app(make_config(database_url=database.url, admins=["Ada"], read_only_reason=reason), database)
    app.config["WTF_CSRF_ENABLED"] = csrf
    with database.transaction() as session:
        make_campaign(session, make_config(), slug="campaign-a", organizers=("Olga",))
    return app.test_client()


def _sign_in(client: FlaskClient, username: str) -> None:
    with client.session_transaction() as session:
        session["user"] = {"username": username, "editcount": 500}


def _members(database: Database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(CampaignMember)) or 0


def test_writes_are_refused_with_the_reason(database: Database) -> None:
    client = _client(database, REASON)
    _sign_in(client, "Ada")
    before = _members(database)
    for path, data in (("/campaigns/campaign-a/organizers", {"username": "Newbie"}), ("/me/delete", {"confirm": "y"})):
        response = client.post(path, data=data)
        assert response.status_code == 503, path
        assert REASON in response.get_data(as_text=True)
        assert response.headers["Retry-After"]
    assert _members(database) == before
    page = client.get("/").get_data(as_text=True)
    assert "read-only for now" in page and REASON in page  # the banner on every page


def test_sign_in_and_out_still_work(database: Database) -> None:
    client = _client(database, REASON)
    assert client.post("/login", data={"username": "Nina"}).status_code == 302
    assert _signed_in_as(client) == "Nina"
    assert client.post("/logout").status_code == 302
    assert _signed_in_as(client) is None


def _signed_in_as(client: FlaskClient) -> str | None:
    with client.session_transaction() as session:
        user = session.get("user")
    return user["username"] if user else None


def test_without_a_reason_writes_go_through(database: Database) -> None:
    client = _client(database, "")
    _sign_in(client, "Ada")
    assert client.post("/campaigns/campaign-a/organizers", data={"username": "Newbie"}).status_code == 302
    assert "read-only" not in client.get("/").get_data(as_text=True)
