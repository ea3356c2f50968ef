"""The read-only Action API client against the real local MediaWiki, and its failure modes against a stub."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from typing import Any

import pytest

from kudos import wikiapi
from kudos.config import Config
from kudos.errors import DomainError
from kudos.wikiapi import Link, WikiApi, WikiUnavailable, parse_link
from tests.stub_http import Recorded, Reply, StubServer, free_port
from tests.support import make_config
from tests.wiki_people import create_accounts

PREFIX = "Wapi "  # user and page names of this module, so other tests on the session wiki are not disturbed


def wiki_config(api_url: str) -> Config:
    return make_config(wikis={"testwiki": {"api_url": api_url, "language": "en", "name": "Test Wiki"}})


@pytest.fixture(scope="module")
def wiki(local_wiki) -> Any:  # type: ignore[no-untyped-def]
    """The session wiki with this module's users and page."""
    create_accounts(local_wiki, [PREFIX + "Alice", PREFIX + "Blocked"])
    local_wiki.block(PREFIX + "Blocked")
    local_wiki.edit(PREFIX + "Page", "The first version.", user=PREFIX + "Alice")
    local_wiki.revid = local_wiki.edit(PREFIX + "Page", "A second, better version.", user=PREFIX + "Alice")
    return local_wiki


@pytest.fixture
def api(wiki) -> WikiApi:  # type: ignore[no-untyped-def]
    return WikiApi(wiki_config(wiki.api_url))


def test_users_reports_existence_blocks_and_edit_counts(api: WikiApi) -> None:
    found = api.users("testwiki", ["wapi_Alice", "Wapi Blocked", "Wapi Nobody Here", "Bad|name", "Also<bad>"])
    assert set(found) == {"Wapi Alice", "Wapi Blocked", "Wapi Nobody Here", "Bad|name", "Also<bad>"}
    alice = found["Wapi Alice"]
    assert alice.exists and not alice.blocked and alice.editcount >= 2
    assert found["Wapi Blocked"].exists and found["Wapi Blocked"].blocked
    assert not found["Wapi Nobody Here"].exists and not found["Wapi Nobody Here"].invalid
    assert found["Bad|name"].invalid and found["Also<bad>"].invalid


def test_users_are_asked_50_per_request_and_cached(api: WikiApi, wiki) -> None:  # type: ignore[no-untyped-def]
    names = [f"Wapi Batch {i}" for i in range(118)] + ["Wapi Alice", "Wapi Blocked"]
    before = wiki.request_count("list=users")
    found = api.users("testwiki", names)
    assert wiki.request_count("list=users") - before == 3  # 120 names → 50 + 50 + 20
    assert len(found) == 120 and found["Wapi Alice"].exists and not found["Wapi Batch 7"].exists
    api.users("testwiki", names[:60])
    assert wiki.request_count("list=users") - before == 3  # answered from the cache


def test_a_block_counts_once_the_answer_is_older_than_the_cache_time(wiki) -> None:  # type: ignore[no-untyped-def]
    """README: answers are kept two minutes. The same rule with a shorter time, so the test need not wait."""
    assert wikiapi.CACHE_SECONDS == 120
    api = WikiApi(wiki_config(wiki.api_url), cache_seconds=1.0)
    name = f"{PREFIX}Later Blocked {secrets.token_hex(3)}"
    wiki.create_user(name)
    assert not api.user("testwiki", name).blocked
    wiki.block(name)
    assert not api.user("testwiki", name).blocked  # still the kept answer
    time.sleep(1.1)
    assert api.user("testwiki", name).blocked


def test_requests_carry_the_tools_user_agent_and_maxlag() -> None:
    stub = _Stub().start()
    try:
        contact = "https://kudos.toolforge.org/ (User:Example)"  # TOOL_CONTACT, as the deployment guide says
        api = WikiApi(make_config(contact=contact, tool_url="https://kudos.toolforge.org", wikis={
            "testwiki": {"api_url": stub.base_url + "/api.php", "language": "en", "name": "Test Wiki"}}))
        api.users("testwiki", ["Someone"])
        sent = stub.requests_to("/api.php")[0]
        assert sent.header("User-Agent") == f"Kudos/0.1 (https://kudos.toolforge.org; {contact})"
        assert sent.query["maxlag"] == "5" and sent.query["ususers"] == "Someone"
    finally:
        stub.stop()


@pytest.mark.parametrize("typed", ["Wapi Page", "wapi_Page", "[[Wapi Page]]", "{index}?title=Wapi_Page",
                                   "{base}/index.php/Wapi_Page"])
def test_an_existing_page_resolves(api: WikiApi, wiki, typed: str) -> None:  # type: ignore[no-untyped-def]
    link = api.resolve_link("testwiki", typed.format(index=wiki.index_url, base=wiki.base_url))
    assert link == Link("Wapi Page") and link.target == "Wapi Page"
    assert api.page_exists("testwiki", "Wapi Page")


@pytest.mark.parametrize("typed", ["{index}?title=Wapi_Page&diff={rev}&oldid=1", "{index}?diff={rev}",
                                   "{index}?title=Wapi_Page&oldid={rev}", "{index}?oldid={rev}&diff=prev",
                                   "Special:Diff/{rev}", "{index}?title=Special:PermanentLink/{rev}",
                                   "{index}/Special:Diff/1/{rev}"])
def test_a_diff_or_permalink_of_an_existing_revision_resolves(api: WikiApi, wiki, typed: str) -> None:  # type: ignore[no-untyped-def]
    link = api.resolve_link("testwiki", typed.format(index=wiki.index_url, rev=wiki.revid))
    assert link == Link("Wapi Page", wiki.revid)
    assert link.target == f"Special:Diff/{wiki.revid}"


@pytest.mark.parametrize(("typed", "sentence"), [
    ("Wapi No Such Page", "There is no page “Wapi No Such Page” on Test Wiki"),
    ("{index}?diff=987654321", "There is no revision 987654321 on Test Wiki"),
    ("https://en.wikipedia.org/wiki/Wapi_Page", "The link points to en.wikipedia.org, not to Test Wiki"),
    ("//evil.example/index.php?diff={rev}", "The link points to evil.example, not to Test Wiki"),
    ("Special:RecentChanges", "not to a special page"),
    ("Bad|title", "not a possible page title"),
    ("{index}?action=history", "does not name a page or a diff"),
    ("   ", "Give a page title"),
])
def test_bad_links_are_refused_with_a_sentence(api: WikiApi, wiki, typed: str, sentence: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DomainError) as refused:
        api.resolve_link("testwiki", typed.format(index=wiki.index_url, rev=wiki.revid))
    assert sentence in refused.value.message
    assert not isinstance(refused.value, WikiUnavailable)
    assert not api.page_exists("testwiki", "Wapi No Such Page")


def test_parse_renders_wikitext_as_the_wiki_does(api: WikiApi) -> None:
    html = api.parse("testwiki", "== A heading ==\n'''bold''' [[Wapi Page]] {{PAGENAME}}", "User talk:Wapi Alice")
    assert "<b>bold</b>" in html
    assert "A heading" in html and "<h2" in html
    assert "Wapi Alice" in html  # {{PAGENAME}} of the talk page it will be posted on
    assert 'title="Wapi Page"' in html


def test_parse_posts_long_text(api: WikiApi, wiki) -> None:  # type: ignore[no-untyped-def]
    html = api.parse("testwiki", "x" * 20_000 + " end", "User talk:Wapi Alice")
    assert "end" in html


# --- when the wiki does not answer usefully -------------------------------------------------------

class _Stub(StubServer):
    """A wiki that knows nobody, unless a fault is injected."""

    def route(self, request: Recorded) -> Reply:
        return Reply(200, {"query": {"users": [{"name": request.query.get("ususers", ""), "missing": True}]}})


@pytest.fixture
def stub() -> Iterator[_Stub]:
    server = _Stub().start()
    yield server
    server.stop()


@pytest.mark.parametrize(("status", "body", "headers"), [
    (500, "Internal error", {}),
    (502, "<html>Bad gateway</html>", {}),
    (200, "<html>not json</html>", {}),
    (200, {"errors": [{"code": "readonly", "text": "The wiki is in read-only mode"}]}, {}),
])
def test_wiki_errors_become_a_sentence(stub: _Stub, status: int, body: Any, headers: dict[str, str]) -> None:
    stub.fail("/api.php", status, body=body, headers=headers)
    api = WikiApi(wiki_config(stub.base_url + "/api.php"))
    with pytest.raises(WikiUnavailable) as failed:
        api.users("testwiki", ["Someone"])
    assert failed.value.message == ("Test Wiki could not be reached to check whether these users exist; "
                                    "try again in a moment.")


def test_maxlag_is_retried_once_then_reported(stub: _Stub) -> None:
    lagged = {"errors": [{"code": "maxlag", "text": "Waiting for a replica: 7 seconds lagged"}]}
    stub.fail("/api.php", 200, body=lagged, headers={"Retry-After": "0", "X-Database-Lag": "7"})
    api = WikiApi(wiki_config(stub.base_url + "/api.php"))
    assert not api.users("testwiki", ["Someone"])["Someone"].exists  # second attempt answered
    stub.fail("/api.php", 200, body=lagged, headers={"Retry-After": "0"}, times=2)
    with pytest.raises(WikiUnavailable):
        api.users("testwiki", ["Someone else"])


def test_an_unreachable_or_hanging_wiki_becomes_a_sentence(stub: _Stub, monkeypatch: pytest.MonkeyPatch) -> None:
    api = WikiApi(wiki_config(f"http://127.0.0.1:{free_port()}/api.php"))
    with pytest.raises(WikiUnavailable, match="could not be reached to check the link"):
        api.resolve_link("testwiki", "Some page")
    monkeypatch.setattr("kudos.wikiapi.TIMEOUT", (1.0, 0.5))
    stub.fail("/api.php", None, delay=2.0)
    with pytest.raises(WikiUnavailable, match="how the message will look"):
        WikiApi(wiki_config(stub.base_url + "/api.php")).parse("testwiki", "text", "User talk:X")


@pytest.mark.parametrize(("typed", "expected"), [
    ("Main Page", ("Main Page", None)),
    ("Special:Permalink/12", (None, 12)),
    ("https://wiki.test/w/index.php?title=X&diff=next&oldid=44", (None, 44)),
    ("https://wiki.test/wiki/Caf%C3%A9_au_lait", ("Café au lait", None)),
    ("https://WIKI.test/w/index.php?curid=5&title=Y", ("Y", None)),
])
def test_parse_link_understands_what_people_paste(typed: str, expected: tuple[str | None, int | None]) -> None:
    site = wiki_config("https://wiki.test/w/api.php").wiki("testwiki")
    assert parse_link(site, typed) == expected


@pytest.mark.parametrize("typed", ["http://[", "https://[::1/wiki/X", "//[bad/index.php?diff=1"])
def test_an_address_that_cannot_be_parsed_is_refused_with_a_sentence(typed: str) -> None:
    site = wiki_config("https://wiki.test/w/api.php").wiki("testwiki")
    with pytest.raises(DomainError, match="not a web address"):
        parse_link(site, typed)
