"""Mastodon through Mastodon.py: one status per shout-out, the delivery key as Idempotency-Key."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from mastodon import (
    Mastodon,
    MastodonAPIError,
    MastodonNetworkError,
    MastodonNotFoundError,
    MastodonRatelimitError,
    MastodonServerError,
    MastodonUnauthorizedError,
)

from kudos.channels import Permanent, Posted, RetryLater, Uncertain
from kudos.social.base import Channel, Limits, Shoutout, compose
from kudos.social.text import mastodon_count

DEFAULT_MAX_CHARACTERS = 500
VISIBILITIES = ("public", "unlisted", "private", "direct")
_instance_limits: dict[str, int] = {}  # base URL → max_characters, read once per process
_instance_lock = threading.Lock()


class MastodonChannel(Channel):
    type_name = "mastodon"
    can_find = True

    def __init__(self, name: str, settings: Mapping[str, Any]) -> None:
        super().__init__(name, settings)
        self.base_url = self.settings.url("base_url")
        self.access_token = self.settings.text("access_token", secret=True)
        self.visibility = self.settings.choice("visibility", "public", VISIBILITIES)
        self.language = self.settings.values.get("language")  # None: the campaign's language
        # "throw": a delivery job must never sleep inside the client for minutes on a 429.
        self.client = Mastodon(api_base_url=self.base_url, access_token=self.access_token,
                               ratelimit_method="throw", request_timeout=self.timeout,
                               user_agent="Kudos (https://kudos.toolforge.org)")

    def limits(self) -> Limits:
        return Limits(self._max_characters(), mastodon_count)

    def _max_characters(self) -> int:
        with _instance_lock:
            cached = _instance_limits.get(self.base_url)
        if cached:
            return cached
        try:
            instance = self.client.instance_v2()
            limit = int(instance["configuration"]["statuses"]["max_characters"])
        except Exception:  # an old server, or a hiccup: Mastodon's default is safe everywhere
            return DEFAULT_MAX_CHARACTERS
        with _instance_lock:
            _instance_limits[self.base_url] = limit
        return limit

    def send(self, shoutout: Shoutout) -> Posted:
        text = compose(self, shoutout).text
        with self._outcomes():
            status = self.client.status_post(text, visibility=self.visibility,
                                              language=self.language or shoutout.language,
                                              idempotency_key=shoutout.key)
        return Posted(str(status["id"]), str(status.get("url") or status.get("uri") or ""))

    def find(self, shoutout: Shoutout) -> Posted | None:
        # Mastodon cannot look up an Idempotency-Key, and forgets it after a while; the permalink is
        # unique to the nomination, so the account's recent statuses tell whether it was posted.
        with self._outcomes():
            me = self.client.account_verify_credentials()
            for status in self.client.account_statuses(me["id"], limit=40):
                if shoutout.permalink in str(status.get("content", "")):
                    return Posted(str(status["id"]), str(status.get("url") or status.get("uri") or ""))
        return None

    @contextmanager
    def _outcomes(self) -> Iterator[None]:
        """Mastodon.py's exceptions as delivery outcomes."""
        where = f"Mastodon ({self.base_url})"
        try:
            yield
        except MastodonRatelimitError:
            reset = self.client.ratelimit_reset
            after = max(0.0, float(reset) - time.time()) if reset else None
            raise RetryLater(f"{where} is rate limiting us.", after=after) from None
        except MastodonNetworkError as error:
            raise Uncertain(f"{where} did not answer: {error}") from None
        except MastodonServerError as error:
            raise RetryLater(f"{where} had a server error: {error}") from None
        except MastodonUnauthorizedError:
            raise Permanent(f"{where} refused the access token; check channels.{self.name}.access_token.") from None
        except (MastodonNotFoundError, MastodonAPIError) as error:
            raise Permanent(f"{where} refused the post: {error}") from None
