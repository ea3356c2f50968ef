"""Bluesky through atproto: a post with facets, under a record key derived from the delivery key.

Bluesky makes nothing live by itself: links and hashtags are live only through facets, and Kudos sends
exactly two kinds, the permalink's link facet and a tag facet for each configured hashtag.

The record key is a TID (posts must use one) computed from the delivery's creation second and a hash
of its key, so every attempt of one delivery writes the same record: the PDS refuses a second
createRecord with that key, and getRecord confirms the first. Sessions are kept per account for the
life of the process, because createSession is limited to 30 per 5 minutes.
"""

from __future__ import annotations

import calendar
import hashlib
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from atproto import Client, models
from atproto_client.exceptions import (
    AtProtocolError,
    BadRequestError,
    InvokeTimeoutError,
    RateLimitExceededError,
    RequestErrorBase,
    UnauthorizedError,
)
from atproto_client.request import Request

from kudos.channels import Permanent, Posted, RetryLater, Uncertain
from kudos.social.base import Channel, Limits, Shoutout, compose
from kudos.social.text import BLUESKY_MAX_GRAPHEMES, SAFETY_MARGIN, bluesky_count

POST = "app.bsky.feed.post"
TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"

_sessions: dict[tuple[str, str], Client] = {}  # (PDS, account) → a logged-in client, for this process
_sessions_lock = threading.Lock()


def tid(microseconds: int, clock_id: int = 0) -> str:
    """A record key in TID form: 53 bits of time, 10 bits of clock id, base32-sortable, 13 characters."""
    value = ((microseconds & ((1 << 53) - 1)) << 10) | (clock_id & 0x3FF)
    chars = []
    for _ in range(13):
        chars.append(TID_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def record_key(delivery_key: str, created_at: datetime) -> str:
    """The same TID for every attempt of one delivery; distinct deliveries collide with ~1e-9 odds."""
    digest = int.from_bytes(hashlib.sha256(delivery_key.encode()).digest()[:8], "big")
    seconds = calendar.timegm(created_at.replace(tzinfo=None).timetuple())
    return tid(seconds * 1_000_000 + digest % 1_000_000, (digest >> 20) & 0x3FF)


class BlueskyChannel(Channel):
    type_name = "bluesky"
    can_find = True

    def __init__(self, name: str, settings: Mapping[str, Any]) -> None:
        super().__init__(name, settings)
        self.base_url = self.settings.url("base_url", "https://bsky.social")  # the account's PDS
        self.identifier = self.settings.text("identifier")  # handle or DID
        self.app_password = self.settings.text("app_password", secret=True)
        self.web_url = self.settings.url("web_url", "https://bsky.app")

    def limits(self) -> Limits:
        return Limits(BLUESKY_MAX_GRAPHEMES - SAFETY_MARGIN, bluesky_count)

    def _client(self, fresh: bool = False) -> Client:
        account = (self.base_url, self.identifier)
        with _sessions_lock:
            client = None if fresh else _sessions.get(account)
            if client is None:
                client = Client(base_url=self.base_url, request=Request(timeout=self.timeout))
                with _outcomes(self, "logging in"):
                    # A bare PDS serves no app.bsky profile; the post needs only the DID.
                    client.login(self.identifier, self.app_password, fetch_bsky_profile=False)
                _sessions[account] = client
            return client

    def _did(self, client: Client) -> str:
        session = getattr(client, "_session", None)
        did = getattr(session, "did", None)
        if not did:
            raise Permanent(f"Bluesky gave no account DID for channels.{self.name}.identifier.")
        return str(did)

    def send(self, shoutout: Shoutout) -> Posted:
        rendered = compose(self, shoutout)
        facets = [_facet(*rendered.url_bytes(), models.AppBskyRichtextFacet.Link(uri=rendered.url))]
        facets += [_facet(start, end, models.AppBskyRichtextFacet.Tag(tag=tag))
                   for tag, start, end in rendered.tag_bytes()]
        rkey = record_key(shoutout.key, shoutout.created_at)
        for attempt in (1, 2):
            client = self._client(fresh=attempt == 2)
            did = self._did(client)
            record = models.AppBskyFeedPost.Record(
                text=rendered.text, facets=facets, langs=[shoutout.language],
                created_at=datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            )
            data = models.ComAtprotoRepoCreateRecord.Data(repo=did, collection=POST, rkey=rkey, record=record)
            try:
                with _outcomes(self, "posting"):
                    client.com.atproto.repo.create_record(data)
                return Posted(f"at://{did}/{POST}/{rkey}", self.post_url(did, rkey))
            except _ExpiredSession:
                continue
            except (Permanent, RetryLater) as failure:
                if isinstance(failure, Uncertain):
                    raise
                # A taken record key is answered with a bare 500: maybe our own earlier attempt.
                found = self._find(client, did, rkey)
                if found:
                    return found
                raise
        raise Permanent(f"Bluesky refused the session of channels.{self.name}.identifier twice.")

    def find(self, shoutout: Shoutout) -> Posted | None:
        client = self._client()
        return self._find(client, self._did(client), record_key(shoutout.key, shoutout.created_at))

    def _find(self, client: Client, did: str, rkey: str) -> Posted | None:
        params = models.ComAtprotoRepoGetRecord.Params(repo=did, collection=POST, rkey=rkey)
        try:
            with _outcomes(self, "reading back"):
                client.com.atproto.repo.get_record(params)
        except Permanent:
            return None  # RecordNotFound is a 400
        return Posted(f"at://{did}/{POST}/{rkey}", self.post_url(did, rkey))

    def post_url(self, did: str, rkey: str) -> str:
        return f"{self.web_url}/profile/{did}/post/{rkey}"


def _facet(start: int, end: int, feature: Any) -> models.AppBskyRichtextFacet.Main:
    return models.AppBskyRichtextFacet.Main(
        index=models.AppBskyRichtextFacet.ByteSlice(byte_start=start, byte_end=end), features=[feature])


class _ExpiredSession(Exception):
    pass


@contextmanager
def _outcomes(channel: BlueskyChannel, doing: str) -> Iterator[None]:
    """atproto's exceptions as delivery outcomes."""
    where = f"Bluesky ({channel.base_url}) while {doing}"
    try:
        yield
    except RateLimitExceededError as error:
        after = error.retry_after
        if after is None and error.reset_at is not None:
            after = max(0.0, error.reset_at.timestamp() - time.time())
        raise RetryLater(f"{where}: rate limited (429).", after=after) from None
    except InvokeTimeoutError:
        raise Uncertain(f"{where}: no answer within {channel.timeout:g} s.") from None
    except UnauthorizedError:
        if doing == "logging in":
            raise Permanent(f"{where}: the account refused the app password; check "
                            f"channels.{channel.name}.app_password.") from None
        raise _ExpiredSession from None
    except BadRequestError as error:
        raise Permanent(f"{where}: {error}") from None
    except RequestErrorBase as error:
        if error.response is None:
            raise Uncertain(f"{where}: the connection failed.") from None
        raise RetryLater(f"{where}: the server answered {error.response.status_code}.") from None
    except AtProtocolError as error:
        raise Uncertain(f"{where}: {type(error).__name__}") from None
