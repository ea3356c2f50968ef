"""Helpers shared by the tests."""

import os
import secrets
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
# Where scripts/install.d puts the test components (scripts/lib/test-cache.sh says why outside the checkout).
TEST_CACHE = Path(os.environ.get("KUDOS_TEST_CACHE")
                  or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "kudos-test")


def need(available: bool, what: str) -> None:
    """Stop a test whose real component is missing: a skip on a laptop, a failure in CI."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{what} is required in CI but is not available", pytrace=False)
    pytest.skip(f"{what} is not available")


# Made per test run: production refuses a key written anywhere in the repository, these tests included.
TEST_SECRET_KEY = secrets.token_hex(32)

TEST_WIKIS = {
    "enwiki": {"api_url": "https://en.wikipedia.org/w/api.php", "language": "en", "name": "English Wikipedia"},
    "orwiki": {"api_url": "https://or.wikipedia.org/w/api.php", "language": "or", "name": "Odia Wikipedia"},
}


def make_config(**overrides: object):  # type: ignore[no-untyped-def]
    """A development configuration that ignores the machine's config.yaml and TOOL_ variables."""
    from kudos.config import load_config

    values: dict[str, object] = {
        "environment": "development",
        "secret_key": TEST_SECRET_KEY,
        "wikis": TEST_WIKIS,
        "database_url": "sqlite://",
        "channels": {"mastodon": {"type": "mastodon"}, "matrix": {"type": "matrix"}},
        # Test data has a few people nominate dozens each in a day; tests of the allowance set their own.
        "ratelimit": {"nominations_per_day": 1000},
    }
    values.update(overrides)
    return load_config(path="/dev/null", environ={}, overrides=values)
