"""`check-config` against real dependencies: the test databases, a wiki API stub, the OAuth provider,
mastodon-mock and the chat stubs; a wrong credential fails clearly and never shows the secret."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kudos import checks
from kudos.db import Database
from kudos.web import create_app
from tests.servers.chat_stubs import ChatStubs
from tests.servers.mastodon import MastodonMock
from tests.servers.oauth_provider import OAuthProvider
from tests.stub_http import Recorded, Reply, StubServer
from tests.support import make_config

WRONG_TOKEN = "wrong-token-must-not-be-printed-0000"


class WikiStub(StubServer):
    """api.php answering meta=siteinfo like MediaWiki; /broken/api.php answers an HTML error page."""

    def route(self, request: Recorded) -> Reply:
        if request.path == "/w/api.php" and request.query.get("meta") == "siteinfo":
            return Reply(200, {"batchcomplete": True, "query": {"general": {
                "sitename": "Test Wikipedia", "generator": "MediaWiki 1.39.10", "lang": "or"}}})
        if request.path == "/broken/api.php":
            return Reply(502, "<html>Bad gateway</html>")
        return Reply(404, "no such page")


@pytest.fixture(scope="module")
def wiki() -> Iterator[WikiStub]:
    server = WikiStub().start()
    try:
        yield server
    finally:
        server.stop()


def _config(database: Database, wiki: WikiStub, **overrides: Any):  # type: ignore[no-untyped-def]
    values: dict[str, Any] = {
        "database_url": database.url,
        "wikis": {"orwiki": {"api_url": f"{wiki.base_url}/w/api.php", "language": "or", "name": "Odia"}},
        "channels": {},
        "oauth": {"mw_uri": f"{wiki.base_url}/w/index.php"},
    }
    values.update(overrides)
    return make_config(**values)


def _results(config: Any, database: Database) -> dict[str, checks.CheckResult]:
    return {f"{r.kind} {r.name}".strip(): r for r in checks.run_checks(config, database)}


def test_database_wiki_and_oauth_endpoint_answer(database: Database, wiki: WikiStub) -> None:
    wiki.reset()
    config = _config(database, wiki)
    results = _results(config, database)
    assert [r.status for r in results.values()] == ["ok"] * 4, [r.line() for r in results.values()]
    assert "(head)" in results["database"].detail
    assert "Test Wikipedia" in results["wiki orwiki"].detail
    siteinfo = wiki.requests_to("/w/api.php")
    assert siteinfo and siteinfo[0].header("User-Agent") == config.user_agent


def test_broken_wiki_and_unmigrated_database_fail(tmp_path: Path, wiki: WikiStub) -> None:
    empty = Database(f"sqlite:///{tmp_path / 'empty.sqlite'}")
    config = _config(empty, wiki, wikis={
        "orwiki": {"api_url": f"{wiki.base_url}/broken/api.php", "language": "or"},
        "enwiki": {"api_url": "http://127.0.0.1:9/w/api.php", "language": "en"},
    })
    results = _results(config, empty)
    assert results["database"].failed and "no schema" in results["database"].detail
    assert results["wiki orwiki"].failed and "HTTP 502" in results["wiki orwiki"].detail
    assert results["wiki enwiki"].failed and "cannot be reached" in results["wiki enwiki"].detail
    assert results["wiki orwiki"].line().startswith("FAIL wiki orwiki  ")


def test_oauth_consumer_right_and_wrong(database: Database, wiki: WikiStub, oauth_provider: OAuthProvider) -> None:
    right = {"mw_uri": oauth_provider.mw_uri, "consumer_key": oauth_provider.consumer_key,
             "consumer_secret": oauth_provider.consumer_secret}
    result = _results(_config(database, wiki, oauth=right), database)["oauth"]
    assert result.status == "ok" and "accepts the consumer" in result.detail
    wrong = {**right, "consumer_secret": WRONG_TOKEN}
    result = _results(_config(database, wiki, oauth=wrong), database)["oauth"]
    assert result.failed and "oauth.consumer_secret" in result.detail and WRONG_TOKEN not in result.detail


def test_mastodon_token_right_and_wrong(database: Database, wiki: WikiStub, mastodon_server: MastodonMock) -> None:
    channels = {
        "good": {"type": "mastodon", "base_url": mastodon_server.base_url, "access_token": mastodon_server.token},
        "bad": {"type": "mastodon", "base_url": mastodon_server.base_url, "access_token": WRONG_TOKEN},
    }
    results = _results(_config(database, wiki, channels=channels), database)
    assert results["channel good"].status == "ok" and "signed in as @" in results["channel good"].detail
    bad = results["channel bad"]
    assert bad.failed and "refused the credentials (HTTP 401" in bad.detail and WRONG_TOKEN not in bad.line()


def test_chat_channels(database: Database, wiki: WikiStub, chat_stubs: ChatStubs) -> None:
    channels = {
        "tg": {"type": "telegram", "base_url": chat_stubs.telegram_base_url, "bot_token": chat_stubs.telegram_token,
               "chat_id": "@kudos"},
        "tg-bad": {"type": "telegram", "base_url": chat_stubs.telegram_base_url, "bot_token": "1:" + WRONG_TOKEN,
                   "chat_id": "@kudos"},
        "zulip": {"type": "zulip", "site": chat_stubs.zulip_site, "email": chat_stubs.zulip_email,
                  "api_key": chat_stubs.zulip_key, "stream": "kudos"},
        "slack": {"type": "slack", "webhook_url": chat_stubs.slack_webhook_url()},
        "matrix-unset": {"type": "matrix"},
    }
    results = _results(_config(database, wiki, channels=channels), database)
    assert results["channel tg"].status == "ok" and "@kudos_test_bot" in results["channel tg"].detail
    assert results["channel tg-bad"].failed and WRONG_TOKEN not in results["channel tg-bad"].line()
    assert results["channel zulip"].status == "ok"
    assert results["channel slack"].status == "skip"
    assert results["channel matrix-unset"].failed and "channels.matrix-unset.homeserver" in \
        results["channel matrix-unset"].detail
    assert not chat_stubs.telegram and not chat_stubs.slack and not chat_stubs.zulip  # nothing was posted


def test_production_rules(database: Database, wiki: WikiStub) -> None:
    config = _config(database, wiki, environment="production", dev_login=False, admins=[])
    result = _results(config, database)["config"]
    assert result.failed and "oauth.consumer_key" in result.detail and "admins is empty" in result.detail


def test_command_prints_one_line_per_check_and_fails_on_any(database: Database, wiki: WikiStub) -> None:
    good = create_app(_config(database, wiki), database).test_cli_runner().invoke(args=["check-config"])
    assert good.exit_code == 0, good.output
    assert good.output.splitlines()[1].startswith("ok   database  ")
    bad_config = _config(database, wiki, channels={"m": {"type": "mastodon"}})
    bad = create_app(bad_config, database).test_cli_runner().invoke(args=["check-config"])
    assert bad.exit_code == 1
    assert "FAIL channel m  channels.m.base_url is not set." in bad.output and "1 check failed" in bad.output
