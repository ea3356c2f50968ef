"""What every social channel shares: the shout-out it posts, its settings, and HTTP errors as outcomes."""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests

from kudos.channels import Permanent, Posted, RetryLater, Uncertain
from kudos.errors import ConfigError
from kudos.social.text import Rendered, check_template, choose_template, render

DEFAULT_TIMEOUT = 20.0  # seconds for one request; a channel that takes longer is given up for this round


def is_hashtag(tag: str) -> bool:
    """Mastodon's rule for a hashtag's name: word characters only (letters, combining marks, digits, `_`),
    at least one of them a letter. Marks count: Odia and other Indic words are written with vowel signs."""
    categories = [unicodedata.category(char) for char in tag]
    return (bool(categories) and all(c[0] in "LMN" or c == "Pc" for c in categories)
            and any(c[0] == "L" for c in categories))


@dataclass(frozen=True)
class Shoutout:
    """Everything a channel needs to post one approved nomination; plain data, safe to hand to a thread."""

    delivery_id: int
    key: str  # the delivery's idempotency key (hex), the same on every attempt
    channel: str
    nomination_id: int
    recipient: str
    nominator: str
    award: str  # the award's display name
    message: str
    wiki: str
    wiki_name: str
    campaign: str
    language: str
    permalink: str
    created_at: datetime
    # A previous attempt started and its outcome was never recorded (the process died in between).
    interrupted: bool = False


@dataclass(frozen=True)
class Limits:
    """How long a post may be on this network, and how the network counts it."""

    max_length: int
    count: Callable[[str], int]


class Channel:
    """One configured social channel. `send` returns Posted or raises a kudos.channels outcome."""

    type_name = ""
    # Whether `find` can tell if an earlier attempt landed. Channels that cannot are sent at most once
    # after an interrupted attempt (see kudos/social/journal.py).
    can_find = False
    html = False

    def __init__(self, name: str, settings: Mapping[str, Any]) -> None:
        self.name = name
        self.settings = Settings(name, settings)
        self.timeout = self.settings.number("timeout", DEFAULT_TIMEOUT)
        self.hashtags = self.settings.hashtags()
        self.template = self.settings.template()
        check_template(f"channels.{name}.template", self.template)

    def limits(self) -> Limits:
        raise NotImplementedError

    def send(self, shoutout: Shoutout) -> Posted:
        raise NotImplementedError

    def find(self, shoutout: Shoutout) -> Posted | None:
        """Where an earlier attempt with `shoutout.key` landed, or None when it did not (or cannot tell)."""
        return None


class Settings:
    """A channel's configuration section, with one readable sentence naming the key for each problem."""

    def __init__(self, name: str, values: Mapping[str, Any]) -> None:
        self.name = name
        self.values = dict(values)

    def _where(self, key: str) -> str:
        return f"channels.{self.name}.{key}"

    def _env(self, key: str) -> str:
        return f"TOOL_CHANNELS__{self.name.upper().replace('-', '_')}__{key.upper()}"

    def text(self, key: str, default: str | None = None, secret: bool = False) -> str:
        value = self.values.get(key, default)
        if value is None or (isinstance(value, str) and not value.strip()):
            hint = f" (set {self._env(key)})" if secret else ""
            raise ConfigError(f"The configuration key “{self._where(key)}” is missing{hint}.")
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            raise ConfigError(f"The configuration key “{self._where(key)}” must be text.")
        return str(value).strip()

    def url(self, key: str, default: str | None = None) -> str:
        value = self.text(key, default)
        if not value.startswith(("https://", "http://")):
            raise ConfigError(f"The configuration key “{self._where(key)}” must be an http(s) URL.")
        return value.rstrip("/")

    def number(self, key: str, default: float) -> float:
        value = self.values.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise ConfigError(f"The configuration key “{self._where(key)}” must be a positive number.")
        return float(value)

    def choice(self, key: str, default: str, allowed: tuple[str, ...]) -> str:
        value = self.text(key, default)
        if value not in allowed:
            raise ConfigError(f"The configuration key “{self._where(key)}” must be one of {', '.join(allowed)}.")
        return value

    def flag(self, key: str, default: bool) -> bool:
        value = self.values.get(key, default)
        if not isinstance(value, bool):
            raise ConfigError(f"The configuration key “{self._where(key)}” must be true or false.")
        return value

    def hashtags(self) -> tuple[str, ...]:
        value = self.values.get("hashtags") or []
        if isinstance(value, str):
            value = value.split()
        if not isinstance(value, list) or not all(isinstance(tag, str) for tag in value):
            raise ConfigError(f"The configuration key “{self._where('hashtags')}” must be a list of words.")
        tags = tuple(tag.strip().lstrip("#") for tag in value if tag.strip())
        for tag in tags:
            if not is_hashtag(tag):
                raise ConfigError(f"The configuration key “{self._where('hashtags')}” holds “{tag}”; a hashtag "
                                  f"is letters, digits and underscores.")
        return tags

    def template(self) -> str | dict[str, str] | None:
        value = self.values.get("template")
        if value is None or isinstance(value, str):
            return value or None
        if isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
            return dict(value)
        raise ConfigError(f"The configuration key “{self._where('template')}” must be text, or a mapping from "
                          f"language codes to text.")


# --- HTTP answers as delivery outcomes ---

def retry_after_seconds(value: Any) -> float | None:
    """A Retry-After value in seconds: a number, or an HTTP date."""
    if value is None or value == "":
        return None
    try:
        return max(0.0, float(value))
    except (TypeError, ValueError):
        pass
    try:
        return max(0.0, parsedate_to_datetime(str(value)).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def post(session: requests.Session | None, method: str, url: str, timeout: float, what: str,
         **kwargs: Any) -> requests.Response:
    """One HTTP request with network failures turned into outcomes (the answer itself is the caller's)."""
    try:
        return (session or requests).request(method, url, timeout=timeout, **kwargs)
    except requests.ConnectTimeout:
        raise RetryLater(f"{what} could not be reached within {timeout:g} s.") from None
    except requests.Timeout:
        raise Uncertain(f"{what} did not answer within {timeout:g} s.") from None
    except requests.ConnectionError as error:
        if _never_connected(error):  # nothing reached the server: sending again is safe
            raise RetryLater(f"{what} could not be reached.") from None
        raise Uncertain(f"{what} dropped the connection before answering.") from None
    except requests.RequestException as error:
        raise Uncertain(f"{what} request failed: {type(error).__name__}.") from None


def _never_connected(error: Exception) -> bool:
    text = str(error)
    return any(sign in text for sign in ("Failed to establish", "Connection refused", "Name or service",
                                         "NameResolution", "No route to host"))


def check_status(response: requests.Response, what: str, retry_after: float | None = None) -> None:
    """Raise the outcome for a non-2xx answer."""
    status = response.status_code
    if 200 <= status < 300:
        return
    detail = response.text[:300].strip()
    if status == 429:
        wait = retry_after if retry_after is not None else retry_after_seconds(response.headers.get("Retry-After"))
        raise RetryLater(f"{what} is rate limiting us (429).", after=wait)
    if status >= 500 or status in (408, 409):
        raise RetryLater(f"{what} answered {status}: {detail}", after=retry_after_seconds(
            response.headers.get("Retry-After")))
    raise Permanent(f"{what} refused the post ({status}): {detail}")


def compose(channel: Channel, shoutout: Shoutout, limits: Limits | None = None) -> Rendered:
    """The shout-out's text for this channel: its template, its hashtags, cut to its limit (or `limits`)."""
    limits = limits or channel.limits()
    fields = {
        "recipient": shoutout.recipient, "nominator": shoutout.nominator, "award": shoutout.award,
        "message": shoutout.message, "wiki": shoutout.wiki_name, "campaign": shoutout.campaign,
        "url": shoutout.permalink,
    }
    template = choose_template(channel.template, shoutout.language)
    return render(fields, template, channel.hashtags, limits.max_length, limits.count)


def json_body(response: requests.Response) -> dict[str, Any]:
    """The answer's JSON object, or an empty one when a server (or a proxy in front of it) sent none."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
