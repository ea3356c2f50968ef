"""The oauthlib RequestValidator that lets oauthlib's OAuth 1.0a endpoints check real HMAC-SHA1 signatures
against the provider's in-memory consumers and tokens, following MediaWiki's rules."""

from __future__ import annotations

import hmac
import string
import time
from typing import Any

from oauthlib.common import Request
from oauthlib.oauth1 import RequestValidator

from .store import AccessToken, ProviderState, RequestToken

# Stand-ins that keep the work done for unknown clients and tokens the same as for real ones (oauthlib asks
# for them so a failed lookup is not observable through timing).
_DUMMY_CLIENT = "dummyclientdummyclient"
_DUMMY_TOKEN = "dummytokendummytokendummytoken"  # noqa: S105 - never valid, only compared
_DUMMY_SECRET = "dummysecretdummysecret"  # noqa: S105 - never valid, only compared


class MediaWikiValidator(RequestValidator):
    """oauthlib's default limits (20-30 letters and digits, HTTPS only) reject MediaWiki's 32-hex consumer
    keys, readable development keys and loopback HTTP, so those are widened; everything that matters for
    a signature check stays strict."""

    def __init__(self, state: ProviderState) -> None:
        super().__init__()
        self.state = state

    # --- shape checks ----------------------------------------------------------------------------------

    @property
    def enforce_ssl(self) -> bool:
        return False

    @property
    def safe_characters(self) -> set[str]:
        return set(string.ascii_letters + string.digits + "-_.~")

    @property
    def client_key_length(self) -> tuple[int, int]:
        return 3, 64

    @property
    def request_token_length(self) -> tuple[int, int]:
        return 16, 64

    @property
    def access_token_length(self) -> tuple[int, int]:
        return 16, 64

    @property
    def verifier_length(self) -> tuple[int, int]:
        return 16, 64

    @property
    def nonce_length(self) -> tuple[int, int]:
        return 8, 64

    @property
    def allowed_signature_methods(self) -> tuple[str, ...]:
        # mwoauth signs with HMAC-SHA1; MediaWiki also accepts RSA-SHA1, which needs registered public keys.
        return ("HMAC-SHA1",)

    @property
    def dummy_client(self) -> str:
        return _DUMMY_CLIENT

    @property
    def dummy_request_token(self) -> str:
        return _DUMMY_TOKEN

    @property
    def dummy_access_token(self) -> str:
        return _DUMMY_TOKEN

    # --- consumers -------------------------------------------------------------------------------------

    def validate_client_key(self, client_key: str, request: Request) -> bool:
        return client_key in self.state.consumers

    def get_client_secret(self, client_key: str, request: Request) -> str:
        consumer = self.state.consumers.get(client_key)
        return consumer.secret if consumer else _DUMMY_SECRET

    def validate_timestamp_and_nonce(
        self,
        client_key: str,
        timestamp: str,
        nonce: str,
        request: Request,
        request_token: str | None = None,
        access_token: str | None = None,
    ) -> bool:
        # oauthlib has already refused timestamps more than timestamp_lifetime away; here replays are caught.
        seen = (client_key, timestamp, nonce)
        with self.state.lock:
            if seen in self.state.seen_nonces:
                return False
            if len(self.state.seen_nonces) > 10_000:
                horizon = time.time() - 2 * self.timestamp_lifetime
                self.state.seen_nonces = {s for s in self.state.seen_nonces if int(s[1]) > horizon}
            self.state.seen_nonces.add(seen)
        return True

    # --- realms: MediaWiki has grants on the consumer instead, so every realm check passes ---------------

    def get_default_realms(self, client_key: str, request: Request) -> list[str]:
        return []

    def validate_requested_realms(self, client_key: str, realms: list[str], request: Request) -> bool:
        return True

    def get_realms(self, token: str, request: Request) -> list[str]:
        return []

    def verify_realms(self, token: str, realms: list[str], request: Request) -> bool:
        return True

    def validate_realms(
        self, client_key: str, token: str, request: Request, uri: str | None = None, realms: Any = None
    ) -> bool:
        return True

    # --- step 1: Special:OAuth/initiate ----------------------------------------------------------------

    def validate_redirect_uri(self, client_key: str, redirect_uri: str, request: Request) -> bool:
        # MediaWiki wants oauth_callback=oob (it then uses the registered callback), or, for consumers
        # registered with "callback is a prefix", a URL under the registered one.
        consumer = self.state.consumers.get(client_key)
        if consumer is None:
            return False
        if redirect_uri == "oob":
            return True
        return consumer.callback_is_prefix and redirect_uri.startswith(consumer.callback)

    def save_request_token(self, token: dict[str, str], request: Request) -> None:
        with self.state.lock:
            self.state.request_tokens[token["oauth_token"]] = RequestToken(
                key=token["oauth_token"],
                secret=token["oauth_token_secret"],
                consumer_key=request.client_key,
                callback=request.redirect_uri,
                created=time.time(),
            )

    # --- step 2: Special:OAuth/authorize ---------------------------------------------------------------

    def verify_request_token(self, token: str, request: Request) -> bool:
        return self.state.live_request_token(token) is not None

    def save_verifier(self, token: str, verifier: dict[str, str], request: Request) -> None:
        with self.state.lock:
            stored = self.state.request_tokens[token]
            stored.verifier = verifier["oauth_verifier"]

    def get_redirect_uri(self, token: str, request: Request) -> str:
        stored = self.state.live_request_token(token)
        if stored is None:
            raise KeyError(token)
        if stored.callback == "oob":
            return self.state.consumers[stored.consumer_key].callback
        return stored.callback

    # --- step 3: Special:OAuth/token -------------------------------------------------------------------

    def validate_request_token(self, client_key: str, token: str, request: Request) -> bool:
        stored = self.state.live_request_token(token)
        return stored is not None and stored.consumer_key == client_key

    def get_request_token_secret(self, client_key: str, token: str, request: Request) -> str:
        stored = self.state.live_request_token(token)
        if stored is None or stored.consumer_key != client_key:
            return _DUMMY_SECRET
        return stored.secret

    def validate_verifier(self, client_key: str, token: str, verifier: str, request: Request) -> bool:
        stored = self.state.live_request_token(token)
        if stored is None or stored.verifier is None or stored.username is None:
            return False
        return stored.consumer_key == client_key and hmac.compare_digest(stored.verifier, verifier)

    def save_access_token(self, token: dict[str, str], request: Request) -> None:
        with self.state.lock:
            stored = self.state.request_tokens[request.resource_owner_key]
            assert stored.username is not None  # validate_verifier refused tokens nobody approved
            self.state.access_tokens[token["oauth_token"]] = AccessToken(
                key=token["oauth_token"],
                secret=token["oauth_token_secret"],
                consumer_key=request.client_key,
                username=stored.username,
            )

    def invalidate_request_token(self, client_key: str, request_token: str, request: Request) -> None:
        with self.state.lock:
            self.state.request_tokens.pop(request_token, None)

    # --- step 4: Special:OAuth/identify and any other signed request -----------------------------------

    def validate_access_token(self, client_key: str, token: str, request: Request) -> bool:
        with self.state.lock:
            stored = self.state.access_tokens.get(token)
        return stored is not None and stored.consumer_key == client_key

    def get_access_token_secret(self, client_key: str, token: str, request: Request) -> str:
        with self.state.lock:
            stored = self.state.access_tokens.get(token)
        if stored is None or stored.consumer_key != client_key:
            return _DUMMY_SECRET
        return stored.secret
