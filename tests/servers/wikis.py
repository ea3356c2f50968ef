"""Several local MediaWikis side by side, for the delivery job's lanes: each its own `php -S`, each behind its
own fault proxy, and one bot account with the same BotPassword on all of them (as a global account has on
Wikimedia's wikis).

Usable from pytest (the session fixture `wiki_farm`) and from scripts (bench/wikis.py):

    wikis = start_wikis(folder, 3)
    bot = shared_bot(wikis, "FarmBot")
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.servers.mediawiki import BOT_GRANTS, BotCredentials, LocalWiki
from tests.servers.wiki_faults import FaultProxy
from tests.support import need

# A BotPassword must match [0-9a-w]{32,}: MediaWiki's own generator uses these letters only.
BOT_PASSWORD_LETTERS = "0123456789abcdefghijklmnopqrstuvw"


def start_wikis(folder: Path, count: int, first: int = 0) -> list[LocalWiki]:
    """`count` fresh wikis in sub-folders of `folder`, each with a cookie prefix of its own.

    Browsers and pywikibot keep cookies per host, not per port, so wikis that all answer on 127.0.0.1 must
    name their session cookies differently or each login would end the others'.
    """
    wikis = []
    try:
        for number in range(first, first + count):
            wiki = LocalWiki.start(folder / f"wiki{number}")
            wikis.append(wiki)
            set_cookie_prefix(wiki, f"kudosfarm{number}")
    except BaseException:
        for wiki in wikis:
            wiki.stop()
        raise
    return wikis


def set_cookie_prefix(wiki: LocalWiki, prefix: str) -> None:
    wiki.set_override("wgCookiePrefix", f"'{prefix}'")


def shared_bot(wikis: list[LocalWiki], user: str, appid: str = "kudos") -> BotCredentials:
    """One bot account, in the bot group, with the same BotPassword on every wiki."""
    password = "".join(secrets.choice(BOT_PASSWORD_LETTERS) for _ in range(32))
    for wiki in wikis:
        wiki.create_user(user, bot=True)
        wiki.maintenance("createBotPassword.php", "--appid", appid, "--grants", ",".join(BOT_GRANTS), user, password)
    return BotCredentials(user, f"{user}@{appid}", password)


@dataclass
class Farm:
    """Three wikis (the session's `local_wiki` and two more), a fault proxy in front of each, one bot."""

    wikis: list[LocalWiki]
    proxies: list[FaultProxy]
    bot: BotCredentials
    # What a test started on the farm (job replicas) and must not outlive it, even when the test fails:
    # a replica left running would hold its wikis' lanes and post into the next test's database.
    cleanups: list[Callable[[], object]] = field(default_factory=list)

    def clear(self) -> None:
        while self.cleanups:
            self.cleanups.pop()()
        for proxy in self.proxies:
            proxy.clear()


@pytest.fixture(scope="session")
def wiki_farm(local_wiki: LocalWiki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Farm]:
    """The session's wiki and two more, about 4 s to start; tests `clear()` the proxies (see `farm`)."""
    need(LocalWiki.available(), "MediaWiki 1.39 and PHP (scripts/install.d/20-mediawiki.sh)")
    more = start_wikis(tmp_path_factory.mktemp("wiki-farm"), 2, first=1)
    wikis = [local_wiki, *more]
    proxies = [FaultProxy(wiki.base_url) for wiki in wikis]
    try:
        bot = shared_bot(wikis, f"FarmBot{secrets.token_hex(3)}")
        yield Farm(wikis, proxies, bot)
    finally:
        for proxy in proxies:
            proxy.stop()
        for wiki in more:
            wiki.stop()


@pytest.fixture
def farm(wiki_farm: Farm) -> Iterator[Farm]:
    """The session's farm with its proxies cleared before and after the test."""
    wiki_farm.clear()
    yield wiki_farm
    wiki_farm.clear()
