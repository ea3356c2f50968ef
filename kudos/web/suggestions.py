"""`/campaigns/<slug>/suggestions`: who deserves thanks now, with the evidence on the page (kudos.suggestions).

The page reads what the delivery job stored; it never asks a wiki. Seeing it is for those who see the
campaign's report (its organizers, its creator, admins); snoozing, setting aside and changing the bar are
managing the campaign; thanking several at once is a bulk nomination, with the bulk page's checks.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response
from wtforms import BooleanField, IntegerField, SelectField
from wtforms.validators import InputRequired, NumberRange

from kudos import allowance, campaigns, ids
from kudos.access import Action
from kudos.awards import offered
from kudos.clock import utcnow
from kudos.errors import DomainError, NotFound
from kudos.models import Campaign
from kudos.suggestions import bar as suggestion_bar
from kudos.suggestions import decisions, listing
from kudos.web.bulk import lookup_for
from kudos.web.context import current_config, current_database, db_session
from kudos.web.forms import EmptyForm, Form
from kudos.web.guard import allowed, require
from kudos.web.i18n import bdi, lazy_msg, msg
from kudos.web.suggestion_text import SUGGESTIONS, evidence_link, suggestion_message

bp = Blueprint("suggestions", __name__)

class ThankSeveralForm(Form):
    award = SelectField(lazy_msg("kudos-nominate-award-label"), validate_choice=True)
    approve = BooleanField(lazy_msg("kudos-bulk-approve-label"))


class WholeNumber(IntegerField):
    """An IntegerField whose refusal of text that is not a number is a sentence of ours, in the reader's language."""

    def __init__(self, label: Any, low: int, high: int, **kwargs: Any) -> None:
        self.refusal = lazy_msg("kudos-suggestions-bar-number", low, high)
        super().__init__(label, validators=[InputRequired(self.refusal), NumberRange(low, high, self.refusal)],
                         **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(str(self.refusal)) from None


def _bounded(key: str) -> WholeNumber:
    low, high = suggestion_bar.LIMITS[key]
    return WholeNumber(lazy_msg(f"kudos-suggestions-bar-{key.replace('_', '-')}"), low, high)


class BarForm(Form):
    """The campaign's suggestion settings; a campaign settings form can hold these same fields."""

    min_edits = _bounded("min_edits")
    days = _bounded("days")
    max_edits = _bounded("max_edits")
    snooze_days = _bounded("snooze_days")
    newcomer_days = _bounded("newcomer_days")


def _thank_form(campaign: Campaign) -> ThankSeveralForm:
    form = ThankSeveralForm()
    form.award.choices = [(a.id, a.name) for a in offered(current_config(), campaign)]
    if form.award.data is None:
        form.award.data = campaign.default_award or form.award.choices[0][0]
    return form


def _bar_form(campaign: Campaign) -> BarForm:
    form = BarForm()
    if not form.is_submitted():
        for key, value in vars(suggestion_bar.Bar.of(campaign)).items():
            getattr(form, key).data = value
    return form


def _page_number() -> int:
    return ids.parse(request.args.get("page")) or 1


def _render(campaign: Campaign, status: int = 200, *, thank_form: ThankSeveralForm | None = None,
            bar_form: BarForm | None = None, problems: list[str] | None = None,
            result: Any = None, created: list[str] | None = None) -> tuple[str, int]:
    session = db_session()
    if request.method == "POST":
        session.rollback()  # a fresh read, which sees what this request has just written
    now = utcnow()
    is_open = campaign.is_open(now)
    # Suggestions are refreshed, and single thanks made, only while the campaign is open for nominations.
    shown = listing.page(session, campaign, now, _page_number()) if is_open else listing.Page([], 0, 1, 1, None)
    if shown.items and not current_config().read_only_reason:
        with current_database().transaction() as writing:
            listing.mark_shown(writing, campaign, [item.user_id for item in shown.items], now)
    typed = request.form if request.method == "POST" else None  # what was typed comes back after a refusal
    picked = set(typed.getlist("pick")) if typed else set()
    # One url_for for the whole page: the person and the edit are the only parts that change.
    nominate = url_for("nominate.form", campaign=campaign.slug, wiki=campaign.wiki, via=SUGGESTIONS)
    people = [{"person": person, "thank": _thank_url(nominate, person, evidence_link(person)),
               "message": typed.get(f"line-{person.user_id}", "") if typed else suggestion_message(person),
               "picked": str(person.user_id) in picked,
               "edit_thanks": {e.revid: _thank_url(nominate, person, f"Special:Diff/{e.revid}")
                               for e in person.notable}} for person in shown.items]
    return render_template(
        "suggestions.html", campaign=campaign, page=shown, people=people, now=now,
        bar=suggestion_bar.Bar.of(campaign), wiki=current_config().wikis.get(campaign.wiki),
        set_aside=listing.set_aside(session, campaign), snoozed=listing.snoozed(session, campaign, now),
        form=EmptyForm(), thank_form=thank_form or _thank_form(campaign), bar_form=bar_form or _bar_form(campaign),
        problems=problems or [], result=result, created=created or [],
        open=is_open, can_manage=bool(allowed(Action.manage_campaign, campaign))), status


def _thank_url(nominate: str, person: listing.Shown, link: str) -> str:
    return f"{nominate}&{urlencode({'user': person.username, **({'link': link} if link else {})})}"


@bp.get("/campaigns/<slug>/suggestions")
def index(slug: str) -> tuple[str, int]:
    campaign = campaigns.get(db_session(), slug)
    require(Action.see_report, campaign)
    return _render(campaign)


def _user_id() -> int:
    found = ids.parse(request.form.get("user_id"))
    if found is None:
        raise NotFound("kudos-suggestions-unknown-person")
    return found


def _decide(slug: str, decide: Any, done_key: str) -> Response | tuple[str, int]:
    campaign = campaigns.get(db_session(), slug)
    actor = require(Action.manage_campaign, campaign)
    if not EmptyForm().validate_on_submit():
        return _render(campaign, 400, problems=[msg("kudos-participants-form-expired")])
    try:
        user_id = _user_id()
        with current_database().transaction() as session:
            row = decide(session, campaigns.get(session, slug), user_id, actor.username, utcnow())
            name = row.username
    except DomainError as error:
        return _render(campaign, 404 if isinstance(error, NotFound) else 409, problems=[msg(error)])
    flash(msg(done_key, bdi(name), campaign.suggest_snooze_days))
    return redirect(url_for("suggestions.index", slug=slug))


@bp.post("/campaigns/<slug>/suggestions/snooze")
def snooze(slug: str) -> Response | tuple[str, int]:
    return _decide(slug, decisions.snooze, "kudos-suggestions-snoozed")


@bp.post("/campaigns/<slug>/suggestions/dismiss")
def dismiss(slug: str) -> Response | tuple[str, int]:
    return _decide(slug, decisions.dismiss, "kudos-suggestions-dismissed")


@bp.post("/campaigns/<slug>/suggestions/restore")
def restore(slug: str) -> Response | tuple[str, int]:
    return _decide(slug, lambda s, c, u, a, _now: decisions.restore(s, c, u, a), "kudos-suggestions-restored")


@bp.post("/campaigns/<slug>/suggestions/thank")
def thank(slug: str) -> Response | tuple[str, int]:
    """Several people at once: each ticked person with their own line, through the bulk page's rules."""
    campaign = campaigns.get(db_session(), slug)
    actor = require(Action.bulk_nominate, campaign)
    form = _thank_form(campaign)
    if not form.validate_on_submit():
        return _render(campaign, 400, thank_form=form, problems=[msg("kudos-suggestions-check-form")])
    picked = [ids.parse(p) for p in dict.fromkeys(request.form.getlist("pick"))]
    if None in picked:
        return _render(campaign, 400, thank_form=form, problems=[msg("kudos-suggestions-unknown-person")])
    picks = [(p, request.form.get(f"line-{p}", "")) for p in picked if p is not None]
    try:
        with current_database().transaction() as session:
            result = decisions.thank_several(
                session, current_config(), campaign=campaigns.get(session, slug), organizer=actor.username,
                picks=picks, award=form.award.data or "", approve=bool(form.approve.data),
                lookup=lookup_for(campaign.wiki), now=utcnow())
            created = [n.recipient for n in result.created]
    except DomainError as error:
        status = 429 if isinstance(error, allowance.AllowanceSpent) else 404 if isinstance(error, NotFound) else 400
        return _render(campaign, status, thank_form=form, problems=[msg(error)])
    if result.problems:
        return _render(campaign, 400 if not created else 200, thank_form=form, result=result, created=created)
    flash(msg("kudos-bulk-created-approved" if result.approved else "kudos-bulk-created-pending", len(created)))
    return redirect(url_for("suggestions.index", slug=slug))


@bp.post("/campaigns/<slug>/suggestions/settings")
def settings(slug: str) -> Response | tuple[str, int]:
    campaign = campaigns.get(db_session(), slug)
    actor = require(Action.manage_campaign, campaign)
    form = _bar_form(campaign)
    if not form.validate_on_submit():
        return _render(campaign, 400, bar_form=form, problems=[msg("kudos-suggestions-check-form")])
    try:
        with current_database().transaction() as session:
            suggestion_bar.update(session, campaigns.get(session, slug), actor.username,
                                  **{key: getattr(form, key).data for key in suggestion_bar.LIMITS})
    except DomainError as error:
        return _render(campaign, 400, bar_form=form, problems=[msg(error)])
    flash(msg("kudos-suggestions-settings-saved"))
    return redirect(url_for("suggestions.index", slug=slug))
