"""Failures of social channels: rate limits, server errors, hangs, bad settings — against stubs."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from kudos.channels import Permanent, Posted, RetryLater, Uncertain
from kudos.config import Config
from kudos.db import Database
from kudos.errors import ConfigError
from kudos.social import build_channel, send_all
from kudos.social import mastodon as mastodon_module
from kudos.social.bluesky import record_key
from kudos.social.text import SAFETY_MARGIN
from tests.servers.chat_stubs import ChatStubs
from tests.servers.mastodon_faults import MastodonFaults
from tests.social_support import approve, by_channel, social_config, social_deliveries, sqlite_database
from tests.support import make_config

CHAT_ID = "-1001234567890"


@pytest.fixture
def database(tmp_path: Path) -> Database:
    return sqlite_database(tmp_path)


def stub_channels(mastodon: MastodonFaults, chat: ChatStubs, timeout: float = 5) -> dict[str, dict[str, Any]]:
    return {
        "mastodon": {"type": "mastodon", "base_url": mastodon.base_url, "access_token": mastodon.token,
                     "timeout": timeout},
        "telegram": {"type": "telegram", "base_url": chat.telegram_base_url, "bot_token": chat.telegram_token,
                     "chat_id": CHAT_ID, "timeout": timeout},
        "discord": {"type": "discord", "webhook_url": chat.discord_webhook_url(), "timeout": timeout},
        "slack": {"type": "slack", "webhook_url": chat.slack_webhook_url(), "timeout": timeout},
        "zulip": {"type": "zulip", "site": chat.zulip_site, "email": chat.zulip_email, "api_key": chat.zulip_key,
                  "stream": "general", "timeout": timeout},
    }


def send(database: Database, config: Config, channels: list[str]) -> tuple[dict[str, Any], float]:
    nomination_id = approve(database, config, channels)
    with database.session() as session:
        began = time.monotonic()
        results = send_all(config, social_deliveries(session, nomination_id))
        return by_channel(session, nomination_id, results), time.monotonic() - began


def test_rate_limits_honour_the_servers_wait(database: Database, mastodon_faults: MastodonFaults,
                                             chat_stubs: ChatStubs) -> None:
    config = social_config(stub_channels(mastodon_faults, chat_stubs))
    mastodon_faults.rate_limit(reset_in=120)
    chat_stubs.rate_limit("telegram", retry_after=7)
    chat_stubs.rate_limit("discord", retry_after=3)
    chat_stubs.rate_limit("zulip", retry_after=11)
    chat_stubs.rate_limit("slack", retry_after=13)
    results, _ = send(database, config, ["mastodon", "telegram", "discord", "zulip", "slack"])
    assert all(isinstance(o, RetryLater) and not isinstance(o, Uncertain) for o in results.values()), results
    assert 100 < results["mastodon"].after <= 121  # from X-RateLimit-Reset, through client.ratelimit_reset
    assert results["telegram"].after == 7  # parameters.retry_after
    assert results["discord"].after == 3
    assert results["zulip"].after == 11
    assert results["slack"].after == 13  # Retry-After header
    assert mastodon_faults.statuses == [] and chat_stubs.telegram == []


def test_a_hanging_channel_does_not_delay_the_others(database: Database, mastodon_faults: MastodonFaults,
                                                    chat_stubs: ChatStubs) -> None:
    config = social_config(stub_channels(mastodon_faults, chat_stubs, timeout=1))
    mastodon_faults.hang(6)
    chat_stubs.fail("/bot", None, delay=6)  # Telegram answers only after 6 s
    chat_stubs.fail("/services/", None, delay=0.5)  # Slack is merely slow
    results, elapsed = send(database, config, ["mastodon", "telegram", "discord", "slack", "zulip"])
    assert isinstance(results["mastodon"], Uncertain) and isinstance(results["telegram"], Uncertain)
    for channel in ("discord", "slack", "zulip"):
        assert isinstance(results[channel], Posted), results
    # About the slowest timeout (1 s), not the sum of the waits (6 + 6 + 0.5 s).
    assert elapsed < 2.5, elapsed


def test_server_errors_retry_and_refusals_fail(database: Database, mastodon_faults: MastodonFaults,
                                              chat_stubs: ChatStubs) -> None:
    channels = stub_channels(mastodon_faults, chat_stubs)
    channels["telegram"]["bot_token"] = "1:wrong"
    mastodon_faults.server_error(503)
    chat_stubs.fail("/api/webhooks/", 502)
    results, _ = send(database, social_config(channels), ["mastodon", "telegram", "discord"])
    assert isinstance(results["mastodon"], RetryLater) and not isinstance(results["mastodon"], Uncertain)
    assert isinstance(results["discord"], RetryLater)
    assert isinstance(results["telegram"], Permanent) and "channels.telegram.bot_token" in results["telegram"].reason

    channels["mastodon"]["access_token"] = "wrong"
    results, _ = send(database, social_config(channels), ["mastodon"])
    assert isinstance(results["mastodon"], Permanent) and "access_token" in results["mastodon"].reason


def test_mastodon_reads_and_caches_the_instance_limit(mastodon_faults: MastodonFaults, chat_stubs: ChatStubs,
                                                     database: Database) -> None:
    mastodon_module._instance_limits.pop(mastodon_faults.base_url, None)
    mastodon_faults.max_characters = 200
    try:
        config = social_config(stub_channels(mastodon_faults, chat_stubs))
        channel = build_channel(config, "mastodon")
        assert channel.limits().max_length == 200 - SAFETY_MARGIN
        results, _ = send(database, config, ["mastodon"])
        assert isinstance(results["mastodon"], Posted)
        [status] = mastodon_faults.statuses
        assert len(status["content"]) - len("<p></p>") <= 200
        [posted] = [r for r in mastodon_faults.received if r.path == "/api/v1/statuses"]
        assert posted.header("Idempotency-Key") and posted.body["visibility"] == "public"
        assert posted.body["language"] == "or"
        instance_reads = [r for r in mastodon_faults.received if "instance" in r.path]
        channel.limits()
        assert [r for r in mastodon_faults.received if "instance" in r.path] == instance_reads  # cached
    finally:
        mastodon_module._instance_limits.pop(mastodon_faults.base_url, None)
        mastodon_faults.max_characters = 500


def test_a_timed_out_mastodon_post_is_retried_with_the_same_key(database: Database,
                                                                mastodon_faults: MastodonFaults,
                                                                chat_stubs: ChatStubs) -> None:
    config = social_config(stub_channels(mastodon_faults, chat_stubs, timeout=1))
    nomination_id = approve(database, config, ["mastodon"])
    mastodon_faults.hang(3)
    with database.session() as session:
        [first] = send_all(config, social_deliveries(session, nomination_id)).values()
        [second] = send_all(config, social_deliveries(session, nomination_id)).values()
    assert isinstance(first, Uncertain) and isinstance(second, Posted)
    keys = [r.header("Idempotency-Key") for r in mastodon_faults.received if r.path == "/api/v1/statuses"]
    assert len(keys) == 2 and keys[0] == keys[1]
    assert len(mastodon_faults.statuses) == 1


@pytest.mark.parametrize("settings,key", [
    ({"type": "mastodon", "base_url": "https://wikis.world"}, "channels.chan.access_token"),
    ({"type": "mastodon", "base_url": "wikis.world", "access_token": "x"}, "channels.chan.base_url"),
    ({"type": "mastodon", "base_url": "https://w.w", "access_token": "x", "visibility": "loud"},
     "channels.chan.visibility"),
    ({"type": "bluesky", "identifier": "kudos.bsky.social"}, "channels.chan.app_password"),
    ({"type": "telegram", "bot_token": "1:x"}, "channels.chan.chat_id"),
    ({"type": "matrix", "homeserver": "https://m.org", "access_token": "x", "room_id": "#kudos:m.org"},
     "channels.chan.room_id"),
    ({"type": "discord"}, "channels.chan.webhook_url"),
    ({"type": "zulip", "site": "https://z.org", "email": "b@z.org", "api_key": "k"}, "channels.chan.stream"),
    ({"type": "slack", "webhook_url": "https://hooks.slack.com/x", "timeout": 0}, "channels.chan.timeout"),
    ({"type": "slack", "webhook_url": "https://hooks.slack.com/x", "hashtags": ["no spaces!"]},
     "channels.chan.hashtags"),
])
def test_channel_settings_are_checked_with_a_sentence_naming_the_key(settings: dict[str, Any], key: str) -> None:
    config = make_config(channels={"chan": settings})
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        build_channel(config, "chan")


@pytest.mark.parametrize("tag", ["ଓଡ଼ିଆ", "ଉଇକିପିଡ଼ିଆ_୨୦୨୬", "हिन्दी", "Wikipedia", "edit_a_thon"])
def test_hashtags_in_any_script_are_accepted(tag: str) -> None:
    config = make_config(channels={"chan": {"type": "slack", "webhook_url": "https://hooks.slack.com/x",
                                            "hashtags": [tag]}})
    assert build_channel(config, "chan").hashtags == (tag,)


@pytest.mark.parametrize("tag", ["no spaces!", "2026", "a-b", "#", "a\u200bb"])
def test_hashtags_that_would_not_be_one_tag_are_refused(tag: str) -> None:
    config = make_config(channels={"chan": {"type": "slack", "webhook_url": "https://hooks.slack.com/x",
                                            "hashtags": [tag]}})
    with pytest.raises(ConfigError, match="hashtags"):
        build_channel(config, "chan")


def test_secrets_come_from_tool_variables_even_for_hyphenated_names(tmp_path: Path) -> None:
    from kudos.config import load_config

    path = tmp_path / "config.yaml"
    path.write_text("environment: development\nchannels:\n  odia-mastodon:\n    type: mastodon\n"
                    "    base_url: https://wikis.world\n")
    config = load_config(path=path, environ={"TOOL_CHANNELS__ODIA_MASTODON__ACCESS_TOKEN": "secret-token"})
    assert set(config.channels) == {"odia-mastodon"}
    channel = build_channel(config, "odia-mastodon")
    assert channel.access_token == "secret-token"  # type: ignore[attr-defined]


def test_missing_secret_names_its_variable() -> None:
    config = make_config(channels={"odia-bsky": {"type": "bluesky", "identifier": "kudos.test"}})
    with pytest.raises(ConfigError, match="TOOL_CHANNELS__ODIA_BSKY__APP_PASSWORD"):
        build_channel(config, "odia-bsky")


def test_bluesky_record_keys_are_stable_valid_tids() -> None:
    from datetime import datetime

    created = datetime(2026, 11, 24, 10, 0, 0)
    key = record_key("0123456789abcdef0123456789abcdef", created)
    assert key == record_key("0123456789abcdef0123456789abcdef", created)
    assert key != record_key("fedcba9876543210fedcba9876543210", created)
    assert len(key) == 13 and key[0] in "234567abcdefghij"
    assert all(c in "234567abcdefghijklmnopqrstuvwxyz" for c in key)
