"""The JSON API's promises (README, "JSON API"): any site may read it, and a page holds 1 to 100 shout-outs.

The same shout-outs and privacy rules as the wall are tested in tests/test_wall_pages.py, the throttle in
tests/test_throttle.py. The page size is a rule of the view, not of the database: one SQLite database,
filled once for the module.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient

from kudos import migrate
from kudos.config import PROJECT_ROOT
from kudos.db import Database
from kudos.models import Consent
from tests.factories import make_campaign
from tests.webtools import deliver, web_app, web_config

SHOUT_OUTS = 101


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FlaskClient]:
    database = Database(f"sqlite:///{tmp_path_factory.mktemp('api') / 'kudos.sqlite'}")
    migrate.upgrade(database.url)
    config = web_config(database)
    with database.transaction() as session:
        campaign = make_campaign(session, config)
        for i in range(SHOUT_OUTS):
            deliver(session, config, campaign, f"Editor {i}", consent=Consent.granted if i % 2 else None)
    yield web_app(database, config).test_client()
    database.dispose()


@pytest.mark.parametrize("query", ["", "?limit=1", "?wiki=orwiki&campaign=workshop", "?wiki=nowiki", "?before=abc"])
def test_every_answer_may_be_read_by_any_site(client: FlaskClient, query: str) -> None:
    response = client.get(f"/api/v1/shoutouts{query}", headers={"Origin": "https://elsewhere.example"})
    assert response.status_code == (400 if "nowiki" in query else 200)
    assert response.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize(("limit", "size"), [
    ("1", 1), ("2", 2), ("99", 99), ("100", 100),
    ("101", 100), ("1000", 100), ("99999999999", 100),  # never more than 100
    (None, 20), ("0", 20), ("-1", 20), ("abc", 20), ("", 20), ("1e3", 20), ("5.5", 20),
    ("9" * 40, 20), ("10\r\nX-Injected: 1", 20),  # anything else: the default
])
def test_a_page_holds_one_to_a_hundred_shout_outs(client: FlaskClient, limit: str | None, size: int) -> None:
    page = client.get("/api/v1/shoutouts", query_string={} if limit is None else {"limit": limit}).get_json()
    assert len(page["shoutouts"]) == size
    assert parse_qs(urlsplit(page["next"]).query)["limit"] == [str(size)]  # the next page keeps the size


def test_following_next_at_the_largest_size_reads_every_shout_out_once(client: FlaskClient) -> None:
    first = client.get("/api/v1/shoutouts?limit=100").get_json()
    second = client.get(first["next"]).get_json()
    ids = [s["id"] for s in first["shoutouts"] + second["shoutouts"]]
    assert len(ids) == len(set(ids)) == SHOUT_OUTS and ids == sorted(ids, reverse=True)
    assert second["next"] is None


def test_a_shout_out_has_the_fields_the_readme_shows(client: FlaskClient) -> None:
    readme = (Path(PROJECT_ROOT) / "README.md").read_text(encoding="utf-8")
    example = json.loads(readme.split("$ curl -s 'https://kudos.toolforge.org/api/v1/shoutouts")[1]
                         .split("\n", 1)[1].split("```")[0])
    page = client.get("/api/v1/shoutouts").get_json()
    assert set(page) == set(example)
    shared = next(s for s in page["shoutouts"] if not s["anonymous"])
    documented = example["shoutouts"][0]
    assert set(shared) == set(documented) and set(shared["campaign"]) == set(documented["campaign"])
    assert {key: type(value) for key, value in shared.items()} == {key: type(v) for key, v in documented.items()}
