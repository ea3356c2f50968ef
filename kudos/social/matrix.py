"""Matrix client-server API: an m.notice in an announcement room; the delivery key is the transaction id."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import requests

from kudos.channels import Permanent, Posted, RetryLater
from kudos.errors import ConfigError
from kudos.social.base import Channel, Limits, Shoutout, check_status, compose, json_body, post

MAX_EVENT_TEXT = 30_000  # events may be 64 KiB; body and formatted_body both count
KEY_FIELD = "org.wikimedia.kudos.delivery_key"  # lets `find` recognise our own event in the room


class MatrixChannel(Channel):
    type_name = "matrix"
    can_find = True
    html = True

    def __init__(self, name: str, settings: Mapping[str, Any]) -> None:
        super().__init__(name, settings)
        self.homeserver = self.settings.url("homeserver")
        self.access_token = self.settings.text("access_token", secret=True)
        self.room_id = self.settings.text("room_id")
        if not self.room_id.startswith("!"):
            raise ConfigError(f"The configuration key “channels.{name}.room_id” must be a room id such as "
                              "!abc:example.org (not an alias).")
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {self.access_token}"

    def limits(self) -> Limits:
        return Limits(MAX_EVENT_TEXT, len)

    def _room_path(self) -> str:
        return f"{self.homeserver}/_matrix/client/v3/rooms/{quote(self.room_id, safe='')}"

    def send(self, shoutout: Shoutout) -> Posted:
        rendered = compose(self, shoutout)
        content = {
            "msgtype": "m.notice",  # bots speak in notices, which other bots must not answer
            "body": rendered.text,
            "format": "org.matrix.custom.html",
            "formatted_body": rendered.html().replace("\n", "<br>"),
            "m.mentions": {},  # intentional mentions: this event pings nobody, whatever its text
            KEY_FIELD: shoutout.key,
        }
        # Same transaction id, same access token → the server returns the first event instead of a copy.
        url = f"{self._room_path()}/send/m.room.message/{quote(shoutout.key, safe='')}"
        response = post(self.session, "PUT", url, self.timeout, "The Matrix homeserver", json=content)
        self._check(response)
        event_id = str(response.json()["event_id"])
        return Posted(event_id, self.event_url(event_id))

    def find(self, shoutout: Shoutout) -> Posted | None:
        response = post(self.session, "GET", f"{self._room_path()}/messages", self.timeout,
                        "The Matrix homeserver", params={"dir": "b", "limit": 100})
        self._check(response)
        for event in response.json().get("chunk", []):
            if event.get("content", {}).get(KEY_FIELD) == shoutout.key:
                return Posted(str(event["event_id"]), self.event_url(str(event["event_id"])))
        return None

    def event_url(self, event_id: str) -> str:
        return f"https://matrix.to/#/{quote(self.room_id, safe='!:')}/{quote(event_id, safe='$:')}"

    def _check(self, response: requests.Response) -> None:
        if response.status_code == 429:
            body = json_body(response)
            wait = body.get("retry_after_ms")
            raise RetryLater("The Matrix homeserver is rate limiting us (429).",
                             after=float(wait) / 1000 if isinstance(wait, int | float) else None)
        if response.status_code in (401, 403):
            raise Permanent(f"The Matrix homeserver refused the bot ({json_body(response).get('errcode')}); check "
                            f"channels.{self.name}.access_token and that the bot has joined the room.")
        check_status(response, "The Matrix homeserver")


