"""The read-only JSON API: the wall's shout-outs with the wall's privacy rules (README, "JSON API")."""

from __future__ import annotations

from flask import Blueprint, jsonify, request, url_for
from werkzeug.wrappers import Response

from kudos import wall
from kudos.web.conditional import validated
from kudos.web.context import current_config, db_session
from kudos.web.i18n import msg_text
from kudos.web.wall import campaign_arg, int_arg

bp = Blueprint("api", __name__, url_prefix="/api/v1")

DEFAULT_LIMIT = 20


def page_size(text: str | None) -> int:
    """`limit` as the README states it: 1–100, more is 100, anything else the default.

    A size is not a row id: 99999999999 asks for as many as may be had, so it gets 100 (`kudos.ids`
    would read it as no number at all)."""
    digits = (text or "").lstrip("0")
    if not digits.isascii() or not digits.isdigit():
        return DEFAULT_LIMIT
    return wall.PAGE_MAX if len(digits) > 3 else min(int(digits), wall.PAGE_MAX)


@bp.get("/shoutouts")
@validated
def shoutouts() -> Response:
    config = current_config()
    wiki = request.args.get("wiki") or None
    if wiki is not None and wiki not in config.wikis:
        # In the reader's language, as the pages are: `?uselang=` or Accept-Language.
        response = jsonify(error=msg_text("kudos-api-unknown-wiki", wiki, ", ".join(sorted(config.wikis))))
        response.status_code = 400
        return response
    limit = page_size(request.args.get("limit"))
    campaign = campaign_arg()
    found = wall.recent(db_session(), config, limit=limit, before=int_arg("before"), wiki=wiki, campaign=campaign)
    items = []
    for s in found:
        item = s.public_fields()
        item["url"] = url_for("wall.shoutout", nomination_id=s.nomination_id, _external=True)
        items.append(item)
    following = None
    if len(found) == limit:
        following = url_for("api.shoutouts", before=found[-1].id, limit=limit, wiki=wiki, campaign=campaign,
                            _external=True)
    return jsonify(shoutouts=items, next=following)


@bp.after_request
def readable_by_any_site(response: Response) -> Response:
    """Public, read-only and free of personal data without consent: any site may read every answer, its
    refusals (an unknown wiki) and its 304s included."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
