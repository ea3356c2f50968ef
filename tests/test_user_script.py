"""The user script (static/kudos-thank.js) in Chromium on real pages of the local MediaWiki.

The wiki runs it as its site script (MediaWiki:Common.js), as a user's common.js would. On a diff, a history and
Special:Contributions it adds "Thank with Kudos" beside the edit; the link leads to the nomination form filled in
with the wiki, the person and the diff; and showing the wiki page loads nothing from Kudos or any other host.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from kudos import campaigns, migrate
from kudos.config import PROJECT_ROOT
from kudos.db import Database
from kudos.web import create_app
from tests.browser_support import new_context, sign_in
from tests.servers.browser import VIEWPORTS, serving
from tests.servers.mediawiki import ImportedRevision, LocalWiki
from tests.support import make_config

EDITOR = "Us Editor"
PAGE = "Us River"
SCRIPT = (PROJECT_ROOT / "static" / "kudos-thank.js").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def setting(local_wiki: LocalWiki, chromium: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Kudos served for the local wiki, the script installed there, and an edit of Us Editor's to thank for."""
    folder = tmp_path_factory.mktemp("user-script")
    database = Database(f"sqlite:///{folder / 'kudos.sqlite'}")
    migrate.upgrade(database.url)
    config = make_config(database_url=database.url, wikis={
        "orwiki": {"api_url": local_wiki.api_url, "language": "or", "name": "Local wiki"}})
    with database.transaction() as session:
        campaigns.ensure_community_campaigns(session, config)
    with serving(create_app(config, database)) as base:
        local_wiki.create_accounts([EDITOR])
        now = datetime.utcnow()
        local_wiki.import_revisions([
            ImportedRevision(PAGE, "A river.", "Admin", now - timedelta(days=3)),
            ImportedRevision(PAGE, "A river in Odisha, with sources.", EDITOR, now - timedelta(days=1), "sources")])
        revid = int(local_wiki.api(prop="info", titles=PAGE)["query"]["pages"][0]["lastrevid"])
        local_wiki.edit("MediaWiki:Common.js", f"window.kudosBaseUrl = {base!r};\n{SCRIPT}", "Kudos user script")
        yield {"base": base, "revid": revid, "wiki": local_wiki}
    database.engine.dispose()


def _thank_links(page: Any) -> list[str]:
    page.wait_for_selector("a.kudos-thank-link", timeout=30_000)
    return [str(a.get_attribute("href")) for a in page.locator("a.kudos-thank-link").all()]


def _query(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_a_diff_page_gets_a_link_to_the_filled_in_form(chromium: Any, setting: dict[str, Any], viewport: str) -> None:
    base, revid, wiki = setting["base"], setting["revid"], setting["wiki"]
    context = new_context(chromium)
    try:
        sign_in(context.new_page(), base, "Nina")
        page = context.new_page()  # a tab of its own, so that only the wiki page's requests are seen
        page.set_viewport_size(VIEWPORTS[viewport])
        elsewhere: list[str] = []
        page.on("request", lambda request: elsewhere.append(request.url)
                if not request.url.startswith(wiki.base_url) else None)
        page.goto(f"{wiki.index_url}?diff={revid}")
        links = _thank_links(page)
        assert elsewhere == []  # the wiki page loads nothing from Kudos, or from anywhere but the wiki
        assert len(links) == 1 and links[0].startswith(f"{base}/nominate?")
        assert _query(links[0]) == {"wiki": urlsplit(wiki.base_url).netloc, "user": EDITOR,
                                    "link": f"Special:Diff/{revid}"}
        page.click("a.kudos-thank-link")
        page.wait_for_url(f"{base}/nominate?*")
        assert page.input_value("#recipient") == EDITOR
        assert page.input_value("#link") == f"Special:Diff/{revid}"
        assert page.input_value("#campaign") == "orwiki-community"
        assert page.locator(".kudos-prefill-notice").count() == 0
    finally:
        context.close()


@pytest.mark.parametrize("where", ["history", "contributions"])
def test_history_and_contribution_rows_get_a_link_each(chromium: Any, setting: dict[str, Any], where: str) -> None:
    base, revid, wiki = setting["base"], setting["revid"], setting["wiki"]
    context = new_context(chromium)
    try:
        page = context.new_page()
        target = (f"{wiki.index_url}?title={PAGE.replace(' ', '_')}&action=history" if where == "history"
                  else f"{wiki.index_url}?title=Special:Contributions/{EDITOR.replace(' ', '_')}")
        page.goto(target)
        queries = [_query(link) for link in _thank_links(page)]
        row = page.locator(f"li[data-mw-revid='{revid}'] a.kudos-thank-link")
        assert _query(str(row.get_attribute("href"))) == {
            "wiki": urlsplit(wiki.base_url).netloc, "user": EDITOR, "link": f"Special:Diff/{revid}"}
        if where == "history":  # one link per row, each for that row's author
            assert [q["user"] for q in queries] == [EDITOR, "Admin"]
        else:
            assert [q["user"] for q in queries] == [EDITOR] and base
    finally:
        context.close()
