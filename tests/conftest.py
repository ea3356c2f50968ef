"""Shared fixtures. Each module in tests/servers/ starts one real component and is loaded as a plugin."""

from pathlib import Path

import flask
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
