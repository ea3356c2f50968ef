"""Every route × every kind of person, generated from Flask's URL map.

A new route without an entry in MATRIX fails `test_every_route_has_an_entry`, so nobody adds a page
without deciding who may use it. Removing an authorization check from a view fails the row for the
people who should have been refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kudos import campaigns, consent_links, nominations
from kudos.clock import utcnow
from kudos.db import Database
from kudos.models import CampaignKind
from kudos.web import create_app
from tests.support import make_config

ROLES = ("anonymous", "nominator", "blocked", "organizer_a", "organizer_b", "admin")
SESSIONS = {
    "anonymous": None,
    "nominator": {"username": "Nina", "editcount": 500},
    "blocked": {"username": "Bob", "editcount": 500, "blocked": True},
    "organizer_a": {"username": "Olga", "editcount": 500},
    "organizer_b": {"username": "Oscar", "editcount": 500},
    "admin": {"username": "Ada", "editcount": 500},
}


@dataclass(frozen=True)
class Case:
    path: str
    expect: dict[str, int]
    data: dict[str, str] = field(default_factory=dict)


def everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(ROLES, status)


def roles(anonymous: int, others: int, **special: int) -> dict[str, int]:
    expect = dict.fromkeys(ROLES, others)
    expect["anonymous"] = anonymous
    expect.update(special)
    return expect


MATRIX: dict[tuple[str, str], Case] = {
    ("static", "GET"): Case("/static/kudos.css", everyone(200)),
    ("health.healthz", "GET"): Case("/healthz", everyone(200)),
    ("wall.index", "GET"): Case("/", everyone(200)),
    ("wall.feed", "GET"): Case("/feed.atom", everyone(200)),
    ("auth.login", "GET"): Case("/login", everyone(200)),
    ("auth.login", "POST"): Case("/login", everyone(302), {"username": "Someone"}),
    ("auth.logout", "POST"): Case("/logout", everyone(302)),
    ("auth.oauth_callback", "GET"): Case("/oauth/callback", everyone(404)),  # no OAuth consumer in demo mode
    ("organizers.index", "GET"): Case("/campaigns/campaign-a/organizers",
                                      roles(302, 403, organizer_a=200, admin=200)),
    ("organizers.add", "POST"): Case("/campaigns/campaign-a/organizers",
                                     roles(403, 403, organizer_a=302, admin=302), {"username": "Newbie"}),
    # An empty form is refused by its checks (400) before any wiki is asked; blocked people never get that far.
    ("nominate.form", "GET"): Case("/nominate", roles(302, 200, blocked=403)),
    ("nominate.preview", "POST"): Case("/nominate", roles(403, 400, blocked=403)),
    ("nominate.confirm", "POST"): Case("/nominate/confirm", roles(403, 400, blocked=403)),
    ("me.index", "GET"): Case("/me", roles(302, 200)),
    ("me.consent", "POST"): Case("/me/consent", roles(403, 302), {"choice": "granted"}),
    ("me.opt_out", "POST"): Case("/me/opt-out", roles(403, 302), {"opted_out": "no"}),
    ("me.withdraw", "POST"): Case("/me/nominations/{ninas_nomination}/withdraw", roles(403, 403, nominator=302)),
    # The consent link of an award to Nina: only Nina may answer it.
    ("consent.ask", "GET"): Case("/consent/{consent_for_nina}", roles(302, 403, nominator=200)),
    ("consent.answer", "POST"): Case("/consent/{consent_for_nina}", roles(403, 403, nominator=302),
                                     {"choice": "granted"}),
}


def _app(database: Database, csrf: bool) -> Flask:
    app = create_app(make_config(database_url=database.url, admins=["Ada"]), database)
    app.config["WTF_CSRF_ENABLED"] = csrf
    return app


def _routes(app: Flask) -> set[tuple[str, str]]:
    return {(rule.endpoint, method) for rule in app.url_map.iter_rules()
            for method in rule.methods or () if method not in ("HEAD", "OPTIONS")}


def _seed(database: Database) -> dict[str, str]:
    """The objects the routes need; returns the values for the {placeholders} of MATRIX paths."""
    config = make_config(database_url=database.url)
    with database.transaction() as session:
        now = utcnow()
        a = campaigns.create(session, config, slug="campaign-a", name="Campaign A", wiki="orwiki", actor="Ada",
                             kind=CampaignKind.event, organizers=["Olga"], starts=now - timedelta(days=1))
        campaigns.create(session, config, slug="campaign-b", name="Campaign B", wiki="orwiki", actor="Ada",
                         kind=CampaignKind.event, organizers=["Oscar"])
        by_nina = nominations.nominate(session, config, campaign=a, nominator="Nina", recipient="Ravi",
                                       award="barnstar", message="Wrote three fine articles about rivers.",
                                       link="Mahanadi")
        for_nina = nominations.nominate(session, config, campaign=a, nominator="Oscar", recipient="Nina",
                                        award="barnstar", message="Welcomed every newcomer at the workshop.")
        return {"ninas_nomination": str(by_nina.id),
                "consent_for_nina": consent_links.token_for(config, for_nina.id, "Nina")}


def _as(client: FlaskClient, role: str) -> FlaskClient:
    with client.session_transaction() as session:
        session.clear()
        if SESSIONS[role] is not None:
            session["user"] = SESSIONS[role]
    return client


def test_every_route_has_an_entry(database: Database) -> None:
    routes = _routes(_app(database, csrf=True))
    missing = sorted(routes - set(MATRIX))
    assert not missing, f"routes without an entry in the authorization matrix: {missing}"
    assert not sorted(set(MATRIX) - routes), "matrix entries for routes that no longer exist"


@pytest.mark.parametrize("route", sorted(MATRIX), ids=lambda r: f"{r[1]} {r[0]}")
def test_route_answers_each_role_as_expected(database: Database, route: tuple[str, str]) -> None:
    ids = _seed(database)
    case = MATRIX[route]
    client = _app(database, csrf=False).test_client()
    seen = {}
    for role in ROLES:
        _as(client, role)
        response = client.open(case.path.format(**ids), method=route[1], data=case.data)
        seen[role] = response.status_code
    assert seen == case.expect


@pytest.mark.parametrize("route", sorted(r for r in MATRIX if r[1] == "POST"), ids=lambda r: r[0])
def test_every_post_needs_a_csrf_token(database: Database, route: tuple[str, str]) -> None:
    ids = _seed(database)
    client = _as(_app(database, csrf=True).test_client(), "admin")
    response = client.post(MATRIX[route].path.format(**ids), data=MATRIX[route].data)
    assert response.status_code == 400


def test_state_changes_are_never_done_by_get(database: Database) -> None:
    """Only POST changes state: login's GET shows a form, and no route accepts PUT, PATCH or DELETE."""
    for _endpoint, method in _routes(_app(database, csrf=True)):
        assert method in ("GET", "POST")


WIKIMEDIA = re.compile(r"^https://([a-z0-9-]+\.)*(wikipedia|wikimedia|wikidata|mediawiki|wiktionary|wikisource)"
                       r"\.org/")

WIKIMEDIA_MEDIA = re.compile(r"^https://(upload|commons)\.wikimedia\.org/")


def test_no_page_loads_anything_from_another_host(database: Database) -> None:
    ids = _seed(database)
    client = _app(database, csrf=True).test_client()
    for role in ("anonymous", "nominator", "admin"):
        _as(client, role)
        for (_endpoint, method), case in MATRIX.items():
            if method != "GET":
                continue
            response = client.get(case.path.format(**ids))
            if response.status_code != 200 or "html" not in response.content_type:
                continue
            page = response.get_data(as_text=True)
            for attribute, url in re.findall(r'\b(src|href|action)="(https?://[^"]*)"', page):
                if attribute == "src" and WIKIMEDIA_MEDIA.match(url):
                    continue  # award images from Commons, which the CSP's img-src allows
                assert attribute == "href" and WIKIMEDIA.match(url), f"{case.path} loads {url}"
