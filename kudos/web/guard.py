"""The web side of authorization: turn `kudos.access` decisions into redirects and 403 pages.

For a reviewing action (`access.ON_WIKI`) the person's standing on the campaign's wiki is asked here, at
the moment they act, through the app's wiki client (whose user answers live a couple of minutes).
"""

from __future__ import annotations

from flask import abort, g, make_response, redirect, render_template, request, url_for
from sqlalchemy import bindparam, select

from kudos.access import ON_WIKI, Action, Actor, Decision, NewCampaign, Standing, may
from kudos.models import Campaign, CampaignMember, MemberRole, Nomination
from kudos.web.context import current_config, current_user, db_session, wiki_api
from kudos.web.i18n import msg
from kudos.wikiapi import WikiUnavailable

# Asked on every signed-in page: the statement is built once per process, only the name changes.
_ORGANIZES = select(CampaignMember.campaign_id).where(
    CampaignMember.username == bindparam("username"), CampaignMember.role == MemberRole.organizer)


def current_actor() -> Actor | None:
    if "actor" not in g:
        user = current_user()
        if user is None:
            g.actor = None
        else:
            organizes = frozenset(db_session().scalars(_ORGANIZES, {"username": user.username}))
            g.actor = Actor.of(current_config(), user.username, blocked=user.blocked, editcount=user.editcount,
                               organizes=organizes)
    return g.actor


def acting_actor(wikis: set[str]) -> Actor | None:
    """The signed-in person with their standing on these wikis, for deciding an action rather than a link.

    Views that write call this (through `require`) before opening their transaction, so no database lock
    waits on a wiki; later calls in the same request reuse the answers.
    """
    actor = current_actor()
    if actor is None:
        return None
    asked: dict[str, Standing] = g.setdefault("kudos_standing", {})
    for wiki in wikis - asked.keys():
        name = current_config().wiki_name(wiki)
        try:
            info = wiki_api().user(wiki, actor.username)
        except WikiUnavailable:
            asked[wiki] = Standing(name, None)
        else:
            asked[wiki] = Standing(name, info.blocked, info.editcount, info.registered, info.exists)
    return actor.acting({wiki: asked[wiki] for wiki in wikis})


def allowed(action: Action, obj: Campaign | Nomination | NewCampaign | None = None) -> Decision:
    """For showing links and buttons: no wiki is asked (`require` asks when the action is done)."""
    return may(current_actor(), action, obj)


def require(action: Action, obj: Campaign | Nomination | NewCampaign | None = None) -> Actor:
    """The signed-in actor, if they may; otherwise a sign-in redirect (GET), a 403 page that says why, or a
    503 page when the campaign's wiki could not be asked."""
    if action in ON_WIKI and isinstance(obj, (Campaign, Nomination, NewCampaign)):
        actor = acting_actor({obj.wiki})
    else:
        actor = current_actor()
    decision = may(actor, action, obj)
    if decision:
        assert actor is not None
        return actor
    if actor is None and request.method == "GET":
        abort(redirect(url_for("auth.login", next=request.full_path.rstrip("?"))))
    if decision.unavailable:
        page = render_template("error.html", title_key="kudos-error-unavailable-title", text=msg(decision))
        abort(make_response(page, 503, {"Retry-After": "60"}))
    abort(403, description=msg(decision))
