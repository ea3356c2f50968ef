"""Signing in with a Wikimedia account (OAuth 1.0a through mwoauth), and signing out.

With `dev_login` (development only, and only without an OAuth consumer) anyone may sign in as any
user name instead.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import mwoauth
import requests
from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from kudos import plaintext, sessions
from kudos.demo import cast
from kudos.names import canonical_username
from kudos.web.context import User, current_config, current_database, current_user, sign_in, sign_out
from kudos.web.forms import DemoLoginForm
from kudos.web.i18n import bdi, msg

bp = Blueprint("auth", __name__)


def safe_next(target: str | None) -> str:
    """Only a path on this site: an open redirect would let a phishing link borrow our name. No control
    character either: CR/LF would split the Location header (and werkzeug refuses to send it)."""
    if not target or not plaintext.is_clean_line(target):
        return url_for("wall.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("wall.index")
    return target


def _handshaker() -> mwoauth.Handshaker:
    config = current_config()
    return mwoauth.Handshaker(
        config.oauth.mw_uri,
        mwoauth.ConsumerToken(config.oauth.consumer_key, config.oauth.consumer_secret),
        user_agent=config.user_agent,
    )


def _refused(message: str, status: int = 403) -> tuple[str, int]:
    return render_template("error.html", title_key="kudos-login-failed-title", text=message), status


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    config = current_config()
    if config.oauth.configured:
        if request.method != "GET":
            abort(405)
        try:
            redirect_url, request_token = _handshaker().initiate()
        except (mwoauth.OAuthException, requests.RequestException) as error:
            return _refused(msg("kudos-login-unreachable", _short(error)), 502)
        session["oauth_request_token"] = [request_token.key, request_token.secret]
        session["oauth_next"] = safe_next(request.args.get("next"))
        return redirect(redirect_url)
    if not config.dev_login:
        return _refused(msg("kudos-login-not-configured"), 503)
    form = DemoLoginForm()
    if form.validate_on_submit():
        username = canonical_username(form.username.data or "")
        sign_in(User(username=username, editcount=1000))
        flash(msg("kudos-login-demo-done", bdi(username)))
        return redirect(safe_next(request.args.get("next")))
    return render_template("login_demo.html", form=form, next=request.args.get("next", ""),
                           demo_nominator=cast.NOMINATOR, demo_organizer=cast.ORGANIZER)


@bp.get("/oauth/callback")
def oauth_callback() -> Any:
    config = current_config()
    if not config.oauth.configured:
        abort(404)
    stored = session.pop("oauth_request_token", None)
    target = session.pop("oauth_next", None)
    if not stored or "oauth_verifier" not in request.args:
        return _refused(msg("kudos-login-cancelled"), 400)
    request_token = mwoauth.RequestToken(*stored)
    if request.args.get("oauth_token") != request_token.key:
        return _refused(msg("kudos-login-other-attempt"), 400)
    shaker = _handshaker()
    try:
        access_token = shaker.complete(request_token, request.query_string.decode("utf-8", "replace"))
        identity = shaker.identify(access_token)
    # mwoauth raises TypeError/KeyError when the wiki answers "Error: …" where it expected a token.
    except (mwoauth.OAuthException, TypeError, KeyError, ValueError, requests.RequestException) as error:
        return _refused(msg("kudos-login-unconfirmed", _short(error)))
    username = identity.get("username")
    if not isinstance(username, str) or not username:
        return _refused(msg("kudos-login-no-identity"))
    sub = identity.get("sub")
    sign_in(User(
        username=canonical_username(username),
        central_id=int(sub) if str(sub).isdigit() else None,
        blocked=bool(identity.get("blocked")),
        editcount=int(identity.get("editcount") or 0),
        groups=tuple(str(g) for g in identity.get("groups") or ()),
    ))
    flash(msg("kudos-login-done", bdi(canonical_username(username))))
    return redirect(safe_next(target))


@bp.post("/logout")
def logout() -> Response:
    # CSRFProtect has already checked the token: a third-party page cannot sign people out.
    sign_out()
    flash(msg("kudos-logout-done"))
    return redirect(url_for("wall.index"))


@bp.post("/logout/everywhere")
def logout_everywhere() -> Response:
    """End every session of the signed-in person: other browsers, a lost phone, a copied cookie."""
    user = current_user()
    if user is None:
        return redirect(url_for("auth.login", next=url_for("me.index")))
    with current_database().transaction() as db:
        sessions.end_all(db, user.username)
    sign_out()
    flash(msg("kudos-logout-everywhere-done"))
    return redirect(url_for("wall.index"))


def _short(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text[:200]
