"""Posting to a real PDS with atproto: link facets in UTF-8 bytes, and record keys as retry guards."""

import time

import pytest
from atproto import Client, models
from atproto_client.exceptions import BadRequestError, RequestException

from tests.servers.bluesky import LocalPDS

POST = "app.bsky.feed.post"
TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
ODIA_THANKS = "ଧନ୍ୟବାଦ"  # "thank you": several UTF-8 bytes per character, so byte and character offsets differ


def tid(microseconds: int, clock_id: int = 0) -> str:
    """A record key in TID form (53-bit time, 10-bit clock id, base32-sortable): posts must use one."""
    value = (microseconds << 10) | (clock_id & 0x3FF)
    chars = []
    for _ in range(13):
        chars.append(TID_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def fresh_tid() -> str:
    return tid(time.time_ns() // 1000)


def logged_in_client(pds: LocalPDS, prefix: str) -> tuple[Client, str]:
    handle, did, app_password = pds.create_account(prefix)
    client = Client(base_url=pds.base_url)
    # A bare PDS serves no app.bsky.actor.getProfile: skip the profile lookup.
    client.login(handle, app_password, fetch_bsky_profile=False)
    return client, did


def post_with_link(client: Client, did: str, rkey: str, text: str, url: str) -> None:
    prefix_bytes = len(text[: text.index(url)].encode("utf-8"))
    facet = models.AppBskyRichtextFacet.Main(
        index=models.AppBskyRichtextFacet.ByteSlice(
            byte_start=prefix_bytes, byte_end=prefix_bytes + len(url.encode("utf-8"))
        ),
        features=[models.AppBskyRichtextFacet.Link(uri=url)],
    )
    record = models.AppBskyFeedPost.Record(
        text=text, created_at=client.get_current_time_iso(), facets=[facet], langs=["or", "en"]
    )
    client.com.atproto.repo.create_record(
        models.ComAtprotoRepoCreateRecord.Data(repo=did, collection=POST, rkey=rkey, record=record)
    )


def test_tid_encoding_matches_the_protocol_format() -> None:
    # Same values as TID.fromTime() in @atproto/common-web, the PDS's own implementation.
    assert tid(1, clock_id=1) == "2222222222323"
    assert tid(1_732_000_000_123_456, clock_id=42) == "3lbbuqg6cm23e"
    assert len(fresh_tid()) == 13 and fresh_tid()[0] in TID_ALPHABET[:16]


def test_link_facet_byte_offsets_select_the_url(bluesky_pds: LocalPDS) -> None:
    client, did = logged_in_client(bluesky_pds, "facets")
    url = "https://meta.wikimedia.org/wiki/Kudos?id=7"
    text = f"{ODIA_THANKS}, ସୁଭଦ୍ରା! A barnstar for your edits: {url} 🌟"
    rkey = fresh_tid()

    post_with_link(client, did, rkey, text, url)

    stored = bluesky_pds.get_record(did, POST, rkey)
    assert stored is not None
    assert stored["text"] == text
    [facet] = stored["facets"]
    start, end = facet["index"]["byteStart"], facet["index"]["byteEnd"]
    assert start > text.index(url)  # the non-ASCII prefix really shifted the byte offsets
    assert text.encode("utf-8")[start:end].decode("utf-8") == url
    assert facet["features"] == [{"$type": "app.bsky.richtext.facet#link", "uri": url}]


def test_same_record_key_twice_keeps_one_post(bluesky_pds: LocalPDS) -> None:
    client, did = logged_in_client(bluesky_pds, "retries")
    url = "https://meta.wikimedia.org/wiki/Kudos?id=8"
    rkey = fresh_tid()
    post_with_link(client, did, rkey, f"{ODIA_THANKS} {url}", url)

    # The PDS answers a taken key with a bare 500, not a specific error: callers must check with getRecord.
    with pytest.raises(RequestException) as error:
        post_with_link(client, did, rkey, f"{ODIA_THANKS} again {url}", url)
    assert error.value.response is not None and error.value.response.status_code == 500

    records = bluesky_pds.list_records(did, POST)
    assert [record["uri"] for record in records] == [f"at://{did}/{POST}/{rkey}"]
    stored = bluesky_pds.get_record(did, POST, rkey)
    assert stored is not None and stored["text"] == f"{ODIA_THANKS} {url}"


def test_record_keys_for_posts_must_be_tids(bluesky_pds: LocalPDS) -> None:
    client, did = logged_in_client(bluesky_pds, "rkeys")
    url = "https://meta.wikimedia.org/wiki/Kudos?id=9"
    with pytest.raises(BadRequestError, match="Invalid record key"):
        post_with_link(client, did, "kudos-9", f"Thanks {url}", url)
    assert bluesky_pds.get_record(did, POST, "kudos-9") is None
    assert bluesky_pds.list_records(did, POST) == []
