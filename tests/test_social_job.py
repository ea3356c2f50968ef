"""Social delivery as production runs it: `python -m wikibot` (a subprocess, black-box) posting to the real
Synapse and Bluesky PDS and to mastodon-mock and the chat stubs, on SQLite and MariaDB; and a job killed
after its posts reached the servers and before it recorded them: exactly once per channel all the same."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import update

from kudos.config import PROJECT_ROOT, Config
from kudos.db import Database
from kudos.models import Delivery, DeliveryStatus
from kudos.outbox import is_social
from kudos.social.bluesky import POST
from kudos.social.journal import SENDING
from kudos.wall import permalink
from tests.servers.bluesky import LocalPDS
from tests.servers.chat_stubs import ChatStubs
from tests.servers.mastodon import MastodonMock
from tests.servers.matrix import LocalSynapse
from tests.social_support import ALL, approve, bluesky_account, channel_settings, matrix_room
from tests.wikibot_support import deliveries, job_settings, load, run_job, summary, write_config

__all__ = ["bluesky_account", "matrix_room"]  # fixtures used here

CLOSED_WIKI = "http://127.0.0.1:9/w/api.php"  # nothing listens: these tests deliver no talk-page barnstar


def job_config(folder: Path, database: Database, channels: dict[str, dict[str, Any]], **delivery: Any) -> Path:
    settings = job_settings(database.url, CLOSED_WIKI, "KudosBot@kudos", "unused-bot-password", folder, **delivery)
    settings["wikis"] = {"orwiki": {"api_url": CLOSED_WIKI, "language": "or", "name": "Odia Wikipedia"}}
    settings["tool_url"] = f"https://kudos.example.org/{secrets.token_hex(4)}"  # permalinks unique per test
    settings["channels"] = channels
    return write_config(folder, settings)


def social_only(database: Database, config: Config, channels: list[str], count: int) -> list[int]:
    """Approved nominations whose talk-page and wall rows are settled already: the job has only social work."""
    ids = [approve(database, config, channels, message=f"Shout-out {n} for rivers.") for n in range(count)]
    with database.transaction() as session:
        session.execute(update(Delivery).where(Delivery.nomination_id.in_(ids), Delivery.channel.in_(
            ["talkpage", "wall"])).values(status=DeliveryStatus.skipped, last_error="not part of this test"))
    return ids


def social_rows(database: Database, nomination_ids: list[int]) -> dict[tuple[int, str], Delivery]:
    with database.session() as session:
        rows = session.query(Delivery).filter(Delivery.nomination_id.in_(nomination_ids)).all()
        return {(d.nomination_id, d.channel): d for d in rows if is_social(d.channel)}


class Networks:
    """What each server holds for a permalink."""

    def __init__(self, synapse: LocalSynapse, room: dict[str, str], pds: LocalPDS, account: dict[str, str],
                 mastodon: MastodonMock, chat: ChatStubs) -> None:
        self.synapse, self.room, self.pds, self.account, self.mastodon, self.chat = (
            synapse, room, pds, account, mastodon, chat)

    def ids(self, url: str) -> dict[str, list[str]]:
        return {
            "matrix": [e["event_id"] for e in self.synapse.messages(self.room["token"], self.room["room_id"])
                       if url in e["content"].get("body", "")],
            "bluesky": [r["uri"] for r in self.pds.list_records(self.account["did"], POST)
                        if url in r["value"]["text"]],
            "mastodon": [str(s["id"]) for s in self.mastodon.statuses() if url in s["content"]],
            "telegram": [str(m["result"]["message_id"]) for m in self.chat.telegram if url in m["text"]],
            "discord": [str(m["id"]) for m in self.chat.discord if url in m["content"]],
            "slack": [url for m in self.chat.slack if url in m["text"]],
            "zulip": [str(m["id"]) for m in self.chat.zulip if url in m["content"]],
        }


def networks(synapse: LocalSynapse, matrix_room: dict[str, str], bluesky_pds: LocalPDS,
             bluesky_account: dict[str, str], mastodon_server: MastodonMock, chat_stubs: ChatStubs) -> Networks:
    return Networks(synapse, matrix_room, bluesky_pds, bluesky_account, mastodon_server, chat_stubs)


def wait_for(condition: Callable[[], bool], what: str, process: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert process.poll() is None, f"the job exited before {what}: {process.communicate()}"
        assert time.monotonic() < deadline, f"no {what} within {timeout} s"
        time.sleep(0.05)


def test_the_job_posts_each_shout_out_once_on_every_network(
        database: Database, tmp_path: Path, synapse: LocalSynapse, matrix_room: dict[str, str],
        bluesky_pds: LocalPDS, bluesky_account: dict[str, str], mastodon_server: MastodonMock,
        chat_stubs: ChatStubs) -> None:
    channels = channel_settings(synapse, matrix_room, bluesky_pds, bluesky_account, mastodon_server, chat_stubs)
    path = job_config(tmp_path, database, channels)
    config = load(path)
    nomination_ids = social_only(database, config, ALL, 2)

    counts = summary(run_job(path, "--once").stdout)

    assert counts == {"done": 14, "skipped": 0, "retrying": 0, "failed": 0}
    rows = social_rows(database, nomination_ids)
    on = networks(synapse, matrix_room, bluesky_pds, bluesky_account, mastodon_server, chat_stubs)
    for nomination_id in nomination_ids:
        posted = on.ids(permalink(config, nomination_id))
        for channel in ALL:
            row = rows[(nomination_id, channel)]
            assert row.status == DeliveryStatus.done and len(posted[channel]) == 1, (channel, row.last_error)
            if channel != "slack":  # a Slack webhook answers only "ok"
                assert row.external_id == posted[channel][0], channel


def test_a_job_killed_between_post_and_record_posts_nothing_twice(
        database: Database, tmp_path: Path, synapse: LocalSynapse, matrix_room: dict[str, str],
        bluesky_pds: LocalPDS, bluesky_account: dict[str, str], mastodon_server: MastodonMock,
        chat_stubs: ChatStubs, http_faults: Callable[[str], Any]) -> None:
    channels = channel_settings(synapse, matrix_room, bluesky_pds, bluesky_account, mastodon_server, chat_stubs)
    # Each post reaches its server, whose answer the proxy then withholds: the job waits between post and record.
    proxies = {"matrix": http_faults(synapse.base_url), "bluesky": http_faults(bluesky_pds.base_url),
               "mastodon": http_faults(mastodon_server.base_url)}
    proxies["matrix"].plan("PUT", r"/send/m\.room\.message/", hold=True)
    proxies["bluesky"].plan("POST", r"com\.atproto\.repo\.createRecord", hold=True)
    proxies["mastodon"].plan("POST", r"^/api/v1/statuses$", hold=True)
    channels["matrix"]["homeserver"] = proxies["matrix"].base_url
    channels["bluesky"]["base_url"] = proxies["bluesky"].base_url
    channels["mastodon"]["base_url"] = proxies["mastodon"].base_url
    chat_stubs.fail("/bot", None, delay=30)  # Telegram takes the message and answers late
    used = ["matrix", "bluesky", "mastodon", "telegram"]
    path = job_config(tmp_path, database, {name: channels[name] for name in used}, lease_seconds=1)
    config = load(path)
    [nomination_id] = social_only(database, config, used, 1)
    url = permalink(config, nomination_id)
    on = networks(synapse, matrix_room, bluesky_pds, bluesky_account, mastodon_server, chat_stubs)

    job = subprocess.Popen([sys.executable, "-m", "wikibot", "--once"], cwd=PROJECT_ROOT, text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           env={**os.environ, "KUDOS_CONFIG": str(path)})
    try:
        wait_for(lambda: all(on.ids(url)[name] for name in used), "post on every server", job)
        # The kill lands here: every post is on its server, no outcome is recorded, each row carries the mark.
        rows = social_rows(database, [nomination_id])
        assert {(rows[(nomination_id, n)].status, rows[(nomination_id, n)].external_id) for n in used} == {
            (DeliveryStatus.claimed, SENDING)}
        job.send_signal(signal.SIGKILL)
        job.communicate(timeout=30)
    finally:
        if job.poll() is None:
            job.kill()
            job.communicate()
        for proxy in proxies.values():
            proxy.release()
    assert job.returncode == -signal.SIGKILL
    first = on.ids(url)

    time.sleep(1.2)  # the dead job's lease (1 s) runs out
    counts = summary(run_job(path, "--once").stdout)

    # Matrix, Bluesky and Mastodon find the earlier post; Telegram cannot look, so it is not sent again.
    assert counts == {"done": 3, "skipped": 0, "retrying": 0, "failed": 1}
    assert on.ids(url) == first and all(len(first[name]) == 1 for name in used), first
    rows = social_rows(database, [nomination_id])
    for name in ("matrix", "bluesky", "mastodon"):
        assert rows[(nomination_id, name)].status == DeliveryStatus.done
        assert rows[(nomination_id, name)].external_id == first[name][0]
    telegram = rows[(nomination_id, "telegram")]
    assert telegram.status == DeliveryStatus.failed and "retry by hand" in (telegram.last_error or "")
    assert deliveries(database, [telegram.id])[telegram.id].attempts == 2
