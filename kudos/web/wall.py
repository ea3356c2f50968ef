"""The public face: the wall of delivered shout-outs, campaign and personal pages, permalinks, Atom feeds."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request, url_for
from werkzeug.wrappers import Response

from kudos import campaigns, ids, wall
from kudos.names import canonical_username
from kudos.web import feeds
from kudos.web.conditional import public, validated
from kudos.web.context import current_config, db_session
from kudos.web.i18n import msg_text

bp = Blueprint("wall", __name__)

PAGE = 20


def int_arg(name: str) -> int | None:
    return ids.parse(request.args.get(name))


def wiki_arg() -> str | None:
    wiki = request.args.get("wiki") or None
    return wiki if wiki in current_config().wikis else None


def campaign_arg() -> str | None:
    slug = request.args.get("campaign", "")
    return slug if 0 < len(slug) <= 64 else None


def _page(template: str, **filters: Any) -> str:
    """A wall page: one query for the shout-outs, whatever the filters."""
    shoutouts = wall.recent(db_session(), current_config(), limit=PAGE, before=int_arg("before"),
                            **{k: v for k, v in filters.items() if k in ("wiki", "campaign", "recipient")})
    older = None
    if len(shoutouts) == PAGE:
        args = {**(request.view_args or {}), **{k: v for k, v in request.args.items() if k in ("wiki", "campaign")}}
        older = url_for(request.endpoint or "wall.index", **args, before=shoutouts[-1].id)
    return render_template(template, shoutouts=shoutouts, older=older, **filters)


@bp.get("/")
@public
def index() -> str:
    return _page("wall.html", wiki=wiki_arg(), campaign=campaign_arg())


@bp.get("/campaigns/<slug>")
@public
def campaign(slug: str) -> str:
    found = campaigns.get(db_session(), slug)
    return _page("campaign_wall.html", campaign=found.slug, campaign_obj=found, wiki=wiki_arg())


@bp.get("/users/<wiki>/<path:username>")
@public
def person(wiki: str, username: str) -> str | tuple[str, int]:
    config = current_config()
    name = canonical_username(username)
    if wiki not in config.wikis or not name:
        abort(404)
    if not wall.has_personal_page(db_session(), name):
        # Without a yes to sharing, a person is not singled out anywhere on Kudos, not even by a 404 that
        # names them: the sentence is the same whether they were thanked or not.
        return render_template("error.html", title_key="kudos-wall-nopage-title",
                               text_key="kudos-wall-nopage-text"), 404
    return _page("person_wall.html", wiki=wiki, wiki_name=config.wiki(wiki).name, recipient=name)


@bp.get("/shoutouts/<id:nomination_id>")
@public
def shoutout(nomination_id: int) -> str:
    found = wall.one(db_session(), current_config(), nomination_id)
    if found is None:
        abort(404)
    return render_template("shoutout.html", s=found)


@bp.get("/feed.atom")
@validated
def feed() -> Response:
    return feeds.response(msg_text("kudos-feed-title"), url_for("wall.feed", _external=True),
                          url_for("wall.index", _external=True))


@bp.get("/campaigns/<slug>/feed.atom")
@validated
def campaign_feed(slug: str) -> Response:
    found = campaigns.get(db_session(), slug)
    return feeds.response(msg_text("kudos-feed-campaign-title", found.name),
                          url_for("wall.campaign_feed", slug=slug, _external=True),
                          url_for("wall.campaign", slug=slug, _external=True), campaign=slug)
