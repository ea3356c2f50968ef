"""The campaign directory: every campaign open for nominations, wiki by wiki, so a nominator finds the right
one. Public, and cacheable for visitors without a session like the walls."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, render_template

from kudos import campaigns
from kudos.clock import utcnow
from kudos.models import Campaign
from kudos.web.conditional import public
from kudos.web.context import current_config, db_session

bp = Blueprint("directory", __name__)


@dataclass(frozen=True)
class WikiGroup:
    wiki: str
    name: str
    language: str | None
    campaigns: list[Campaign]


@bp.get("/campaigns")
@public
def index() -> str:
    config = current_config()
    groups: dict[str, list[Campaign]] = {}
    for campaign in campaigns.open_now(db_session(), utcnow()):
        groups.setdefault(campaign.wiki, []).append(campaign)
    shown = sorted((WikiGroup(wiki, config.wiki_name(wiki), _language(wiki), found) for wiki, found in groups.items()),
                   key=lambda group: group.name.casefold())
    return render_template("campaigns.html", groups=shown)


def _language(wiki: str) -> str | None:
    found = current_config().wikis.get(wiki)
    return found.language if found else None
