"""The consent link of a delivered barnstar: the recipient signs in, then says yes or no to sharing."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from kudos import consent_links, nominations, people
from kudos.access import Action, Actor
from kudos.awards import find_award
from kudos.errors import DomainError
from kudos.models import Consent, Nomination
from kudos.web.context import current_config, current_database, db_session
from kudos.web.forms import ConsentForm
from kudos.web.guard import require
from kudos.web.i18n import bdi, msg
from kudos.web.me import consent_sentence

bp = Blueprint("consent", __name__)


def _recipient_only(token: str) -> tuple[Actor, Nomination]:
    """The signed-in recipient and the nomination; sign-in redirect, 404 for a bad token, 403 for others."""
    nomination_id, recipient = consent_links.verify(current_config(), token)
    actor = require(Action.manage_self)  # anonymous: off to sign in, and back here afterwards
    if actor.username != recipient:
        abort(403, description=msg("kudos-consent-not-yours", bdi(recipient), bdi(actor.username)))
    nomination = nominations.get(db_session(), nomination_id)
    if nomination.recipient != recipient:
        abort(403, description=msg("kudos-consent-wrong-award"))
    return actor, nomination


def _page(nomination: Nomination, form: ConsentForm, token: str, status: int = 200) -> tuple[str, int]:
    config = current_config()
    try:
        award_name = find_award(config, nomination.wiki, nomination.award).name
    except DomainError:
        award_name = nomination.award
    consent = people.consent_of(db_session(), nomination.recipient)
    return render_template("consent.html", nomination=nomination, award_name=award_name, form=form, token=token,
                           consent=consent, wiki=config.wikis.get(nomination.wiki)), status


@bp.get("/consent/<token>")
def ask(token: str) -> tuple[str, int]:
    _actor, nomination = _recipient_only(token)
    current = people.consent_of(db_session(), nomination.recipient)
    form = ConsentForm(formdata=None, choice=None if current == Consent.unknown else current.value)
    return _page(nomination, form, token)


@bp.post("/consent/<token>")
def answer(token: str) -> Response | tuple[str, int]:
    actor, nomination = _recipient_only(token)
    form = ConsentForm()
    if not form.validate_on_submit():
        return _page(nomination, form, token, 400)
    choice = Consent(form.choice.data)
    with current_database().transaction() as session:
        people.set_consent(session, actor.username, choice, actor=actor.username)
    flash(consent_sentence(choice))
    return redirect(url_for("me.index"))
