"""The public face: the wall of delivered shout-outs and its Atom feed."""

from __future__ import annotations

from flask import Blueprint, make_response, render_template, request, url_for
from werkzeug.wrappers import Response

from kudos import wall
from kudos.web.context import current_config, db_session

bp = Blueprint("wall", __name__)


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() and len(value) < 12 else None


@bp.get("/")
def index() -> str:
    config = current_config()
    wiki = request.args.get("wiki") or None
    if wiki not in config.wikis:
        wiki = None
    shoutouts = wall.recent(db_session(), config, limit=20, before=_int_arg("before"), wiki=wiki,
                            campaign=request.args.get("campaign") or None)
    older = shoutouts[-1].id if len(shoutouts) == 20 else None
    return render_template("wall.html", shoutouts=shoutouts, older=older, wiki=wiki)


@bp.get("/feed.atom")
def feed() -> Response:
    config = current_config()
    shoutouts = wall.recent(db_session(), config, limit=50)
    body = render_template("feed.atom", shoutouts=shoutouts, feed_url=url_for("wall.feed", _external=True),
                           updated=shoutouts[0].delivered_at if shoutouts else None)
    response = make_response(body)
    response.headers["Content-Type"] = "application/atom+xml; charset=utf-8"
    return response
