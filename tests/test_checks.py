"""`check-config` against real dependencies: the test databases, the local MediaWiki, the OAuth provider,
Synapse, the Bluesky PDS, mastodon-mock and the chat stubs; a wrong credential fails clearly and never shows
the secret, and nothing is ever posted."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import pytest
import requests

from kudos import checks
from kudos.db import Database
from kudos.social.bluesky import POST
from kudos.web import create_app
from tests.servers.bluesky import LocalPDS
from tests.servers.chat_stubs import ChatStubs
from tests.servers.mastodon import MastodonMock
from tests.servers.matrix import LocalSynapse
from tests.servers.oauth_provider import OAuthProvider
from tests.support import make_config

WRONG_TOKEN = "wrong-token-must-not-be-printed-0000"
# Channel checks do not depend on the database: one backend is enough.
ONE_DATABASE = pytest.mark.parametrize("database", ["sqlite"], indirect=True)


@pytest.fixture
def wiki(local_wiki: Any) -> Any:
    """The session's real MediaWiki."""
    return local_wiki


def _config(database: Database, wiki: Any, **overrides: Any):  # type: ignore[no-untyped-def]
    values: dict[str, Any] = {
        "database_url": database.url,
        "wikis": {"orwiki": {"api_url": wiki.api_url, "language": "or", "name": "Odia"}},
        "channels": {},
        "oauth": {"mw_uri": wiki.index_url},
    }
    values.update(overrides)
    return make_config(**values)


def _results(config: Any, database: Database) -> dict[str, checks.CheckResult]:
    return {f"{r.kind} {r.name}".strip(): r for r in checks.run_checks(config, database)}


def test_database_wiki_and_oauth_endpoint_answer(database: Database, wiki: Any) -> None:
    config = _config(database, wiki)
    results = _results(config, database)
    assert [r.status for r in results.values()] == ["ok"] * 4, [r.line() for r in results.values()]
    assert "(head)" in results["database"].detail
    sitename = wiki.api(meta="siteinfo")["query"]["general"]["sitename"]
    assert results["wiki orwiki"].detail.startswith(f"{sitename}, MediaWiki 1.")
    wiki.set_read_only("Database maintenance")
    try:
        assert _results(config, database)["wiki orwiki"].detail.endswith("(the wiki is read-only now)")
    finally:
        wiki.set_read_only(None)


def test_broken_wiki_and_unmigrated_database_fail(tmp_path: Path, wiki: Any) -> None:
    empty = Database(f"sqlite:///{tmp_path / 'empty.sqlite'}")
    config = _config(empty, wiki, wikis={
        "orwiki": {"api_url": f"{wiki.base_url}/no/such/api.php", "language": "or"},
        "enwiki": {"api_url": "http://127.0.0.1:9/w/api.php", "language": "en"},
    })
    results = _results(config, empty)
    assert results["database"].failed and "no schema" in results["database"].detail
    assert results["wiki orwiki"].failed and "HTTP 404" in results["wiki orwiki"].detail
    assert results["wiki enwiki"].failed and "cannot be reached" in results["wiki enwiki"].detail
    assert results["wiki orwiki"].line().startswith("FAIL wiki orwiki  ")


def test_oauth_consumer_right_and_wrong(database: Database, wiki: Any, oauth_provider: OAuthProvider) -> None:
    right = {"mw_uri": oauth_provider.mw_uri, "consumer_key": oauth_provider.consumer_key,
             "consumer_secret": oauth_provider.consumer_secret}
    result = _results(_config(database, wiki, oauth=right), database)["oauth"]
    assert result.status == "ok" and "accepts the consumer" in result.detail
    wrong = {**right, "consumer_secret": WRONG_TOKEN}
    result = _results(_config(database, wiki, oauth=wrong), database)["oauth"]
    assert result.failed and "oauth.consumer_secret" in result.detail and WRONG_TOKEN not in result.detail


def test_mastodon_token_right_and_wrong(database: Database, wiki: Any, mastodon_server: MastodonMock) -> None:
    channels = {
        "good": {"type": "mastodon", "base_url": mastodon_server.base_url, "access_token": mastodon_server.token},
        "bad": {"type": "mastodon", "base_url": mastodon_server.base_url, "access_token": WRONG_TOKEN},
    }
    results = _results(_config(database, wiki, channels=channels), database)
    assert results["channel good"].status == "ok" and "signed in as @" in results["channel good"].detail
    bad = results["channel bad"]
    assert bad.failed and "refused the credentials (HTTP 401" in bad.detail and WRONG_TOKEN not in bad.line()


def test_chat_channels(database: Database, wiki: Any, chat_stubs: ChatStubs) -> None:
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


def test_production_rules(database: Database, wiki: Any) -> None:
    config = _config(database, wiki, environment="production", dev_login=False, admins=[])
    result = _results(config, database)["config"]
    assert result.failed and "oauth.consumer_key" in result.detail and "admins is empty" in result.detail


def test_command_prints_one_line_per_check_and_fails_on_any(database: Database, wiki: Any) -> None:
    good = create_app(_config(database, wiki), database).test_cli_runner().invoke(args=["check-config"])
    assert good.exit_code == 0, good.output
    assert good.output.splitlines()[1].startswith("ok   database  ")
    bad_config = _config(database, wiki, channels={"m": {"type": "mastodon"}})
    bad = create_app(bad_config, database).test_cli_runner().invoke(args=["check-config"])
    assert bad.exit_code == 1
    assert "FAIL channel m  channels.m.base_url is not set." in bad.output and "1 check failed" in bad.output


@ONE_DATABASE
def test_bluesky_app_password_right_wrong_and_revoked(database: Database, wiki: Any, bluesky_pds: LocalPDS) -> None:
    handle, did, app_password = bluesky_pds.create_account("checks")
    revoked_handle, _did, revoked_password = bluesky_pds.create_account("revoked")
    bluesky_pds.revoke_app_password(revoked_handle)
    spec = {"type": "bluesky", "base_url": bluesky_pds.base_url}
    channels = {
        "good": {**spec, "identifier": handle, "app_password": app_password},
        "bad": {**spec, "identifier": handle, "app_password": WRONG_TOKEN},
        "revoked": {**spec, "identifier": revoked_handle, "app_password": revoked_password},
    }
    results = _results(_config(database, wiki, channels=channels), database)
    assert results["channel good"].line() == f"ok   channel good  signed in as {handle} on {bluesky_pds.base_url}"
    for name in ("bad", "revoked"):
        assert results[f"channel {name}"].failed and "refused the credentials (HTTP 401" in results[
            f"channel {name}"].detail
    assert WRONG_TOKEN not in results["channel bad"].line()
    assert revoked_password not in results["channel revoked"].line()
    assert bluesky_pds.list_records(did, POST) == []  # signing in is all it does


@ONE_DATABASE
def test_matrix_token_right_wrong_and_logged_out(database: Database, wiki: Any, synapse: LocalSynapse) -> None:
    name = f"checks{secrets.token_hex(3)}"
    user_id, token = synapse.register_user(name, "bot-password")
    logged_out = synapse.login(name, "bot-password")
    assert requests.post(f"{synapse.base_url}/_matrix/client/v3/logout", json={},
                         headers={"Authorization": f"Bearer {logged_out}"}, timeout=10).ok
    spec = {"type": "matrix", "homeserver": synapse.base_url, "room_id": "!room:localhost"}
    channels = {"good": {**spec, "access_token": token}, "bad": {**spec, "access_token": WRONG_TOKEN},
                "gone": {**spec, "access_token": logged_out}}
    results = _results(_config(database, wiki, channels=channels), database)
    assert results["channel good"].line() == f"ok   channel good  signed in as {user_id}"
    for channel in ("bad", "gone"):
        result = results[f"channel {channel}"]
        assert result.failed and "refused the credentials (HTTP 401: Invalid access token" in result.detail, \
            result.line()
    assert WRONG_TOKEN not in results["channel bad"].line() and logged_out not in results["channel gone"].line()


@ONE_DATABASE
def test_discord_webhook_right_and_wrong(database: Database, wiki: Any, chat_stubs: ChatStubs) -> None:
    right = chat_stubs.discord_webhook_url()
    wrong = right.rsplit("/", 1)[0] + "/" + WRONG_TOKEN
    channels = {"good": {"type": "discord", "webhook_url": right}, "bad": {"type": "discord", "webhook_url": wrong}}
    results = _results(_config(database, wiki, channels=channels), database)
    assert results["channel good"].line() == "ok   channel good  webhook “Kudos”"
    assert results["channel bad"].failed and "refused the credentials (HTTP 401: Invalid Webhook Token" in \
        results["channel bad"].detail and WRONG_TOKEN not in results["channel bad"].line()
    assert chat_stubs.discord == []  # nothing was posted
