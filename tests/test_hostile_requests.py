"""No request is answered with a 500, whatever it carries. Generated from Flask's URL map: every route and
method, with hostile values in its path parameters, in the query parameters and form fields the views
read, for an anonymous visitor, a plain user, an organizer and an admin, on the demo instance and on an
instance that signs people in through OAuth.

The valid form of each path comes from the authorization matrix, so a new route is covered as soon as it
has its row there (which `test_every_route_has_an_entry` demands).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, unquote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule
from werkzeug.test import TestResponse

from kudos import bulk
from kudos.config import PROJECT_ROOT
from kudos.db import Database
from kudos.web import create_app
from tests.servers.mediawiki import LocalWiki
from tests.support import make_config
from tests.test_authorization_matrix import MATRIX, SESSIONS, _seed

# As they appear in a URL (already percent-encoded): a number past every integer column, a queue cursor
# whose id is past them, negative, zero, a digit that `int` refuses (², for which str.isdigit is true),
# CR/LF after a slash (a return address), NUL with invalid UTF-8 (a lone byte, an encoded surrogate) and a
# bidi override, another host, and a very long value.
VALUES = (
    "99999999999999999999", f"20260101000000000000-{2**63}", "-1", "0", "%C2%B2", "%2F%0D%0Ax",
    "%00%FF%FE%ED%A0%80%E2%80%AE", "%2F%2Fevil.example", "1" * 5000,
)
ROLES = ("anonymous", "nominator", "organizer_a", "admin")
# Routes that end the role's session or data go last, so the others are tried signed in.
LAST = ("auth.logout", "privacy.delete")

_SOURCE = "\n".join(path.read_text("utf-8") for path in sorted((PROJECT_ROOT / "kudos" / "web").glob("*.py")))
QUERY = sorted(set(re.findall(r'(?:\bargs\.get(?:list)?|_arg)\("(\w+)"', _SOURCE))
               | set(re.findall(r'"(\w+)" (?:not )?in request\.args', _SOURCE)))
FORM = sorted(set(re.findall(r'form\.get(?:list)?\("(\w+)"', _SOURCE))
              | set(re.findall(r"^\s+(\w+) = \w*Field\(", _SOURCE, re.MULTILINE)))
_ARGUMENT = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


def test_the_parameters_are_found_in_the_views() -> None:
    # The lists above are read from the views' source; make sure that reading still finds them.
    assert {"next", "after", "before", "limit", "wiki", "campaign", "uselang", "oauth_verifier"} <= set(QUERY)
    assert {"ids", "message", "reason", "names", "username", "next", "choice", "source"} <= set(FORM)


def _everyone_exists(names: Any) -> dict[str, bulk.WikiUser]:
    return {name: bulk.WikiUser(exists=True) for name in names}


def _app(database: Database, wiki: LocalWiki, **config: Any) -> Flask:
    # The matrix's campaigns are on the local wiki, which reviewing actions ask about blocks; no limit or
    # throttle may answer in the views' place.
    app = create_app(make_config(
        database_url=database.url, admins=["Ada"],
        wikis={"orwiki": {"api_url": wiki.api_url, "language": "or", "name": "Odia Wikipedia"}},
        ratelimit={"nominations_per_day": 100_000, "bulk_nominations_per_day": 100_000,
                   "login": "100000 per minute", "api": "100000 per minute"}, **config), database)
    app.config["WTF_CSRF_ENABLED"] = False
    app.extensions["kudos.user_lookup"] = lambda _wiki: _everyone_exists
    return app


def _hostile_path(rule: Rule, valid: dict[str, Any]) -> Iterator[str]:
    """The rule's path with each parameter hostile in turn, the others valid."""
    for hostile in rule.arguments:
        for value in VALUES:
            def fill(match: re.Match[str], value: str = value, hostile: str = hostile) -> str:
                converter, name = match.group(1), match.group(2)
                if name == hostile:
                    return value
                return quote(str(valid[name]), safe="/" if converter == "path" else "")
            yield _ARGUMENT.sub(fill, rule.rule)


def _hostile_query(valid_path: str) -> Iterator[str]:
    """Every query parameter the views read, all with the same hostile value."""
    for value in VALUES:
        yield f"{valid_path}?{'&'.join(f'{name}={value}' for name in QUERY)}"


def _hostile_forms() -> Iterator[dict[str, str]]:
    """Every form field the views read; over the loop each gets each value, in a new combination each time."""
    for shift in range(len(VALUES)):
        yield {name: _decoded(VALUES[(shift + i) % len(VALUES)]) for i, name in enumerate(FORM)}


def _decoded(value: str) -> str:
    return unquote(value, errors="replace")


def _as(client: FlaskClient, role: str) -> None:
    with client.session_transaction() as session:
        session.clear()
        if SESSIONS[role] is not None:
            session["user"] = SESSIONS[role]


def _server_errors(app: Flask, database: Database, wiki: LocalWiki, roles: tuple[str, ...] = ROLES) -> list[str]:
    """Each role on each route: the path's parameters, the query and the form hostile, where the role is let
    in; where it is refused, only an anonymous visitor's path (views look an object up before the check)."""
    ids = _seed(database, wiki)
    client = app.test_client()
    routes = sorted(((rule, method) for rule in app.url_map.iter_rules() for method in rule.methods or ()
                     if method not in ("HEAD", "OPTIONS")),
                    key=lambda r: (r[0].endpoint in LAST, r[0].endpoint, r[1]))
    failures = []
    looked_closer: set[tuple[str, str]] = set()

    def send(role: str, method: str, url: str, form: dict[str, Any]) -> TestResponse:
        response = client.open(url, method=method, data=form)
        if response.status_code >= 500 and response.status_code not in (502, 503):  # a wiki or OAuth server away
            failures.append(f"{role} {method} {url[:200]} {form or ''} → {response.status_code}")
        return response

    for role in roles:
        for rule, method in routes:
            _as(client, role)
            case = MATRIX[(rule.endpoint, method)]
            valid_path = case.path.format(**ids)
            data = {k: v.format(**ids) if isinstance(v, str) else v for k, v in case.data.items()}
            answer = send(role, method, valid_path, data)
            refused = answer.status_code == 403 or (answer.location or "").startswith("/login")
            if refused and role != "anonymous":
                continue
            _endpoint, valid = app.url_map.bind("localhost").match(valid_path, method=method)
            for url in _hostile_path(rule, valid):
                send(role, method, url, data)
            if refused:
                continue
            masking: bool | None = None  # does a 400 come from the query (which may hide some of it)?
            for url in _hostile_query(valid_path):
                if send(role, method, url, data).status_code != 400 or (rule.endpoint, method) in looked_closer:
                    continue
                if masking is None:
                    masking = send(role, method, valid_path, data).status_code != 400
                if masking:
                    # The view refused one parameter and may never have read the others: one at a time
                    # (for one role: a view reads its query the same way for everyone it lets in).
                    for pair in url.split("?", 1)[1].split("&"):
                        send(role, method, f"{valid_path}?{pair}", data)
            if masking:
                looked_closer.add((rule.endpoint, method))
            if method == "POST":
                for form in _hostile_forms():
                    send(role, method, valid_path, form)
    return failures


def _quiet(app: Flask) -> Flask:
    app.logger.disabled = True  # a failure is listed by the test; thousands of tracebacks would only slow it
    return app


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_no_hostile_request_makes_a_500_on_the_demo_instance(database: Database, local_wiki: LocalWiki) -> None:
    failures = _server_errors(_quiet(_app(database, local_wiki, dev_login=True)), database, local_wiki)
    assert failures == [], "\n".join(failures[:40])


# The four roles on every route ran above. The same views on MariaDB, as the admin, who reaches every
# query that hostile text can get into; and the instance that signs in through OAuth, whose sign-in
# routes differ, as a visitor and a signed-in person.
@pytest.mark.parametrize("database", ["mariadb"], indirect=True)
def test_no_hostile_request_makes_a_500_on_mariadb(database: Database, local_wiki: LocalWiki) -> None:
    failures = _server_errors(_quiet(_app(database, local_wiki, dev_login=True)), database, local_wiki,
                              roles=("admin",))
    assert failures == [], "\n".join(failures[:40])


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_no_hostile_request_makes_a_500_when_signing_in_through_oauth(  # type: ignore[no-untyped-def]
        database: Database, local_wiki: LocalWiki, oauth_provider) -> None:
    app = _app(database, local_wiki, oauth={"mw_uri": oauth_provider.mw_uri,
                                            "consumer_key": oauth_provider.consumer_key,
                                            "consumer_secret": oauth_provider.consumer_secret})
    failures = _server_errors(_quiet(app), database, local_wiki, roles=("anonymous", "nominator"))
    assert failures == [], "\n".join(failures[:40])
