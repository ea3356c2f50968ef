"""The social-network fixtures behave like the services they stand for: real Synapse, mastodon-mock, stubs."""

from __future__ import annotations

import time
import uuid
from urllib.parse import quote

import pytest
import requests
from mastodon import Mastodon
from mastodon.errors import MastodonNetworkError, MastodonRatelimitError, MastodonServiceUnavailableError

from tests.servers.chat_stubs import ChatStubs
from tests.servers.mastodon import MastodonMock
from tests.servers.mastodon_faults import MastodonFaults
from tests.servers.matrix import LocalSynapse

# --- Matrix ---


def test_synapse_send_with_same_txn_id_posts_once(synapse: LocalSynapse) -> None:
    _, admin_token = synapse.register_user(f"organizer{uuid.uuid4().hex[:6]}", "organizer-pw", admin=True)
    bot_id, bot_token = synapse.register_user(f"kudosbot{uuid.uuid4().hex[:6]}", "bot-pw")
    room_id = synapse.create_room(admin_token, "Kudos announcements")
    assert synapse.join_room(bot_token, room_id) == room_id

    url = f"{synapse.base_url}/_matrix/client/v3/rooms/{quote(room_id)}/send/m.room.message/kudos-42"
    content = {"msgtype": "m.notice", "body": "Thanks, Ada!", "format": "org.matrix.custom.html",
               "formatted_body": "<b>Thanks</b>, Ada!"}
    headers = {"Authorization": f"Bearer {bot_token}"}
    first = requests.put(url, json=content, headers=headers, timeout=10)
    retry = requests.put(url, json=content, headers=headers, timeout=10)
    assert first.status_code == retry.status_code == 200
    assert first.json()["event_id"] == retry.json()["event_id"]

    posted = [e for e in synapse.messages(admin_token, room_id) if e["sender"] == bot_id]
    assert [e["content"]["formatted_body"] for e in posted] == ["<b>Thanks</b>, Ada!"]
    assert posted[0]["content"]["msgtype"] == "m.notice"


def test_synapse_rejects_unknown_token(synapse: LocalSynapse) -> None:
    response = requests.post(f"{synapse.base_url}/_matrix/client/v3/createRoom", json={},
                             headers={"Authorization": "Bearer nope"}, timeout=10)
    assert response.status_code == 401
    assert response.json()["errcode"] == "M_UNKNOWN_TOKEN"


# --- Mastodon (mastodon-mock) ---


def test_mastodon_idempotency_key_posts_once(mastodon_server: MastodonMock) -> None:
    client = Mastodon(api_base_url=mastodon_server.base_url, access_token=mastodon_server.token)
    text = f"Kudos to Ada {uuid.uuid4().hex[:8]} #wikipedia"
    key = f"kudos-{uuid.uuid4()}"
    first = client.status_post(text, idempotency_key=key, visibility="unlisted", language="en")
    retry = client.status_post(text, idempotency_key=key, visibility="unlisted", language="en")
    assert first.id == retry.id

    matching = [s for s in mastodon_server.statuses() if text in s["content"]]
    assert len(matching) == 1
    assert matching[0]["visibility"] == "unlisted"
    assert matching[0]["language"] == "en"


def test_mastodon_instance_limits_with_and_without_trailing_slash(mastodon_server: MastodonMock) -> None:
    client = mastodon_server.client()
    assert client.instance_v2().configuration.statuses.max_characters == 500
    for path in ("/api/v2/instance", "/api/v2/instance/", "/api/v1/instance/"):
        assert requests.get(mastodon_server.base_url + path, timeout=10).status_code == 200, path


def test_mastodon_mock_fault_rule_makes_client_raise(mastodon_server: MastodonMock) -> None:
    mastodon_server.add_fault("/api/v1/statuses", "ratelimit", headers={"Retry-After": "7"})
    client = mastodon_server.client(ratelimit_method="throw")
    with pytest.raises(MastodonRatelimitError):
        client.status_post("rate limited", idempotency_key="mock-fault")
    assert client.status_post("rate limited", idempotency_key="mock-fault").id


# --- Mastodon failure stub ---


def _faults_client(stub: MastodonFaults, timeout: float = 10) -> Mastodon:
    return Mastodon(api_base_url=stub.base_url, access_token=stub.token, ratelimit_method="throw",
                    request_timeout=timeout)


def test_faults_429_raises_and_reports_reset_time(mastodon_faults: MastodonFaults) -> None:
    mastodon_faults.rate_limit(times=1, reset_in=30)
    client = _faults_client(mastodon_faults)
    with pytest.raises(MastodonRatelimitError):
        client.status_post("Kudos!", idempotency_key="k-429")
    assert client.ratelimit_reset is not None
    assert 20 < client.ratelimit_reset - time.time() <= 31
    assert mastodon_faults.statuses == []

    status = client.status_post("Kudos!", idempotency_key="k-429")
    assert [s["id"] for s in mastodon_faults.statuses] == [status.id]
    keys = [r.header("Idempotency-Key") for r in mastodon_faults.requests_to("/api/v1/statuses")]
    assert keys == ["k-429", "k-429"]


def test_faults_server_error_then_success(mastodon_faults: MastodonFaults) -> None:
    mastodon_faults.server_error(503)
    client = _faults_client(mastodon_faults)
    with pytest.raises(MastodonServiceUnavailableError):
        client.status_post("Kudos!", idempotency_key="k-503")
    client.status_post("Kudos!", idempotency_key="k-503")
    client.status_post("Kudos!", idempotency_key="k-503")
    assert len(mastodon_faults.statuses) == 1


def test_faults_hang_times_out(mastodon_faults: MastodonFaults) -> None:
    mastodon_faults.hang(2.0)
    client = _faults_client(mastodon_faults, timeout=0.5)
    with pytest.raises(MastodonNetworkError):
        client.status_post("Kudos!", idempotency_key="k-hang")
    assert len(mastodon_faults.statuses) == 1  # it went through although the client timed out
    retry = client.status_post("Kudos!", idempotency_key="k-hang")
    assert [s["id"] for s in mastodon_faults.statuses] == [retry.id]


def test_faults_stub_checks_token_and_length(mastodon_faults: MastodonFaults) -> None:
    client = _faults_client(mastodon_faults)
    assert client.instance_v2().configuration.statuses.max_characters == 500
    with pytest.raises(Exception, match="too long"):
        client.status_post("x" * 501)
    bad = Mastodon(api_base_url=mastodon_faults.base_url, access_token="wrong")
    with pytest.raises(Exception, match="401"):
        bad.status_post("hello")


# --- Telegram, Discord, Slack, Zulip stubs ---


def test_telegram_round_trip_form_and_json(chat_stubs: ChatStubs) -> None:
    api = f"{chat_stubs.telegram_base_url}/bot{chat_stubs.telegram_token}"
    me = requests.get(f"{api}/getMe", timeout=10).json()
    assert me["ok"] and me["result"]["is_bot"]

    form = requests.post(f"{api}/sendMessage", data={
        "chat_id": "-100123", "text": "<b>Kudos</b> to Ada", "parse_mode": "HTML",
        "link_preview_options": '{"is_disabled": true}'}, timeout=10).json()
    as_json = requests.post(f"{api}/sendMessage", json={"chat_id": "@wikikudos", "text": "Hi"}, timeout=10)
    assert form["ok"] and form["result"]["chat"]["id"] == -100123
    assert form["result"]["text"] == "<b>Kudos</b> to Ada"
    as_json = as_json.json()
    assert as_json["result"]["chat"]["type"] == "channel"
    assert form["result"]["message_id"] != as_json["result"]["message_id"]
    assert chat_stubs.telegram[0]["parse_mode"] == "HTML"
    assert chat_stubs.telegram[0]["link_preview_options"] == {"is_disabled": True}

    wrong = requests.post(f"{chat_stubs.base_url}/bot1:WRONG/sendMessage", data={}, timeout=10)
    assert wrong.status_code == 401


def test_telegram_rate_limit_shape(chat_stubs: ChatStubs) -> None:
    chat_stubs.rate_limit("telegram", retry_after=5)
    url = f"{chat_stubs.telegram_base_url}/bot{chat_stubs.telegram_token}/sendMessage"
    limited = requests.post(url, data={"chat_id": "1", "text": "hi"}, timeout=10)
    assert limited.status_code == 429
    assert limited.json()["parameters"]["retry_after"] == 5
    assert requests.post(url, data={"chat_id": "1", "text": "hi"}, timeout=10).json()["ok"]
    assert len(chat_stubs.telegram) == 1
    assert len(chat_stubs.requests_to("/bot")) == 2


def test_discord_webhook_wait_true_and_without(chat_stubs: ChatStubs) -> None:
    url = chat_stubs.discord_webhook_url()
    body = {"content": "Kudos to Ada", "allowed_mentions": {"parse": []}}
    waited = requests.post(url, params={"wait": "true"}, json=body, timeout=10)
    assert waited.status_code == 200
    assert waited.json()["content"] == "Kudos to Ada" and waited.json()["id"]
    assert requests.post(url, json=body, timeout=10).status_code == 204
    assert [m["id"] for m in chat_stubs.discord][0] == waited.json()["id"]
    assert chat_stubs.discord[0]["allowed_mentions"] == {"parse": []}
    assert requests.post(url, json={"content": "x" * 2001}, timeout=10).status_code == 400


def test_slack_and_zulip_round_trip(chat_stubs: ChatStubs) -> None:
    slack = requests.post(chat_stubs.slack_webhook_url(), json={"text": "<https://w.wiki/x|Ada>"}, timeout=10)
    assert (slack.status_code, slack.text) == (200, "ok")

    settings = requests.get(f"{chat_stubs.zulip_site}/api/v1/server_settings", timeout=10).json()
    assert settings["result"] == "success"
    sent = requests.post(f"{chat_stubs.zulip_site}/api/v1/messages",
                         data={"type": "stream", "to": "kudos", "topic": "thanks", "content": "Kudos"},
                         auth=(chat_stubs.zulip_email, chat_stubs.zulip_key), timeout=10)
    assert sent.json()["result"] == "success"
    assert chat_stubs.zulip == [{"type": "stream", "to": "kudos", "topic": "thanks", "content": "Kudos",
                                 "id": sent.json()["id"], "sender": chat_stubs.zulip_email}]
    wrong = requests.post(f"{chat_stubs.zulip_site}/api/v1/messages", data={"content": "x"},
                          auth=(chat_stubs.zulip_email, "bad"), timeout=10)
    assert wrong.status_code == 401


def test_injected_delay_per_prefix(chat_stubs: ChatStubs) -> None:
    chat_stubs.fail("/services/", None, delay=1.0)
    with pytest.raises(requests.Timeout):
        requests.post(chat_stubs.slack_webhook_url(), json={"text": "slow"}, timeout=0.3)
    began = time.monotonic()
    assert requests.post(chat_stubs.slack_webhook_url(), json={"text": "fast"}, timeout=5).text == "ok"
    assert time.monotonic() - began < 0.5
