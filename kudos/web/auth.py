"""Signing in and out. With `dev_login` (development only) anyone may sign in as any user name."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from kudos.names import canonical_username
from kudos.web.context import User, current_config, sign_in, sign_out
from kudos.web.forms import DemoLoginForm

bp = Blueprint("auth", __name__)


def safe_next(target: str | None) -> str:
    """Only a path on this site: an open redirect would let a phishing link borrow our name."""
    if not target:
        return url_for("wall.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("wall.index")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str:
    config = current_config()
    if not config.dev_login:
        abort(404)
    form = DemoLoginForm()
    if form.validate_on_submit():
        username = canonical_username(form.username.data or "")
        sign_in(User(username=username, editcount=1000))
        flash(f"Signed in as {username} (demo mode).")
        return redirect(safe_next(request.args.get("next")))
    return render_template("login_demo.html", form=form, next=request.args.get("next", ""))


@bp.post("/logout")
def logout() -> Response:
    # CSRFProtect has already checked the token: a third-party page cannot sign people out.
    sign_out()
    flash("You are signed out.")
    return redirect(url_for("wall.index"))
