"""Mastodon through Mastodon.py: one status per shout-out, the delivery key as Idempotency-Key.

The text is measured by Mastodon's own rule (kudos.social.text.mastodon_count) against the instance's
`max_characters`. A server that counts differently (an older Mastodon, another Mastodon-API server)
may still refuse it as too long (422): the post is then composed again by the strictest rule, every
code point and every link at full length, and sent once more with the same Idempotency-Key.
"""

from __future__ import annotations

import re
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
from kudos.social.text import SAFETY_MARGIN, mastodon_count, strict_count

DEFAULT_MAX_CHARACTERS = 500
VISIBILITIES = ("public", "unlisted", "private", "direct")
_instance_limits: dict[str, int] = {}  # base URL → max_characters, read once per process
_instance_lock = threading.Lock()
_TOO_LONG = re.compile(r"too long|character limit|maximum is \d+ characters|length", re.IGNORECASE)


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
        return Limits(self._max_characters() - SAFETY_MARGIN, mastodon_count)

    def strict_limits(self) -> Limits:
        return Limits(self._max_characters() - SAFETY_MARGIN, strict_count)

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
        try:
            with self._outcomes(length_refusal=True):
                status = self._post(compose(self, shoutout).text, shoutout)
        except _TooLong:
            with self._outcomes():  # shorten and retry once; a second refusal is the instance's last word
                status = self._post(compose(self, shoutout, self.strict_limits()).text, shoutout)
        return Posted(str(status["id"]), str(status.get("url") or status.get("uri") or ""))

    def _post(self, text: str, shoutout: Shoutout) -> Any:
        return self.client.status_post(text, visibility=self.visibility, language=self.language or shoutout.language,
                                       idempotency_key=shoutout.key)

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
    def _outcomes(self, length_refusal: bool = False) -> Iterator[None]:
        """Mastodon.py's exceptions as delivery outcomes (and, if asked, a refusal for length as _TooLong)."""
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
            if length_refusal and _too_long(error):
                raise _TooLong from None
            raise Permanent(f"{where} refused the post: {error}") from None


class _TooLong(Exception):
    """The instance refused the status as too long (422)."""


def _too_long(error: MastodonAPIError) -> bool:
    # Mastodon.py's errors carry (message, status code, reason, the server's error text).
    status = error.args[1] if len(error.args) > 1 else None
    return status == 422 and bool(_TOO_LONG.search(" ".join(str(arg) for arg in error.args[2:])))
