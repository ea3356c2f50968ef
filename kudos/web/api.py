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
    limit = min(int_arg("limit") or DEFAULT_LIMIT, wall.PAGE_MAX)
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
def any_site_may_read(response: Response) -> Response:
    # Public, read-only and free of personal data without consent: any site may read it, 304s and errors too.
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
