"""Social delivery against real servers (Synapse, a Bluesky PDS, mastodon-mock) and chat stubs."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
import requests

from kudos import people
from kudos.channels import Permanent, Posted, Skip
from kudos.config import Config
from kudos.db import Database
from kudos.models import Consent, DeliveryStatus
from kudos.social import Journal, send_all
from kudos.social.bluesky import POST
from kudos.social.text import ZWJ
from kudos.wall import permalink
from tests.servers.bluesky import LocalPDS
from tests.servers.chat_stubs import ChatStubs
from tests.servers.mastodon import MastodonMock
from tests.servers.matrix import LocalSynapse
from tests.social_support import (
    ALL,
    CHAT_ID,
    approve,
    bluesky_account,
    by_channel,
    database,
    matrix_room,
    servers,
    social_deliveries,
)

__all__ = ["bluesky_account", "database", "matrix_room", "servers"]  # fixtures used here

def matrix_events(synapse: LocalSynapse, room: dict[str, str], url: str) -> list[dict[str, Any]]:
    return [e for e in synapse.messages(room["token"], room["room_id"]) if url in e["content"].get("body", "")]


def bluesky_posts(pds: LocalPDS, account: dict[str, str], url: str) -> list[dict[str, Any]]:
    return [r for r in pds.list_records(account["did"], POST) if url in r["value"]["text"]]


def mastodon_posts(server: MastodonMock, url: str) -> list[dict[str, Any]]:
    return [s for s in server.statuses() if url in s["content"]]


def test_a_consented_shout_out_appears_once_on_every_network(
        servers: Config, database: Database, synapse: LocalSynapse, matrix_room: dict[str, str],
        bluesky_pds: LocalPDS, bluesky_account: dict[str, str], mastodon_server: MastodonMock,
        chat_stubs: ChatStubs) -> None:
    nomination_id = approve(database, servers, ALL)
    url = permalink(servers, nomination_id)
    with database.session() as session:
        results = by_channel(session, nomination_id,
                             send_all(servers, social_deliveries(session, nomination_id), journal=Journal(database)))
    assert set(results) == set(ALL)
    assert all(isinstance(outcome, Posted) for outcome in results.values()), results

    # Matrix: one m.notice with HTML and a clickable permalink.
    [event] = matrix_events(synapse, matrix_room, url)
    content = event["content"]
    assert content["msgtype"] == "m.notice" and content["format"] == "org.matrix.custom.html"
    # An Odia campaign: the Odia template ("On Odia Wikipedia, Nina has given Ravi …").
    assert "Odia Wikipediaରେ Nina Ravi ଙ୍କୁ The Original Barnstar ଦେଇଛନ୍ତି" in content["body"]
    assert f'<a href="{url}">{url}</a>' in content["formatted_body"]
    assert "&lt;b&gt;all&lt;/b&gt;" in content["formatted_body"] and "<b>" not in content["formatted_body"]
    assert results["matrix"].external_id == event["event_id"]

    # Bluesky: one post whose link facet's byte offsets select the permalink.
    [post] = bluesky_posts(bluesky_pds, bluesky_account, url)
    text = post["value"]["text"]
    assert "Ravi" in text and "Nina" in text and text.endswith("#Wikipedia")
    facet, tag = post["value"]["facets"]
    start, end = facet["index"]["byteStart"], facet["index"]["byteEnd"]
    assert text.encode("utf-8")[start:end].decode("utf-8") == url
    assert facet["features"] == [{"$type": "app.bsky.richtext.facet#link", "uri": url}]
    assert text.encode("utf-8")[tag["index"]["byteStart"]:tag["index"]["byteEnd"]] == b"#Wikipedia"
    assert tag["features"] == [{"$type": "app.bsky.richtext.facet#tag", "tag": "Wikipedia"}]
    assert results["bluesky"].external_id == post["uri"]

    # Mastodon: one status with the text, the link, the hashtags, and no mention.
    [status] = mastodon_posts(mastodon_server, url)
    assert "Ravi ଙ୍କୁ" in status["content"] and "#Kudos" in status["content"]
    assert status["mentions"] == [] and "@everyone" not in status["content"]
    assert results["mastodon"].external_id == str(status["id"])

    # Telegram: HTML with the link, preview options, the configured chat.
    [message] = chat_stubs.telegram
    assert message["chat_id"] == CHAT_ID and message["parse_mode"] == "HTML"
    assert f'<a href="{url}">' in message["text"] and f"@{ZWJ}everyone" in message["text"]
    assert message["link_preview_options"] == {"is_disabled": False, "url": url}
    assert results["telegram"].url == "https://t.me/c/1234567890/" + str(message["result"]["message_id"])

    # Discord: ?wait=true, and mentions switched off.
    [discord] = chat_stubs.discord
    assert discord["allowed_mentions"] == {"parse": []} and url in discord["content"]
    assert [r.query.get("wait") for r in chat_stubs.received if r.path.startswith("/api/webhooks/")] == ["true"]
    assert results["discord"].external_id == discord["id"]

    # Slack: mrkdwn-escaped text with the link in angle brackets.
    [slack] = chat_stubs.slack
    assert f"<{url}>" in slack["text"] and "&lt;b&gt;all&lt;/b&gt;" in slack["text"]

    # Zulip: a stream message with a topic, sent with the bot's basic auth.
    [zulip] = chat_stubs.zulip
    assert (zulip["type"], zulip["to"], zulip["topic"]) == ("stream", "general", "Kudos") and url in zulip["content"]
    assert zulip["sender"] == chat_stubs.zulip_email


def test_exactly_once_when_the_job_dies_between_sending_and_recording(
        servers: Config, database: Database, synapse: LocalSynapse, matrix_room: dict[str, str],
        bluesky_pds: LocalPDS, bluesky_account: dict[str, str], mastodon_server: MastodonMock,
        chat_stubs: ChatStubs) -> None:
    nomination_id = approve(database, servers, ALL)
    url = permalink(servers, nomination_id)
    journal = Journal(database)
    with database.session() as session:
        first = by_channel(session, nomination_id,
                           send_all(servers, social_deliveries(session, nomination_id), journal=journal))
    assert all(isinstance(o, Posted) for o in first.values()), first
    # The job is killed here: nothing recorded. The lease runs out and another run claims them again.
    with database.session() as session:
        again = social_deliveries(session, nomination_id)
        assert {d.external_id for d in again} == {"sending"}
        second = by_channel(session, nomination_id, send_all(servers, again, journal=journal))

    for channel in ("matrix", "bluesky", "mastodon"):  # looked up, not sent again
        assert isinstance(second[channel], Posted) and second[channel].external_id == first[channel].external_id
    for channel in ("telegram", "discord", "slack", "zulip"):  # cannot look: at most once
        assert isinstance(second[channel], Permanent) and "retry by hand" in second[channel].reason
    assert len(matrix_events(synapse, matrix_room, url)) == 1
    assert len(bluesky_posts(bluesky_pds, bluesky_account, url)) == 1
    assert len(mastodon_posts(mastodon_server, url)) == 1
    assert (len(chat_stubs.telegram), len(chat_stubs.discord), len(chat_stubs.slack), len(chat_stubs.zulip)) == (
        1, 1, 1, 1)


def test_resending_with_the_same_key_is_deduplicated_by_each_server(
        servers: Config, database: Database, synapse: LocalSynapse, matrix_room: dict[str, str],
        bluesky_pds: LocalPDS, bluesky_account: dict[str, str], mastodon_server: MastodonMock) -> None:
    # Without the journal (or after its mark was lost) the keys alone keep one post per network:
    # Mastodon's Idempotency-Key, Matrix's transaction id, Bluesky's record key.
    idempotent = ["matrix", "bluesky", "mastodon"]
    nomination_id = approve(database, servers, idempotent)
    url = permalink(servers, nomination_id)
    outcomes = []
    for _ in range(2):
        with database.session() as session:
            outcomes.append(by_channel(session, nomination_id,
                                       send_all(servers, social_deliveries(session, nomination_id))))
    for channel in idempotent:
        assert isinstance(outcomes[1][channel], Posted), outcomes[1]
        assert outcomes[0][channel].external_id == outcomes[1][channel].external_id
    assert len(matrix_events(synapse, matrix_room, url)) == 1
    assert len(bluesky_posts(bluesky_pds, bluesky_account, url)) == 1
    assert len(mastodon_posts(mastodon_server, url)) == 1


def nothing_reached(chat_stubs: ChatStubs, mastodon_server: MastodonMock, synapse: LocalSynapse,
                    matrix_room: dict[str, str], bluesky_pds: LocalPDS, bluesky_account: dict[str, str],
                    name: str) -> bool:
    everywhere = [str(e["content"]) for e in synapse.messages(matrix_room["token"], matrix_room["room_id"])]
    everywhere += [r["value"]["text"] for r in bluesky_pds.list_records(bluesky_account["did"], POST)]
    everywhere += [s["content"] for s in mastodon_server.statuses()]
    return chat_stubs.received == [] and not any(name in text for text in everywhere)


@pytest.mark.parametrize("answer", [None, Consent.refused])
def test_nothing_leaves_the_tool_without_consent(
        answer: Consent | None, servers: Config, database: Database, synapse: LocalSynapse,
        matrix_room: dict[str, str], bluesky_pds: LocalPDS, bluesky_account: dict[str, str],
        mastodon_server: MastodonMock, chat_stubs: ChatStubs) -> None:
    name = f"Quiet{secrets.token_hex(3)}"
    nomination_id = approve(database, servers, ALL, recipient=name, consent=answer)
    with database.session() as session:
        due = social_deliveries(session, nomination_id)
        waiting = social_deliveries(session, nomination_id, status=None)
        assert due == []  # the job finds nothing to claim
        expected = DeliveryStatus.skipped if answer else DeliveryStatus.awaiting_consent
        assert {d.status for d in waiting} == {expected}
        # Even handed the rows directly, send_all refuses them without a request.
        results = send_all(servers, waiting)
    assert all(isinstance(o, Skip) for o in results.values()) and len(results) == len(ALL)
    assert nothing_reached(chat_stubs, mastodon_server, synapse, matrix_room, bluesky_pds, bluesky_account, name)

    if answer is None:  # consent given later releases them, and then they go out
        with database.transaction() as session:
            people.set_consent(session, name, Consent.granted)
        with database.session() as session:
            released = social_deliveries(session, nomination_id)
            assert len(released) == len(ALL)
            results = send_all(servers, released)
        assert all(isinstance(o, Posted) for o in results.values()), results
        assert len(chat_stubs.telegram) == 1 and len(mastodon_posts(mastodon_server, name)) == 1
    else:  # refused: a later consent does not resurrect skipped deliveries... unless asked anew
        with database.session() as session:
            assert social_deliveries(session, nomination_id) == []
        assert nothing_reached(chat_stubs, mastodon_server, synapse, matrix_room, bluesky_pds, bluesky_account,
                               name)


def test_the_wall_link_in_each_post_is_the_permalink(servers: Config, database: Database,
                                                     mastodon_server: MastodonMock) -> None:
    nomination_id = approve(database, servers, ["mastodon"])
    with database.session() as session:
        [outcome] = send_all(servers, social_deliveries(session, nomination_id)).values()
    assert isinstance(outcome, Posted)
    [status] = mastodon_posts(mastodon_server, permalink(servers, nomination_id))
    # The status's own URL works on the server that published it.
    fetched = requests.get(f"{mastodon_server.base_url}/api/v1/statuses/{status['id']}", timeout=10)
    assert fetched.ok and permalink(servers, nomination_id) in fetched.json()["content"]
    assert outcome.external_id == str(status["id"])
