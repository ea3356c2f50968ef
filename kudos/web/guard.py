"""The web side of authorization: turn `kudos.access` decisions into redirects and 403 pages."""

from __future__ import annotations

from flask import abort, g, redirect, request, url_for
from sqlalchemy import bindparam, select

from kudos.access import Action, Actor, Decision, may
from kudos.models import Campaign, CampaignMember, MemberRole, Nomination
from kudos.web.context import current_config, current_user, db_session

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


def allowed(action: Action, obj: Campaign | Nomination | None = None) -> Decision:
    return may(current_actor(), action, obj)


def require(action: Action, obj: Campaign | Nomination | None = None) -> Actor:
    """The signed-in actor, if they may; otherwise a sign-in redirect (GET) or a 403 page that says why."""
    actor = current_actor()
    decision = may(actor, action, obj)
    if decision:
        assert actor is not None
        return actor
    if actor is None and request.method == "GET":
        abort(redirect(url_for("auth.login", next=request.full_path.rstrip("?"))))
    abort(403, description=decision.reason)
