"""Chat webhooks: Discord (?wait=true, no mentions), Slack incoming webhooks, Zulip stream messages.

None of them can be asked afterwards whether a message arrived, so like Telegram they are sent at most
once after an interrupted attempt (see kudos/social/journal.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests

from kudos.channels import Permanent, Posted, RetryLater
from kudos.social.base import Channel, Limits, Shoutout, check_status, compose, json_body, post, retry_after_seconds
from kudos.social.text import utf8_length


class DiscordChannel(Channel):
    type_name = "discord"

    def __init__(self, name: str, settings: Mapping[str, Any]) -> None:
        super().__init__(name, settings)
        self.webhook_url = self.settings.url("webhook_url")  # holds the webhook's token: a secret
        self.session = requests.Session()

    def limits(self) -> Limits:
        return Limits(2000, len)

    def send(self, shoutout: Shoutout) -> Posted:
        rendered = compose(self, shoutout)
        # parse: [] turns off @everyone, @here, user and role mentions whatever the text says.
        body = {"content": rendered.text, "allowed_mentions": {"parse": []}}
        response = post(self.session, "POST", self.webhook_url, self.timeout, "Discord",
                        params={"wait": "true"}, json=body)
        if response.status_code == 429:
            wait = json_body(response).get("retry_after")
            after = float(wait) if isinstance(wait, int | float) else retry_after_seconds(
                response.headers.get("Retry-After"))
            raise RetryLater("Discord is rate limiting us (429).", after=after)
        if response.status_code in (401, 403, 404):
            raise Permanent(f"Discord refused the webhook ({response.status_code}); check "
                            f"channels.{self.name}.webhook_url.")
        check_status(response, "Discord")
        return Posted(str(json_body(response).get("id", "")), "")


class SlackChannel(Channel):
    type_name = "slack"

    def __init__(self, name: str, settings: Mapping[str, Any]) -> None:
        super().__init__(name, settings)
        self.webhook_url = self.settings.url("webhook_url")
        self.session = requests.Session()

    def limits(self) -> Limits:
        return Limits(3000, len)  # Slack truncates long messages; keep well within one message block

    def send(self, shoutout: Shoutout) -> Posted:
        rendered = compose(self, shoutout)
        # Slack's mrkdwn treats <…> as links and commands (<!channel>): escape &, <, > everywhere.
        def escape(part: str) -> str:
            return part.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        text = (escape(rendered.text[: rendered.url_start]) + f"<{rendered.url}>"
                + escape(rendered.text[rendered.url_end:]))
        response = post(self.session, "POST", self.webhook_url, self.timeout, "Slack",
                        json={"text": text, "unfurl_links": True})
        if response.status_code in (403, 404, 410):
            raise Permanent(f"Slack refused the webhook ({response.text[:100]}); check "
                            f"channels.{self.name}.webhook_url.")
        check_status(response, "Slack")
        return Posted(shoutout.key, "")  # an incoming webhook returns only "ok"


class ZulipChannel(Channel):
    type_name = "zulip"

    def __init__(self, name: str, settings: Mapping[str, Any]) -> None:
        super().__init__(name, settings)
        self.site = self.settings.url("site")
        self.email = self.settings.text("email")
        self.api_key = self.settings.text("api_key", secret=True)
        self.stream = self.settings.text("stream")
        self.topic = self.settings.text("topic", "Kudos")
        self.session = requests.Session()
        self.session.auth = (self.email, self.api_key)

    def limits(self) -> Limits:
        return Limits(10_000, utf8_length)

    def send(self, shoutout: Shoutout) -> Posted:
        rendered = compose(self, shoutout)
        form = {"type": "stream", "to": self.stream, "topic": self.topic, "content": rendered.text}
        response = post(self.session, "POST", f"{self.site}/api/v1/messages", self.timeout, "Zulip", data=form)
        answer = json_body(response)
        if response.status_code == 429:
            wait = answer.get("retry-after")
            after = float(wait) if isinstance(wait, int | float) else retry_after_seconds(
                response.headers.get("Retry-After"))
            raise RetryLater("Zulip is rate limiting us (429).", after=after)
        if response.status_code == 401:
            raise Permanent(f"Zulip refused the bot's key; check channels.{self.name}.api_key.")
        check_status(response, "Zulip")
        message_id = str(answer.get("id", ""))
        return Posted(message_id, f"{self.site}/#narrow/near/{message_id}")
