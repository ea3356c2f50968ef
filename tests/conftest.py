"""Shared fixtures. Each module in tests/servers/ starts one real component and is loaded as a plugin."""

from pathlib import Path

import flask
import pytest
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket

pytest_plugins = sorted(
    f"tests.servers.{path.stem}"
    for path in (Path(__file__).parent / "servers").glob("*.py")
    if path.stem != "__init__"
)


class SessionTemplates(BytecodeCache):
    """Compiled templates kept for the whole session. Nearly every test builds an app of its own, and each
    app's Jinja environment would parse and compile every template it renders again (a tenth of the web
    tests' time). Jinja checks each entry against the template's source, so an edited template is compiled
    afresh; rendering is unchanged."""

    def __init__(self) -> None:
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


flask.Flask.jinja_options = {**flask.Flask.jinja_options, "bytecode_cache": SessionTemplates()}


def _weight(item: pytest.Item) -> int:
    """2 for the tests that run the delivery job or the demo against real wikis (seconds each), 1 for other
    tests of a real wiki or the browser, 0 for the rest."""
    if item.get_closest_marker("mediawiki") or "wiki_farm" in getattr(item, "fixturenames", ()):
        return 2
    return 1 if {"local_wiki", "chromium"} & set(getattr(item, "fixturenames", ())) else 0


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slowest modules run first. `make test` hands whole modules to two workers in this order (with
    --no-loadscope-reorder: xdist would order them by their number of tests), so the long modules start
    early and the short ones fill in around them; in file-name order the job's modules (test_wikibot_*)
    came last and one worker ran them alone for minutes."""
    weights: dict[object, int] = {}
    for item in items:
        weights[item.path] = max(weights.get(item.path, 0), _weight(item))
    items.sort(key=lambda item: -weights[item.path])  # stable: the order within each weight is kept
