"""Telegram Bot API `sendMessage` (plain HTTP): HTML text into a group or channel the bot belongs to.

Telegram has no idempotency key and a bot cannot read a chat's history, so `find` cannot tell whether
an interrupted attempt landed. We choose **at most once**: the delivery is marked "sending" in the
database before the request (kudos/social/journal.py); if a later attempt finds the mark without a
recorded result, it does not send again but fails with a reason asking an organizer to look at the
group and retry by hand. A shout-out posted twice in a community group is more embarrassing than one
that an organizer re-sends after checking; timeouts of a few seconds make the case rare.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests

from kudos.channels import Permanent, Posted, RetryLater
from kudos.social.base import Channel, Limits, Shoutout, check_status, compose, json_body, post
from kudos.social.text import SAFETY_MARGIN, utf16_length

MAX_MESSAGE = 4096  # UTF-16 code units of the text once Telegram has parsed the HTML


class TelegramChannel(Channel):
    type_name = "telegram"
    html = True

    def __init__(self, name: str, settings: Mapping[str, Any]) -> None:
        super().__init__(name, settings)
        self.base_url = self.settings.url("base_url", "https://api.telegram.org")
        self.bot_token = self.settings.text("bot_token", secret=True)
        self.chat_id = self.settings.text("chat_id")
        self.link_preview = self.settings.flag("link_preview", True)
        self.session = requests.Session()

    def limits(self) -> Limits:
        return Limits(MAX_MESSAGE - SAFETY_MARGIN, utf16_length)

    def send(self, shoutout: Shoutout) -> Posted:
        rendered = compose(self, shoutout)
        body = {
            "chat_id": self.chat_id,
            "text": rendered.html(),
            "parse_mode": "HTML",
            "link_preview_options": {"is_disabled": not self.link_preview, "url": shoutout.permalink},
        }
        url = f"{self.base_url}/bot{self.bot_token}/sendMessage"
        response = post(self.session, "POST", url, self.timeout, "Telegram", json=body)
        answer = json_body(response)
        if response.status_code == 429:
            wait = (answer.get("parameters") or {}).get("retry_after")
            raise RetryLater("Telegram is rate limiting us (429).",
                             after=float(wait) if isinstance(wait, int | float) else None)
        if response.status_code in (401, 403, 404):
            raise Permanent(f"Telegram refused the bot ({answer.get('description', response.status_code)}); "
                            f"check channels.{self.name}.bot_token and that the bot may post in the chat.")
        check_status(response, "Telegram")
        message = answer.get("result") or {}
        return Posted(str(message.get("message_id", "")), _message_url(message))


def _message_url(message: Mapping[str, Any]) -> str:
    chat = message.get("chat") or {}
    message_id = message.get("message_id")
    if chat.get("username"):
        return f"https://t.me/{chat['username']}/{message_id}"
    chat_id = str(chat.get("id", ""))
    if chat_id.startswith("-100"):  # a private supergroup or channel: only its members can open this
        return f"https://t.me/c/{chat_id[4:]}/{message_id}"
    return ""

