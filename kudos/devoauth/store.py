"""In-memory state of the development OAuth provider: consumers, wiki users, tokens, test knobs."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

# What Special:OAuth/identify returns for a registered account on a Wikimedia wiki when nothing else is said.
DEFAULT_GROUPS = ("*", "user", "autoconfirmed")
# A real request token lives ten minutes in MediaWiki's object cache.
REQUEST_TOKEN_TTL = 600


class IdentifyFault(StrEnum):
    """Ways to make Special:OAuth/identify answer with a JWT that a careful client must refuse."""

    NONE = "none"
    EXPIRED = "expired"  # exp already passed
    FUTURE = "future"  # iat an hour ahead
    WRONG_AUDIENCE = "wrong_audience"  # aud is not the consumer key
    WRONG_NONCE = "wrong_nonce"  # nonce is not the one the request was signed with
    BAD_SIGNATURE = "bad_signature"  # payload altered after signing
    WRONG_ISSUER = "wrong_issuer"  # iss names another server


@dataclass
class Consumer:
    key: str
    secret: str
    # MediaWiki sends the user here (with oauth_verifier and oauth_token) when oauth_callback was "oob".
    callback: str
    # MediaWiki's "use as prefix" consumer flag: a client-supplied oauth_callback must start with callback.
    callback_is_prefix: bool = False
    name: str = "Kudos (development)"
    grants: tuple[str, ...] = ("mwoauth-authonly",)


@dataclass
class WikiUser:
    username: str
    sub: int
    blocked: bool = False
    # A locked (global) account cannot identify at all: MediaWiki answers a JSON error instead of a JWT.
    locked: bool = False
    editcount: int = 0
    groups: list[str] = field(default_factory=lambda: list(DEFAULT_GROUPS))
    rights: list[str] = field(default_factory=lambda: ["read", "edit"])
    confirmed_email: bool = True
    registered: str = "20200101000000"
    realname: str = ""
    email: str = ""
    identify_fault: IdentifyFault = IdentifyFault.NONE

    @classmethod
    def from_mapping(cls, username: str, data: dict[str, Any], default_sub: int) -> WikiUser:
        known = {name for name in cls.__dataclass_fields__ if name != "username"}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown user attributes for {username}: {sorted(unknown)}")
        values = dict(data)
        values.setdefault("sub", default_sub)
        if "identify_fault" in values:
            values["identify_fault"] = IdentifyFault(values["identify_fault"])
        if "groups" in values:
            values["groups"] = list(values["groups"])
        return cls(username=username, **values)


@dataclass
class RequestToken:
    key: str
    secret: str
    consumer_key: str
    callback: str
    created: float
    verifier: str | None = None
    username: str | None = None


@dataclass
class AccessToken:
    key: str
    secret: str
    consumer_key: str
    username: str


def new_token() -> str:
    # MediaWiki tokens are 32 lowercase hex digits.
    return secrets.token_hex(16)


class ProviderState:
    """Everything the provider remembers. Shared by request threads, hence the lock."""

    def __init__(self, consumers: list[Consumer], users: list[WikiUser], issuer: str | None) -> None:
        self.lock = threading.RLock()
        self.consumers = {consumer.key: consumer for consumer in consumers}
        self.users = {user.username: user for user in users}
        # None: the issuer is the scheme and host the client called, as $wgCanonicalServer would be.
        self.issuer = issuer
        # Applies to every user whose own identify_fault is NONE.
        self.identify_fault = IdentifyFault.NONE
        # Unknown names typed on the authorize page become fresh accounts, like a first login would.
        self.allow_new_users = True
        # Emit "sub" as a JSON number like MediaWiki releases before the T380270 fix did.
        self.integer_sub = False
        # MediaWiki shows a "you cancelled" page on Deny and never calls the consumer back. "redirect" sends
        # the browser to the callback with oauth_token only, for exercising a client's no-verifier path.
        self.deny_mode = "page"
        self.request_tokens: dict[str, RequestToken] = {}
        self.access_tokens: dict[str, AccessToken] = {}
        self.seen_nonces: set[tuple[str, str, str]] = set()

    def user(self, username: str) -> WikiUser | None:
        with self.lock:
            return self.users.get(username)

    def add_user(self, username: str, **attributes: Any) -> WikiUser:
        with self.lock:
            next_sub = max((user.sub for user in self.users.values()), default=0) + 1
            user = WikiUser.from_mapping(username, attributes, next_sub)
            self.users[username] = user
            return user

    def live_request_token(self, key: str) -> RequestToken | None:
        with self.lock:
            token = self.request_tokens.get(key)
            if token is None or time.time() - token.created > REQUEST_TOKEN_TTL:
                return None
            return token

    def fault_for(self, user: WikiUser) -> IdentifyFault:
        return user.identify_fault if user.identify_fault is not IdentifyFault.NONE else self.identify_fault
