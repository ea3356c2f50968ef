"""Session fixture: the development MediaWiki OAuth provider (kudos.devoauth) on loopback.

mwoauth talks to it over real HTTP, so signatures, redirects and the identify JWT are exercised end to end.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from werkzeug.serving import make_server

from kudos.devoauth import IdentifyFault, ProviderState, create_provider

CONSUMER_KEY = "0123456789abcdef0123456789abcdef"  # MediaWiki keys are 32 hex digits
CONSUMER_SECRET = "fedcba9876543210fedcba9876543210fedcba98"  # and secrets 40
# Flask's test client serves http://localhost/, so a Kudos test can follow the redirect straight into its app.
CALLBACK_URL = "http://localhost/oauth/callback"

USERS: dict[str, dict[str, Any]] = {
    "Alice": {"sub": 101, "editcount": 1234, "groups": ["*", "user", "autoconfirmed", "extendedconfirmed"]},
    "Bob": {"sub": 102, "editcount": 56, "blocked": True},
    "Carol": {"sub": 103, "editcount": 3, "groups": ["*", "user"]},
    "Dave": {"sub": 104, "editcount": 900, "locked": True},
}


class _FormReader(HTMLParser):
    """Collects the authorize form's action and hidden fields, as a browser would submit them."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.hidden: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form" and self.action is None:
            self.action = values.get("action", "")
        elif tag == "input" and values.get("type") == "hidden":
            self.hidden[values.get("name", "")] = values.get("value", "")


@dataclass
class OAuthProvider:
    base_url: str
    mw_uri: str
    consumer_key: str
    consumer_secret: str
    callback_url: str
    users: dict[str, dict[str, Any]]
    state: ProviderState = field(repr=False)

    def authorize_response(
        self, redirect_url: str, username: str, allow: bool = True, typed: bool = False
    ) -> requests.Response:
        """Open the URL mwoauth's initiate() returned and press Allow or Deny as `username`."""
        page = requests.get(redirect_url, timeout=10)
        page.raise_for_status()
        form = _FormReader()
        form.feed(page.text)
        fields = dict(form.hidden)
        fields["other_username" if typed else "username"] = username
        fields["accept" if allow else "cancel"] = "1"
        target = urljoin(redirect_url, form.action or "")
        return requests.post(target, data=fields, allow_redirects=False, timeout=10)

    def authorize(
        self, redirect_url: str, username: str, allow: bool = True, typed: bool = False
    ) -> str | None:
        """The query string the browser brings back to the consumer's callback (what mwoauth's complete()
        takes), or None when the provider, like MediaWiki after Deny, shows a page and never calls back."""
        response = self.authorize_response(redirect_url, username, allow=allow, typed=typed)
        if response.status_code == 302:
            return urlsplit(response.headers["Location"]).query
        if response.status_code == 200 and not allow:
            return None
        raise AssertionError(f"authorize answered {response.status_code}: {response.text[:300]}")

    @contextmanager
    def identify_fault(self, fault: IdentifyFault | str) -> Iterator[None]:
        """Make Special:OAuth/identify answer with a bad JWT for every user while inside the block."""
        previous = self.state.identify_fault
        self.state.identify_fault = IdentifyFault(fault)
        try:
            yield
        finally:
            self.state.identify_fault = previous

    @contextmanager
    def settings(self, **changes: Any) -> Iterator[None]:
        """Temporarily change ProviderState knobs: deny_mode, integer_sub, allow_new_users, issuer."""
        previous = {name: getattr(self.state, name) for name in changes}
        for name, value in changes.items():
            setattr(self.state, name, value)
        try:
            yield
        finally:
            for name, value in previous.items():
                setattr(self.state, name, value)

    @contextmanager
    def callback(self, url: str, is_prefix: bool = False) -> Iterator[None]:
        """Temporarily register another callback URL for the consumer."""
        consumer = self.state.consumers[self.consumer_key]
        previous = (consumer.callback, consumer.callback_is_prefix)
        consumer.callback, consumer.callback_is_prefix = url, is_prefix
        try:
            yield
        finally:
            consumer.callback, consumer.callback_is_prefix = previous


@pytest.fixture(scope="session")
def oauth_provider() -> Iterator[OAuthProvider]:
    app = create_provider(
        {CONSUMER_KEY: CONSUMER_SECRET}, USERS, issuer=None, callbacks={CONSUMER_KEY: CALLBACK_URL}
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="devoauth", daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{server.server_port}"
    try:
        yield OAuthProvider(
            base_url=base_url,
            mw_uri=f"{base_url}/w/index.php",
            consumer_key=CONSUMER_KEY,
            consumer_secret=CONSUMER_SECRET,
            callback_url=CALLBACK_URL,
            users=USERS,
            state=app.extensions["devoauth"],
        )
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
