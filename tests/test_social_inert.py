"""On every network only the permalink and the campaign's hashtags are live, and each post fits the network's
own length rule: checked on what the real servers (mastodon-mock, a Bluesky PDS, Synapse) and the chat stubs
received, with the networks' own parsers as oracles (tests/social_oracles.py)."""

from __future__ import annotations

import html
import re
from typing import Any

from kudos.channels import Permanent, Posted
from kudos.config import Config
from kudos.db import Database
from kudos.social import mastodon as mastodon_module
from kudos.social import send_all
from kudos.social.bluesky import POST
from kudos.social.text import ZWJ
from kudos.wall import permalink
from tests.servers.bluesky import LocalPDS
from tests.servers.chat_stubs import ChatStubs
from tests.servers.mastodon import MastodonMock
from tests.servers.mastodon_faults import MastodonFaults
from tests.servers.matrix import LocalSynapse
from tests.social_oracles import (
    anything_linkable,
    graphemes_before_15_1,
    mastodon_hashtags,
    mastodon_length,
    mastodon_links,
    mastodon_mentions,
)
from tests.social_support import (
    ALL,
    approve,
    bluesky_account,
    by_channel,
    database,
    matrix_room,
    servers,
    social_config,
    social_deliveries,
)

__all__ = ["bluesky_account", "database", "matrix_room", "servers"]  # fixtures used here

TRAPS = ("Loved the #hashtag and ＃odia talk @everyone @Ravi @Ravi@wikis.world! See https://evil.example/x, "
         "www.example.com, example.com, mailto:ravi@example.org, /start $USD [click](https://evil.example) "
         "<@123456> <!channel> #room:example.org")
ODIA = "ଓଡ଼ିଆ ଉଇକିପିଡ଼ିଆରେ ନଦୀ ବିଷୟରେ ତିନୋଟି ସୁନ୍ଦର ପ୍ରବନ୍ଧ ଲେଖିଥିବାରୁ ଧନ୍ୟବାଦ " * 12


def plain(markup: str) -> str:
    """What a reader sees of an HTML message."""
    return html.unescape(re.sub(r"<[^>]+>", "", markup.replace("<br>", "\n").replace("<br />", "\n")))


def inert(text: str, url: str, hashtags: set[str], cut: bool = False) -> None:
    assert mastodon_hashtags(text) == hashtags, text
    assert mastodon_mentions(text) == [], text
    assert mastodon_links(text) == [url], text
    assert set(anything_linkable(text)) == {url}, text
    typed = " ".join(TRAPS.split())
    shown = text.replace(ZWJ, "")
    if not cut:
        assert typed in shown, shown  # as typed
        return
    # Cut to the network's length: what is left of the message is its beginning, as typed, and most of it.
    kept = shown.split("“")[1].split("…")[0]
    assert typed.startswith(kept) and len(kept) >= len(typed) // 2, shown


def posts(results: dict[str, Any]) -> None:
    assert all(isinstance(outcome, Posted) for outcome in results.values()), results


def test_a_nominators_text_cannot_tag_mention_or_link_on_any_network(
        servers: Config, database: Database, synapse: LocalSynapse, matrix_room: dict[str, str],
        bluesky_pds: LocalPDS, bluesky_account: dict[str, str], mastodon_server: MastodonMock,
        chat_stubs: ChatStubs) -> None:
    for name in ("everyone", "Ravi"):  # accounts a mention would reach
        mastodon_server.create_account(name)
    nomination_id = approve(database, servers, ALL, message=TRAPS)
    url = permalink(servers, nomination_id)
    with database.session() as session:
        posts(by_channel(session, nomination_id, send_all(servers, social_deliveries(session, nomination_id))))

    # Mastodon: the server's own parse of the status: the campaign's two hashtags, nobody mentioned, one link.
    [status] = [s for s in mastodon_server.statuses() if url in s["content"]]
    assert sorted(tag["name"] for tag in status["tags"]) == ["kudos", "wikipedia"]
    assert status["mentions"] == []
    assert re.findall(r'href="([^"]+)"', status["content"]) == [url]
    inert(plain(status["content"]), url, {"Wikipedia", "Kudos"})

    # Bluesky: what is live is what has a facet: the permalink and the configured hashtag, nothing else.
    [post] = [r for r in bluesky_pds.list_records(bluesky_account["did"], POST) if url in r["value"]["text"]]
    assert [f["features"] for f in post["value"]["facets"]] == [
        [{"$type": "app.bsky.richtext.facet#link", "uri": url}],
        [{"$type": "app.bsky.richtext.facet#tag", "tag": "Wikipedia"}]]
    inert(post["value"]["text"], url, {"Wikipedia"}, cut=True)

    # Matrix: one anchor in formatted_body, pings switched off, the plain body inert for clients' linkifiers.
    [event] = [e for e in synapse.messages(matrix_room["token"], matrix_room["room_id"])
               if url in e["content"].get("body", "")]
    content = event["content"]
    assert re.findall(r"<a\b[^>]*>", content["formatted_body"]) == [f'<a href="{url}">']
    assert content["m.mentions"] == {}
    inert(content["body"], url, set())
    inert(plain(content["formatted_body"]), url, set())

    # Telegram: HTML with one anchor; the text Telegram parses for entities is inert.
    [message] = chat_stubs.telegram
    assert re.findall(r"<a\b[^>]*>", message["text"]) == [f'<a href="{url}">']
    inert(plain(message["text"]), url, set())

    # Webhooks: Discord (mentions off besides), Slack (one <link>), Zulip.
    [discord] = chat_stubs.discord
    assert discord["allowed_mentions"] == {"parse": []}
    inert(discord["content"], url, set())
    [slack] = chat_stubs.slack
    assert re.findall(r"<([^>]*)>", slack["text"]) == [url]
    inert(html.unescape(slack["text"].replace(f"<{url}>", url)), url, set())
    [zulip] = chat_stubs.zulip
    inert(zulip["content"], url, set())


def test_a_long_odia_shout_out_uses_mastodons_room_and_bluesky_stays_within_its_limits(
        servers: Config, database: Database, bluesky_pds: LocalPDS, bluesky_account: dict[str, str],
        mastodon_server: MastodonMock) -> None:
    nomination_id = approve(database, servers, ["bluesky", "mastodon"], message=ODIA)
    url = permalink(servers, nomination_id)
    with database.session() as session:
        posts(by_channel(session, nomination_id, send_all(servers, social_deliveries(session, nomination_id))))
    [post] = [r for r in bluesky_pds.list_records(bluesky_account["did"], POST) if url in r["value"]["text"]]
    text = post["value"]["text"]
    assert "…" in text and 280 <= graphemes_before_15_1(text) <= 300 and len(text.encode()) <= 3000
    # mastodon-mock counts code points, not Mastodon's graphemes: the first, fuller text is refused
    # (422) and the shortened one is posted.
    [status] = [s for s in mastodon_server.statuses() if url in s["content"]]
    assert "#Wikipedia" in plain(status["content"]) and len(plain(status["content"])) <= 500


def test_a_refusal_for_length_is_shortened_and_sent_once_more_with_the_same_key(
        database: Database, mastodon_faults: MastodonFaults) -> None:
    config = social_config({"mastodon": {"type": "mastodon", "base_url": mastodon_faults.base_url,
                                         "access_token": mastodon_faults.token, "hashtags": ["Wikipedia"]}})
    nomination_id = approve(database, config, ["mastodon"], message=ODIA)
    with database.session() as session:
        [outcome] = send_all(config, social_deliveries(session, nomination_id)).values()
    assert isinstance(outcome, Posted), outcome
    first, second = [r for r in mastodon_faults.received if r.path == "/api/v1/statuses"]
    assert first.header("Idempotency-Key") == second.header("Idempotency-Key")
    # The first text fills Mastodon's own count (graphemes, the link as 23); the stub counts code points.
    assert 480 <= mastodon_length(first.body["status"]) <= 500 < len(first.body["status"])
    assert len(second.body["status"]) <= 500 and second.body["status"].endswith("\n#Wikipedia")
    assert [s["id"] for s in mastodon_faults.statuses] == [outcome.external_id]


def test_a_second_refusal_and_other_refusals_are_final(database: Database, mastodon_server: MastodonMock) -> None:
    mastodon_server.reset()
    mastodon_module._instance_limits.pop(mastodon_server.base_url, None)
    config = social_config({"mastodon": {"type": "mastodon", "base_url": mastodon_server.base_url,
                                         "access_token": mastodon_server.token}})
    too_long = {"error": "Validation failed: Text character limit of 500 exceeded"}
    cases = [(2, too_long, Permanent), (1, {"error": "Validation failed: Language is invalid"}, Permanent),
             (1, too_long, Posted)]
    for count, body, expected in cases:
        mastodon_server.clear_faults()
        mastodon_server.add_fault("/api/v1/statuses", "status", status=422, body=body, count=count,
                                  methods=["POST"])
        nomination_id = approve(database, config, ["mastodon"])
        with database.session() as session:
            [outcome] = send_all(config, social_deliveries(session, nomination_id)).values()
        assert isinstance(outcome, expected), (body, count, outcome)
        posted = [s for s in mastodon_server.statuses() if permalink(config, nomination_id) in s["content"]]
        assert len(posted) == (1 if expected is Posted else 0)
    mastodon_server.clear_faults()
