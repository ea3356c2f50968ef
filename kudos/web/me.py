"""“My kudos”: what I nominated and what became of it, what I received, and my own choices.

Blocked people may use this page too (Action.manage_self): consent and opt-out are theirs to manage.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, flash, redirect, render_template, url_for
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.wrappers import Response

from kudos import nominations, people
from kudos.access import Action
from kudos.models import Consent, Delivery, DeliveryStatus, Nomination, NominationStatus, Person
from kudos.outbox import TALKPAGE
from kudos.web.context import current_database, db_session
from kudos.web.forms import ConsentForm, EmptyForm, OptOutForm
from kudos.web.guard import require
from kudos.web.i18n import bdi, msg

bp = Blueprint("me", __name__)

SHOWN = 200  # the newest; older ones stay in the database and the audit log


@dataclass(frozen=True)
class Row:
    nomination: Nomination
    state: str  # pending | approved | delivered | not_delivered | rejected | withdrawn
    diff_url: str | None = None
    note: str | None = None


def _row(nomination: Nomination) -> Row:
    if nomination.status != NominationStatus.approved:
        return Row(nomination, nomination.status.value)
    talk: Delivery | None = next((d for d in nomination.deliveries if d.channel == TALKPAGE), None)
    if talk is not None and talk.status == DeliveryStatus.done:
        return Row(nomination, "delivered", diff_url=talk.external_url)
    if talk is not None and talk.status in (DeliveryStatus.skipped, DeliveryStatus.failed):
        return Row(nomination, "not_delivered", note=talk.last_error)
    return Row(nomination, "approved")


def _rows(*where: object) -> list[Row]:
    found = db_session().scalars(
        select(Nomination).where(*where)  # type: ignore[arg-type]
        .options(joinedload(Nomination.campaign), selectinload(Nomination.deliveries))
        .order_by(Nomination.created_at.desc(), Nomination.id.desc()).limit(SHOWN))
    return [_row(n) for n in found]


def _page(username: str, consent_form: ConsentForm | None = None, opt_out_form: OptOutForm | None = None,
          status: int = 200) -> tuple[str, int]:
    person: Person | None = people.find(db_session(), username)
    consent = person.consent if person else Consent.unknown
    opted_out = bool(person and person.opted_out)
    consent_form = consent_form or ConsentForm(formdata=None, choice=None if consent == Consent.unknown
                                               else consent.value)
    opt_out_form = opt_out_form or OptOutForm(formdata=None, opted_out="yes" if opted_out else "no")
    made = _rows(Nomination.nominator == username)
    received = _rows(Nomination.recipient == username, Nomination.status == NominationStatus.approved)
    return render_template("me.html", made=made, received=received, consent=consent, opted_out=opted_out,
                           consent_form=consent_form, opt_out_form=opt_out_form, withdraw_form=EmptyForm()), status


@bp.get("/me")
def index() -> tuple[str, int]:
    actor = require(Action.manage_self)
    return _page(actor.username)


@bp.post("/me/nominations/<id:nomination_id>/withdraw")
def withdraw(nomination_id: int) -> Response:
    with current_database().transaction() as session:
        nomination = nominations.get(session, nomination_id)
        actor = require(Action.withdraw, nomination)
        nominations.withdraw(session, nomination, actor.username)
        recipient = nomination.recipient
    flash(msg("kudos-me-withdrawn", bdi(recipient)))
    return redirect(url_for("me.index"))


@bp.post("/me/consent")
def consent() -> Response | tuple[str, int]:
    actor = require(Action.manage_self)
    form = ConsentForm()
    if not form.validate_on_submit():
        return _page(actor.username, consent_form=form, status=400)
    choice = Consent(form.choice.data)
    with current_database().transaction() as session:
        people.set_consent(session, actor.username, choice, actor=actor.username)
    flash(consent_sentence(choice))
    return redirect(url_for("me.index"))


@bp.post("/me/opt-out")
def opt_out() -> Response | tuple[str, int]:
    actor = require(Action.manage_self)
    form = OptOutForm()
    if not form.validate_on_submit():
        return _page(actor.username, opt_out_form=form, status=400)
    opted_out = form.opted_out.data == "yes"
    with current_database().transaction() as session:
        people.set_opt_out(session, actor.username, opted_out, actor=actor.username)
    flash(msg("kudos-me-opted-out") if opted_out else msg("kudos-me-opted-in"))
    return redirect(url_for("me.index"))


def consent_sentence(choice: Consent) -> str:
    return msg("kudos-me-consent-granted") if choice == Consent.granted else msg("kudos-me-consent-refused")

