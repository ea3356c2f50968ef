"""A real MediaWiki (Debian's 1.39 LTS package, SQLite) served by `php -S` on loopback, for the tests.

The wiki itself is `kudos.devwiki.LocalWiki` (the demo of `make run` serves its wikis with it too); this
module keeps the names the tests have always imported from here and holds the session fixture:

    wiki = LocalWiki.start(Path("/tmp/wiki"))
    bot = wiki.create_bot("KudosBot")
    ...
    wiki.stop()
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kudos.devwiki import (
    ADMIN,
    ADMIN_PASSWORD,
    BOT_GRANTS,
    FIXTURE_MARKER,
    MAINTENANCE,
    MEDIAWIKI_DIR,
    BotCredentials,
    ImportedRevision,
    LocalWiki,
    free_port,
    mw_timestamp,
    pywikibot_env,
)
from tests.support import need

__all__ = [
    "ADMIN", "ADMIN_PASSWORD", "BOT_GRANTS", "FIXTURE_MARKER", "MAINTENANCE", "MEDIAWIKI_DIR", "BotCredentials",
    "ImportedRevision", "LocalWiki", "free_port", "local_wiki", "mw_timestamp", "pywikibot_env",
]


@pytest.fixture(scope="session")
def local_wiki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalWiki]:
    """A fresh wiki for the whole test session (about 2 s to install and start)."""
    need(LocalWiki.available(), "MediaWiki 1.39 and PHP (scripts/install.d/20-mediawiki.sh)")
    wiki = LocalWiki.start(tmp_path_factory.mktemp("mediawiki"))
    try:
        yield wiki
    finally:
        wiki.stop()


@pytest.fixture
def local_test_wikis(local_wiki: LocalWiki, monkeypatch: pytest.MonkeyPatch) -> LocalWiki:
    """The tests' wikis (tests.support.TEST_WIKIS: orwiki, enwiki) answered by the real local MediaWiki.

    For web tests whose actions ask the campaign's wiki something: approving, rejecting, retrying,
    appointing and bulk nominating ask whether the person is blocked there.
    """
    from tests import support

    monkeypatch.setattr(support, "TEST_WIKIS", {
        wiki_id: {**spec, "api_url": local_wiki.api_url} for wiki_id, spec in support.TEST_WIKIS.items()})
    return local_wiki
