"""The campaign directory: every campaign open for nominations, wiki by wiki, so a nominator finds the right
one. Public, and cacheable for visitors without a session like the walls."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, render_template
from markupsafe import Markup

from kudos import campaigns
from kudos.clock import utcnow
from kudos.web.conditional import public
from kudos.web.context import current_config, db_session
from kudos.web.fragments import render_each

bp = Blueprint("directory", __name__)


@dataclass(frozen=True)
class WikiGroup:
    wiki: str
    name: str
    language: str | None
    cards: Markup


@bp.get("/campaigns")
@public
def index() -> str:
    config = current_config()
    groups: dict[str, list[campaigns.Listed]] = {}
    for campaign in campaigns.open_now(db_session(), utcnow()):
        groups.setdefault(campaign.wiki, []).append(campaign)
    # Each card is kept while nothing it shows changes (kudos.web.fragments): the directory is a busy page.
    shown = sorted((WikiGroup(wiki, config.wiki_name(wiki), _language(wiki),
                              render_each("_campaign_card.html", "card", ((c,) for c in found)))
                    for wiki, found in groups.items()),
                   key=lambda group: group.name.casefold())
    return render_template("campaigns.html", groups=shown)


def _language(wiki: str) -> str | None:
    found = current_config().wikis.get(wiki)
    return found.language if found else None
