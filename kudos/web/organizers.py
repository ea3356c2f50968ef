"""A campaign's organizers: listed to those who manage the campaign, appointed only by tool admins and the
campaign's creator (`Action.appoint`), never by another organizer."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from kudos import campaigns
from kudos.access import Action
from kudos.errors import DomainError
from kudos.models import Campaign, MemberRole
from kudos.web.context import current_database, db_session
from kudos.web.forms import UsernameForm
from kudos.web.guard import allowed, require
from kudos.web.i18n import bdi, msg

bp = Blueprint("organizers", __name__)


def _page(campaign: Campaign, form: UsernameForm) -> str:
    return render_template("organizers.html", campaign=campaign, form=form, organizers=sorted(campaign.organizers),
                           may_appoint=bool(allowed(Action.appoint, campaign)))


@bp.get("/campaigns/<slug>/organizers")
def index(slug: str) -> str:
    campaign = campaigns.get(db_session(), slug)
    require(Action.manage_campaign, campaign)
    return _page(campaign, UsernameForm())


@bp.post("/campaigns/<slug>/organizers")
def add(slug: str) -> Response | tuple[str, int]:
    form = UsernameForm()
    require(Action.appoint, campaigns.get(db_session(), slug))  # asks the wiki before the write transaction
    with current_database().transaction() as session:
        campaign = campaigns.get(session, slug)
        actor = require(Action.appoint, campaign)
        if not form.validate_on_submit():
            return _page(campaign, form), 400
        try:
            added = campaigns.add_member(session, campaign, form.username.data or "", MemberRole.organizer,
                                         actor.username)
        except DomainError as error:
            form.username.errors.append(msg(error))
            return _page(campaign, form), 400
        name = campaign.name
    who, what = bdi(form.username.data or ""), bdi(name)
    flash(msg("kudos-organizers-added", who, what) if added else msg("kudos-organizers-already", who, what))
    # The settings page carries this same form; its people go back there.
    back = "campaign_form.settings" if request.form.get("back") == "settings" else "organizers.index"
    return redirect(url_for(back, slug=slug))
