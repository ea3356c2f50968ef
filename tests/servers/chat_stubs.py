"""Stubs for the chat services that cannot run offline: Telegram Bot API, Discord, Slack and Zulip webhooks.

One threaded server answers all four with their real response shapes and error bodies, so the delivery
code only needs a configurable base URL. Everything received is recorded (see StubServer), accepted
posts are also kept per service (`telegram`, `discord`, `slack`, `zulip`), and `rate_limit(...)` queues
each service's real 429 answer.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.stub_http import Recorded, Reply, StubServer

TELEGRAM_TOKEN = "123456789:TEST-telegram-token"
ZULIP_EMAIL = "kudos-bot@zulip.test"
ZULIP_KEY = "zulip-test-key"
DISCORD_WEBHOOK_ID = "1100000000000000001"
DISCORD_WEBHOOK_TOKEN = "discord-webhook-token"

_TELEGRAM = re.compile(r"^/bot(?P<token>[^/]+)/(?P<method>\w+)$")
_DISCORD = re.compile(r"^/api/webhooks/(?P<id>\d+)/(?P<token>[\w-]+)$")


class ChatStubs(StubServer):
    """Telegram /bot<token>/<method>, Discord /api/webhooks/<id>/<token>, Slack /services/, Zulip /api/v1/."""

    def __init__(self, port: int | None = None) -> None:
        super().__init__(port)
        self.telegram_token = TELEGRAM_TOKEN
        self.zulip_email = ZULIP_EMAIL
        self.zulip_key = ZULIP_KEY
        self._ids = itertools.count(1)
        self.telegram: list[dict[str, Any]] = []  # sendMessage parameters + the message returned
        self.discord: list[dict[str, Any]] = []  # webhook JSON bodies + "id"
        self.slack: list[dict[str, Any]] = []  # webhook JSON bodies + "path"
        self.zulip: list[dict[str, Any]] = []  # message form fields + "id" and "sender"

    def on_reset(self) -> None:
        for posts in (self.telegram, self.discord, self.slack, self.zulip):
            posts.clear()

    @property
    def telegram_base_url(self) -> str:
        """Stands for https://api.telegram.org: requests go to f"{base}/bot{token}/sendMessage"."""
        return self.base_url

    def discord_webhook_url(self, webhook_id: str = DISCORD_WEBHOOK_ID) -> str:
        return f"{self.base_url}/api/webhooks/{webhook_id}/{DISCORD_WEBHOOK_TOKEN}"

    def slack_webhook_url(self) -> str:
        return f"{self.base_url}/services/T000TEST/B000TEST/slacktesttoken"

    @property
    def zulip_site(self) -> str:
        return self.base_url

    def rate_limit(self, service: str, retry_after: int = 3, times: int = 1) -> None:
        """Queue `times` real-looking 429 answers for "telegram", "discord", "slack" or "zulip"."""
        wait = str(retry_after)
        headers = {"Retry-After": wait}
        body: Any
        if service == "telegram":
            prefix = "/bot"
            body = {"ok": False, "error_code": 429, "description": f"Too Many Requests: retry after {wait}",
                    "parameters": {"retry_after": retry_after}}
        elif service == "discord":
            prefix = "/api/webhooks/"
            body = {"message": "You are being rate limited.", "retry_after": retry_after, "global": False}
            headers.update({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset-After": wait})
        elif service == "slack":
            prefix, body = "/services/", "rate_limited"
        elif service == "zulip":
            prefix = "/api/v1/messages"
            body = {"result": "error", "msg": "API usage exceeded rate limit", "retry-after": retry_after,
                    "code": "RATE_LIMIT_HIT"}
            headers["X-RateLimit-Remaining"] = "0"
        else:
            raise ValueError(f"unknown service {service!r}")
        self.fail(prefix, 429, times=times, body=body, headers=headers)

    def route(self, request: Recorded) -> Reply:
        if match := _TELEGRAM.match(request.path):
            return self._telegram(match["token"], match["method"], request)
        if match := _DISCORD.match(request.path):
            if match["token"] != DISCORD_WEBHOOK_TOKEN:
                return Reply(401, {"message": "Invalid Webhook Token", "code": 50027})
            return self._discord(match["id"], request)
        if request.path.startswith("/services/"):
            return self._slack(request)
        if request.path.startswith("/api/v1/"):
            return self._zulip(request)
        return Reply(404, {"error": "Not found"})

    # --- Telegram Bot API ---

    def _telegram(self, token: str, method: str, request: Recorded) -> Reply:
        if token != self.telegram_token:
            return Reply(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        params = dict(request.body) if isinstance(request.body, dict) else {}
        params.update(request.query)
        if method == "getMe":
            return Reply(200, {"ok": True, "result": {"id": int(token.split(":")[0]), "is_bot": True,
                                                      "first_name": "Kudos", "username": "kudos_test_bot"}})
        if method != "sendMessage":
            return Reply(404, {"ok": False, "error_code": 404, "description": "Not Found"})
        text, chat = str(params.get("text", "")), params.get("chat_id")
        if chat in (None, ""):
            return _telegram_error(400, "Bad Request: chat_id is empty")
        if not text.strip():
            return _telegram_error(400, "Bad Request: message text is empty")
        if len(text) > 4096:
            return _telegram_error(400, "Bad Request: message is too long")
        options = params.get("link_preview_options")
        if isinstance(options, str):  # form bodies carry it JSON-encoded
            try:
                params["link_preview_options"] = json.loads(options)
            except ValueError:
                return _telegram_error(400, "Bad Request: can't parse link preview options JSON object")
        chat_id: int | str = int(chat) if re.fullmatch(r"-?\d+", str(chat)) else str(chat)
        chat_info: dict[str, Any] = (
            {"id": chat_id, "type": "group" if chat_id < 0 else "private"} if isinstance(chat_id, int)
            else {"id": -1001000000001, "type": "channel", "username": chat_id.lstrip("@")}
        )
        message = {"message_id": next(self._ids), "chat": chat_info, "date": int(time.time()), "text": text}
        self.telegram.append({**params, "result": message})
        return Reply(200, {"ok": True, "result": message})

    # --- Discord webhooks ---

    def _discord(self, webhook_id: str, request: Recorded) -> Reply:
        if request.method == "GET":  # the webhook object, as Discord shows it to whoever holds the token
            return Reply(200, {"type": 1, "id": webhook_id, "name": "Kudos", "channel_id": "1000000000000000001",
                               "guild_id": "1000000000000000002", "application_id": None,
                               "token": DISCORD_WEBHOOK_TOKEN})
        if request.method != "POST":
            return Reply(405, {"message": "405: Method Not Allowed", "code": 0})
        body = request.body if isinstance(request.body, dict) else {}
        content = str(body.get("content") or "")
        if not content and not body.get("embeds"):
            return Reply(400, {"message": "Cannot send an empty message", "code": 50006})
        if len(content) > 2000:
            error = {"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 2000 or fewer in length."}
            body_errors = {"content": {"_errors": [error]}}
            return Reply(400, {"message": "Invalid Form Body", "code": 50035, "errors": body_errors})
        message_id = str(1_200_000_000_000_000_000 + next(self._ids))
        self.discord.append({**body, "id": message_id})
        if request.query.get("wait", "").lower() not in ("true", "1"):
            return Reply(204)
        return Reply(200, {
            "id": message_id, "type": 0, "content": content, "channel_id": "1000000000000000001",
            "webhook_id": webhook_id, "author": {"id": webhook_id, "username": "Kudos", "bot": True},
            "timestamp": datetime.now(UTC).isoformat(), "embeds": body.get("embeds", []),
        })

    # --- Slack incoming webhooks ---

    def _slack(self, request: Recorded) -> Reply:
        if not isinstance(request.body, dict):
            return Reply(400, "invalid_payload")
        if not request.body.get("text") and not request.body.get("blocks"):
            return Reply(400, "no_text")
        self.slack.append({**request.body, "path": request.path})
        return Reply(200, "ok")

    # --- Zulip ---

    def _zulip(self, request: Recorded) -> Reply:
        if request.path.rstrip("/") == "/api/v1/server_settings":
            return Reply(200, {"result": "success", "msg": "", "zulip_version": "10.0",
                               "zulip_feature_level": 334, "realm_url": self.base_url,
                               "realm_uri": self.base_url, "realm_name": "Kudos test",
                               "authentication_methods": {"password": True},
                               "push_notifications_enabled": False})
        if request.path.rstrip("/") != "/api/v1/messages" or request.method != "POST":
            return Reply(404, {"result": "error", "msg": "Not Found", "code": "BAD_REQUEST"})
        sender = _basic_auth(request.header("Authorization"))
        if sender != (self.zulip_email, self.zulip_key):
            return Reply(401, {"result": "error", "msg": "Invalid API key", "code": "INVALID_API_KEY"})
        form = request.body if isinstance(request.body, dict) else {}
        if not form.get("content"):
            return Reply(400, {"result": "error", "msg": "Message must not be empty", "code": "BAD_REQUEST"})
        if form.get("type") in ("stream", "channel") and not (form.get("topic") or form.get("subject")):
            return Reply(400, {"result": "error", "msg": "Missing topic", "code": "BAD_REQUEST"})
        message_id = next(self._ids)
        self.zulip.append({**form, "id": message_id, "sender": sender[0]})
        return Reply(200, {"result": "success", "msg": "", "id": message_id})


def _telegram_error(code: int, description: str) -> Reply:
    return Reply(code, {"ok": False, "error_code": code, "description": description})


def _basic_auth(header: str | None) -> tuple[str, str] | None:
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        email, _, key = base64.b64decode(header[6:]).decode().partition(":")
    except ValueError:
        return None
    return email, key


@pytest.fixture(scope="session")
def chat_stubs_server() -> Iterator[ChatStubs]:
    server = ChatStubs().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def chat_stubs(chat_stubs_server: ChatStubs) -> ChatStubs:
    """The session's stub server, emptied of recorded requests, posts and pending faults for this test."""
    chat_stubs_server.reset()
    return chat_stubs_server
