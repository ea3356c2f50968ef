"""Flask app factory for the development OAuth provider: MediaWiki's Special:OAuth for OAuth 1.0a, as the
mwoauth client library uses it.

mwoauth (given mw_uri = http://HOST/w/index.php) calls:
  POST index.php?title=Special:OAuth/initiate   signed, oauth_callback=oob
      -> oauth_token=..&oauth_token_secret=..&oauth_callback_confirmed=true
  browser GET index.php?title=Special:OAuth/authenticate&oauth_token=..&oauth_consumer_key=..
      -> form; Allow redirects to the consumer's callback with oauth_verifier and oauth_token
  POST index.php?title=Special:OAuth/token       signed with request token + verifier -> access token
  POST index.php?title=Special:OAuth/identify    signed with access token -> JWT (HS256, consumer secret)
Errors follow MediaWiki: "Error: ..." text for initiate/token, {"error", "message"} JSON for identify.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlencode

from flask import Flask, Response, redirect, request
from oauthlib.oauth1 import AccessTokenEndpoint, AuthorizationEndpoint, RequestTokenEndpoint, ResourceEndpoint
from oauthlib.oauth1.rfc5849 import errors as oauth_errors

from .identity import identify_jwt
from .pages import authorize_page, cancelled_page, error_page
from .store import Consumer, ProviderState, WikiUser, new_token
from .validator import MediaWikiValidator

_SPECIAL_OAUTH = re.compile(r"^special:oauth/(?P<action>[a-z]+)$", re.IGNORECASE)
_NO_CACHE = {"Cache-Control": "no-cache, no-store, max-age=0, must-revalidate", "Pragma": "no-cache"}
# The pages are self-contained; forbid everything else so a stray dependency would show up at once.
_PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'"


def create_provider(
    consumers: dict[str, str],
    users: dict[str, dict[str, Any]],
    issuer: str | None = None,
    callbacks: dict[str, str] | None = None,
) -> Flask:
    """Build the provider.

    consumers: consumer key -> secret. callbacks: consumer key -> registered callback URL (default
    http://127.0.0.1:5000/oauth/callback). users: username -> attributes of store.WikiUser (blocked,
    editcount, groups, sub, locked, identify_fault, ...). issuer: the JWT "iss"; None means the scheme and
    host the client called, which is what mwoauth compares with its mw_uri.
    The live ProviderState is app.extensions["devoauth"]; tests change knobs there.
    """
    callbacks = callbacks or {}
    state = ProviderState(
        consumers=[
            Consumer(
                key=key, secret=secret, callback=callbacks.get(key, "http://127.0.0.1:5000/oauth/callback")
            )
            for key, secret in consumers.items()
        ],
        users=[
            WikiUser.from_mapping(name, attributes, default_sub=index)
            for index, (name, attributes) in enumerate(users.items(), start=1)
        ],
        issuer=issuer,
    )
    validator = MediaWikiValidator(state)
    endpoints = _Endpoints(validator)

    app = Flask(__name__)
    app.extensions["devoauth"] = state

    def dispatch(title: str) -> Response:
        match = _SPECIAL_OAUTH.match(title.replace(" ", "_"))
        if match is None:
            return Response("This development wiki only has Special:OAuth.\n", 404, mimetype="text/plain")
        action = match["action"].lower()
        if action == "initiate":
            return _initiate(endpoints)
        if action in ("authorize", "authenticate"):
            return _authorize(endpoints, state)
        if action == "token":
            return _token(endpoints)
        if action == "identify":
            return _identify(endpoints, state)
        return _raw_error("Invalid special page action.", 400)

    @app.route("/w/index.php", methods=["GET", "POST"])
    def index_php() -> Response:
        return dispatch(request.args.get("title", ""))

    # MediaWiki also routes index.php/Title and the short /wiki/Title form to the same special page.
    @app.route("/w/index.php/<path:title>", methods=["GET", "POST"])
    @app.route("/wiki/<path:title>", methods=["GET", "POST"])
    def path_form(title: str) -> Response:
        return dispatch(title)

    @app.route("/")
    def home() -> Response:
        return redirect("/w/index.php?title=Special:OAuth/authorize")  # type: ignore[return-value]

    return app


class _Endpoints:
    def __init__(self, validator: MediaWikiValidator) -> None:
        self.validator = validator
        self.request_token = RequestTokenEndpoint(validator, token_generator=new_token)
        self.authorization = AuthorizationEndpoint(validator, token_generator=new_token)
        self.access_token = AccessTokenEndpoint(validator, token_generator=new_token)
        self.resource = ResourceEndpoint(validator, token_generator=new_token)


def _signed_request() -> tuple[str, str, str, dict[str, str]]:
    return request.url, request.method, request.get_data(as_text=True), dict(request.headers)


def _raw_error(message: str, status: int) -> Response:
    # MediaWiki's "raw" format error, which mwoauth recognises by its prefix.
    return Response(f"Error: {message}", status, mimetype="text/plain", headers=_NO_CACHE)


def _failure_reason(log: dict[str, bool]) -> str:
    for check, reason in (
        ("client", "Invalid consumer"),
        ("callback", 'Callback URL must be "oob" or start with the registered callback'),
        ("resource_owner", "Invalid request token"),
        ("verifier", "Invalid verifier"),
        ("signature", "Invalid signature"),
    ):
        if log.get(check) is False:
            return reason
    return "Request not authorized"


def _oauth_exception(text: str) -> str:
    return f"An error occurred in the OAuth protocol: {text}"


def _initiate(endpoints: _Endpoints) -> Response:
    uri, method, body, headers = _signed_request()
    try:
        oauth_request = endpoints.request_token._create_request(uri, method, body, headers)
        valid, oauth_request = endpoints.request_token.validate_request_token_request(oauth_request)
    except oauth_errors.OAuth1Error as error:
        return _raw_error(_oauth_exception(error.description or error.error), 400)
    if not valid:
        return _raw_error(_oauth_exception(_failure_reason(oauth_request.validator_log)), 401)
    token = endpoints.request_token.create_request_token(oauth_request, {})
    return Response(token, 200, mimetype="text/plain", headers=_NO_CACHE)


def _token(endpoints: _Endpoints) -> Response:
    uri, method, body, headers = _signed_request()
    endpoint = endpoints.access_token
    try:
        oauth_request = endpoint._create_request(uri, method, body, headers)
        valid, oauth_request = endpoint.validate_access_token_request(oauth_request)
    except oauth_errors.OAuth1Error as error:
        return _raw_error(_oauth_exception(error.description or error.error), 400)
    if not valid:
        return _raw_error(_oauth_exception(_failure_reason(oauth_request.validator_log)), 401)
    token = endpoint.create_access_token(oauth_request, {})
    endpoint.request_validator.invalidate_request_token(
        oauth_request.client_key, oauth_request.resource_owner_key, oauth_request
    )
    return Response(token, 200, mimetype="text/plain", headers=_NO_CACHE)


def _json_error(key: str, message: str) -> Response:
    return Response(
        json.dumps({"error": key, "message": message}),
        401,
        mimetype="application/json",
        headers=_NO_CACHE,
    )


def _identify(endpoints: _Endpoints, state: ProviderState) -> Response:
    uri, method, body, headers = _signed_request()
    valid, oauth_request = endpoints.resource.validate_protected_resource_request(uri, method, body, headers)
    if not valid or oauth_request is None:
        reason = _failure_reason(oauth_request.validator_log) if oauth_request is not None else "Bad request"
        return _json_error("mwoauth-oauth-exception", _oauth_exception(reason))
    with state.lock:
        access = state.access_tokens[oauth_request.resource_owner_key]
        consumer = state.consumers[access.consumer_key]
        user = state.users.get(access.username)
    if user is None:
        return _json_error(
            "mwoauth-invalid-authorization-invalid-user",
            "The authorization headers in your request are for a user that does not exist here",
        )
    if user.locked:
        return _json_error(
            "mwoauth-invalid-authorization-blocked-user",
            "The authorization headers in your request are for a user who is blocked",
        )
    issuer = state.issuer or request.host_url.rstrip("/")
    token = identify_jwt(
        user, consumer, issuer, oauth_request.nonce, state.fault_for(user), integer_sub=state.integer_sub
    )
    return Response(token, 200, mimetype="application/json", headers=_NO_CACHE)


def _page_response(html: str, status: int = 200) -> Response:
    return Response(
        html, status, mimetype="text/html", headers={**_NO_CACHE, "Content-Security-Policy": _PAGE_CSP}
    )


def _authorize(endpoints: _Endpoints, state: ProviderState) -> Response:
    values = request.values
    token_key = values.get("requestToken") or values.get("oauth_token") or ""
    stored = state.live_request_token(token_key)
    if stored is None:
        return _page_response(error_page("The request token is unknown or has expired. Start again."), 400)
    consumer = state.consumers[stored.consumer_key]
    claimed_key = values.get("consumerKey") or values.get("oauth_consumer_key")
    if claimed_key and claimed_key != consumer.key:
        return _page_response(error_page("The consumer key does not match the request token."), 400)

    # The decision may come from the form or, for tests driving the flow over plain HTTP, the query.
    if "cancel" in values:
        return _deny(state, consumer, token_key)
    if "accept" not in values:
        with state.lock:
            usernames = sorted(state.users)
        return _page_response(authorize_page(consumer.name, consumer.key, token_key, usernames))

    username = (values.get("other_username") or values.get("username") or "").strip()
    if not username:
        return _page_response(error_page("Choose a username."), 400)
    username = username[0].upper() + username[1:]  # MediaWiki capitalises the first letter of user names
    if state.user(username) is None:
        if not state.allow_new_users:
            return _page_response(error_page(f"There is no user by the name {username}."), 400)
        state.add_user(username)
    with state.lock:
        stored.username = username

    authorize_uri = f"{request.base_url}?{urlencode({'oauth_token': token_key})}"
    try:
        headers, _body, _status = endpoints.authorization.create_authorization_response(authorize_uri)
    except oauth_errors.OAuth1Error as error:
        return _page_response(error_page(error.description or error.error), 400)
    return redirect(headers["Location"], 302)  # type: ignore[return-value]


def _deny(state: ProviderState, consumer: Consumer, token_key: str) -> Response:
    with state.lock:
        stored = state.request_tokens.pop(token_key, None)
    if state.deny_mode == "redirect" and stored is not None:
        target = consumer.callback if stored.callback == "oob" else stored.callback
        separator = "&" if "?" in target else "?"
        return redirect(f"{target}{separator}{urlencode({'oauth_token': token_key})}", 302)  # type: ignore[return-value]
    # MediaWiki's behaviour: a page saying access was not granted, and no way back to the consumer.
    return _page_response(cancelled_page(consumer.name, "/w/index.php?title=Main_Page"))
