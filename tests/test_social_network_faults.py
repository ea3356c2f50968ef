"""Matrix and Bluesky failures through the channels' own code paths: on the real servers where they can be
provoked (Synapse's per-user rate limit, a logged-out token, a revoked app password), through a fault proxy
in front of them otherwise (429 without a hint, 5xx, a hanging server, an answer lost after the post)."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import requests

from kudos.channels import Permanent, Posted, RetryLater, Uncertain
from kudos.config import Config
from kudos.db import Database
from kudos.social import send_all
from kudos.social.bluesky import POST
from kudos.wall import permalink
from tests.servers.bluesky import LocalPDS
from tests.servers.matrix import LocalSynapse
from tests.social_support import approve, database, social_config, social_deliveries

__all__ = ["database"]  # fixture used here


def send_one(database: Database, config: Config, channel: str) -> tuple[Any, str]:
    nomination_id = approve(database, config, [channel])
    with database.session() as session:
        [outcome] = send_all(config, social_deliveries(session, nomination_id)).values()
    return outcome, permalink(config, nomination_id)


def resend(database: Database, config: Config, url: str) -> Any:
    """The next attempt of the same delivery (same key), as the job makes after a retry delay."""
    nomination_id = int(url.rsplit("/", 1)[1])
    with database.session() as session:
        [outcome] = send_all(config, social_deliveries(session, nomination_id)).values()
    return outcome


def matrix_bot(synapse: LocalSynapse) -> dict[str, str]:
    name = f"kudos{secrets.token_hex(3)}"
    user_id, token = synapse.register_user(name, "bot-password")
    return {"user": user_id, "name": name, "token": token, "room_id": synapse.create_room(token, "Announcements")}


def matrix(base_url: str, bot: dict[str, str], **more: Any) -> Config:
    return social_config({"matrix": {"type": "matrix", "homeserver": base_url, "access_token": bot["token"],
                                     "room_id": bot["room_id"], **more}})


def matrix_events(synapse: LocalSynapse, bot: dict[str, str], url: str) -> list[str]:
    return [e["event_id"] for e in synapse.messages(bot["token"], bot["room_id"]) if url in e["content"]["body"]]


def test_matrix_rate_limit_with_synapses_own_hint(database: Database, synapse: LocalSynapse) -> None:
    bot = matrix_bot(synapse)
    _admin, admin_token = synapse.register_user(f"admin{secrets.token_hex(3)}", "admin-password", admin=True)
    override = requests.post(f"{synapse.base_url}/_synapse/admin/v1/users/{quote(bot['user'])}/override_ratelimit",
                             json={"messages_per_second": 1, "burst_count": 1},
                             headers={"Authorization": f"Bearer {admin_token}"}, timeout=10)
    assert override.ok, override.text
    config = matrix(synapse.base_url, bot)
    ids = [approve(database, config, ["matrix"]) for _ in range(2)]
    time.sleep(1.1)  # creating the room used this second's message
    with database.session() as session:  # two shout-outs at once: the second exceeds one message a second
        rows = [d for i in ids for d in social_deliveries(session, i)]
        outcomes = list(send_all(config, rows).values())
    [posted] = [o for o in outcomes if isinstance(o, Posted)]
    [limited] = [o for o in outcomes if not isinstance(o, Posted)]
    assert isinstance(limited, RetryLater) and not isinstance(limited, Uncertain)
    assert limited.after is not None and 0 < limited.after <= 1  # Synapse's retry_after_ms
    assert [e["event_id"] for e in synapse.messages(bot["token"], bot["room_id"])] == [posted.external_id]


def test_matrix_rate_limit_without_hint_and_server_errors_wait_and_post_once(
        database: Database, synapse: LocalSynapse, http_faults: Callable[[str], Any]) -> None:
    bot = matrix_bot(synapse)
    proxy = http_faults(synapse.base_url)
    config = matrix(proxy.base_url, bot)
    proxy.plan("PUT", r"/send/", status=429, body={"errcode": "M_LIMIT_EXCEEDED", "error": "Too Many Requests"})
    limited, url = send_one(database, config, "matrix")
    assert isinstance(limited, RetryLater) and not isinstance(limited, Uncertain) and limited.after is None
    proxy.plan("PUT", r"/send/", status=502, body=b"<html>Bad gateway</html>")
    failed = resend(database, config, url)
    assert isinstance(failed, RetryLater) and not isinstance(failed, Uncertain) and "502" in failed.reason
    assert isinstance(resend(database, config, url), Posted)
    assert len(matrix_events(synapse, bot, url)) == 1


def test_matrix_hanging_server_and_lost_answer_post_once(
        database: Database, synapse: LocalSynapse, http_faults: Callable[[str], Any]) -> None:
    bot = matrix_bot(synapse)
    proxy = http_faults(synapse.base_url)
    config = matrix(proxy.base_url, bot, timeout=1)
    proxy.plan("PUT", r"/send/", hang=5)  # nothing reaches Synapse
    hung, url = send_one(database, config, "matrix")
    assert isinstance(hung, Uncertain)
    proxy.plan("PUT", r"/send/", hold=True)  # the event is stored, its answer never comes
    lost = resend(database, config, url)
    assert isinstance(lost, Uncertain) and len(matrix_events(synapse, bot, url)) == 1
    again = resend(database, config, url)  # the same transaction id: Synapse returns the first event
    assert isinstance(again, Posted) and matrix_events(synapse, bot, url) == [again.external_id]


def test_matrix_logged_out_token_is_a_clear_permanent_failure(database: Database, synapse: LocalSynapse) -> None:
    bot = matrix_bot(synapse)
    bot["token"] = synapse.login(bot["name"], "bot-password")  # a device of its own, then logged out
    logout = requests.post(f"{synapse.base_url}/_matrix/client/v3/logout", json={},
                           headers={"Authorization": f"Bearer {bot['token']}"}, timeout=10)
    assert logout.ok
    outcome, _ = send_one(database, matrix(synapse.base_url, bot), "matrix")
    assert isinstance(outcome, Permanent) and "M_UNKNOWN_TOKEN" in outcome.reason
    assert "channels.matrix.access_token" in outcome.reason


# --- Bluesky ---

def bluesky(base_url: str, account: dict[str, str], **more: Any) -> Config:
    return social_config({"bluesky": {"type": "bluesky", "base_url": base_url, "identifier": account["handle"],
                                      "app_password": account["app_password"], **more}})


def bluesky_account(pds: LocalPDS) -> dict[str, str]:
    handle, did, app_password = pds.create_account("faults")
    return {"handle": handle, "did": did, "app_password": app_password}


def bluesky_posts(pds: LocalPDS, account: dict[str, str], url: str) -> list[str]:
    return [r["uri"] for r in pds.list_records(account["did"], POST) if url in r["value"]["text"]]


def test_bluesky_rate_limits_with_and_without_a_hint_and_server_errors(
        database: Database, bluesky_pds: LocalPDS, http_faults: Callable[[str], Any]) -> None:
    account = bluesky_account(bluesky_pds)
    proxy = http_faults(bluesky_pds.base_url)
    config = bluesky(proxy.base_url, account)
    reset = int(time.time()) + 60
    limited_body = {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}
    proxy.plan("POST", r"createRecord", status=429, body=limited_body,
               headers={"RateLimit-Limit": "5000", "RateLimit-Remaining": "0", "RateLimit-Reset": str(reset)})
    hinted, url = send_one(database, config, "bluesky")
    assert isinstance(hinted, RetryLater) and not isinstance(hinted, Uncertain)
    assert hinted.after is not None and 50 < hinted.after <= 61
    proxy.plan("POST", r"createRecord", status=429, body=limited_body)
    bare = resend(database, config, url)
    assert isinstance(bare, RetryLater) and not isinstance(bare, Uncertain) and bare.after is None
    proxy.plan("POST", r"createRecord", status=503, body={"error": "InternalServerError"})
    failed = resend(database, config, url)
    assert isinstance(failed, RetryLater) and not isinstance(failed, Uncertain) and "503" in failed.reason
    assert bluesky_posts(bluesky_pds, account, url) == []
    assert isinstance(resend(database, config, url), Posted)
    assert len(bluesky_posts(bluesky_pds, account, url)) == 1


def test_bluesky_hanging_server_and_lost_answer_post_once(
        database: Database, bluesky_pds: LocalPDS, http_faults: Callable[[str], Any]) -> None:
    account = bluesky_account(bluesky_pds)
    proxy = http_faults(bluesky_pds.base_url)
    config = bluesky(proxy.base_url, account, timeout=1)
    proxy.plan("POST", r"createRecord", hang=5)
    hung, url = send_one(database, config, "bluesky")
    assert isinstance(hung, Uncertain) and bluesky_posts(bluesky_pds, account, url) == []
    proxy.plan("POST", r"createRecord", hold=True)  # the record is written, its answer never comes
    lost = resend(database, config, url)
    assert isinstance(lost, Uncertain) and len(bluesky_posts(bluesky_pds, account, url)) == 1
    again = resend(database, config, url)  # the same record key: refused by the PDS, found by getRecord
    assert isinstance(again, Posted) and bluesky_posts(bluesky_pds, account, url) == [again.external_id]


def test_bluesky_revoked_app_password_is_a_clear_permanent_failure(database: Database,
                                                                   bluesky_pds: LocalPDS) -> None:
    account = bluesky_account(bluesky_pds)
    bluesky_pds.revoke_app_password(account["handle"])
    outcome, url = send_one(database, bluesky(bluesky_pds.base_url, account), "bluesky")
    assert isinstance(outcome, Permanent) and "channels.bluesky.app_password" in outcome.reason
    assert bluesky_posts(bluesky_pds, account, url) == []
