"""The wikis' answers when the demo runs without MediaWiki (`wikis_offline`): the demo's people exist, one of
them is blocked, every possible page title exists, and a preview shows the wikitext itself.

Only the demo uses it (the configuration refuses `wikis_offline` in production), so that a machine where
MediaWiki cannot be installed still shows every page, and no nomination fails for want of a wiki.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from kudos.config import Wiki
from kudos.demo import cast
from kudos.errors import DomainError
from kudos.names import canonical_username
from kudos.wikiapi import Link, UserInfo, WikiApi, WikiUnavailable, parse_link, possible_title

# As on the demo's wikis, which create the accounts in this order after the installer's two: the admin (1) and
# "MediaWiki default" (2), who wrote the main page.
ACCOUNT_IDS = {name: number for number, name in enumerate(cast.ACCOUNTS, start=3)}


class DemoDirectory(WikiApi):
    def users(self, wiki: str | Wiki, names: Iterable[str]) -> dict[str, UserInfo]:
        found = {}
        for name in dict.fromkeys(canonical_username(n) for n in names):
            if not name:
                continue
            if not possible_title(name):
                found[name] = UserInfo(name, exists=False, invalid=True)
            elif name in ACCOUNT_IDS:
                found[name] = UserInfo(name, exists=True, blocked=name == cast.BLOCKED, editcount=100,
                                       user_id=ACCOUNT_IDS[name])
            else:
                found[name] = UserInfo(name, exists=False)
        return found

    def page_exists(self, wiki: str | Wiki, title: str) -> bool:
        return possible_title(title.strip())

    def resolve_link(self, wiki: str | Wiki, link: str) -> Link:
        title, revid = parse_link(self._wiki(wiki), link)
        if revid is not None:
            return Link(title="", revid=revid)
        if title is None or not possible_title(title):
            raise DomainError("kudos-error-bad-title", title, self._wiki(wiki).name)
        return Link(title=title)

    def parse(self, wiki: str | Wiki, wikitext: str, title: str) -> str:
        return f"<pre>{escape(wikitext)}</pre>"

    def _call(self, site: Wiki, what: str, params: object, post: bool = False) -> dict[str, object]:
        raise WikiUnavailable(what, site.name)  # the demo answers what it can above; the rest is unreachable
