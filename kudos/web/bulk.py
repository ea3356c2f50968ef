"""After an event: `/campaigns/<slug>/bulk`, where an organizer thanks a whole participant list at once."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, current_app, render_template
from werkzeug.wrappers import Response
from wtforms import BooleanField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from kudos import allowance, bulk, campaigns
from kudos.access import Action
from kudos.awards import offered
from kudos.errors import DomainError, NotFound
from kudos.models import Campaign
from kudos.web.context import current_config, current_database, db_session, wiki_api
from kudos.web.forms import Form
from kudos.web.guard import require
from kudos.web.i18n import lazy_msg, msg

bp = Blueprint("bulk", __name__)

LookupFactory = Callable[[str], bulk.Lookup]


class BulkForm(Form):
    names = TextAreaField(lazy_msg("kudos-bulk-names-label"), validators=[
        DataRequired(lazy_msg("kudos-bulk-names-required")), Length(max=200_000)])
    message = TextAreaField(lazy_msg("kudos-bulk-message-label"), validators=[Length(max=2000)])
    award = SelectField(lazy_msg("kudos-nominate-award-label"), validate_choice=True)
    approve = BooleanField(lazy_msg("kudos-bulk-approve-label"))


def lookup_for(wiki: str) -> bulk.Lookup:
    """The wiki's batched user lookup; tests and the shared MediaWiki client plug in through the app."""
    factory: LookupFactory | None = current_app.extensions.get("kudos.user_lookup")
    if factory is not None:
        return factory(wiki)
    client = wiki_api()
    return lambda names: client.users(wiki, names)


def _form(campaign: Campaign) -> BulkForm:
    form = BulkForm()
    form.award.choices = [(a.id, a.name) for a in offered(current_config(), campaign)]
    if form.award.data is None:
        form.award.data = campaign.default_award or form.award.choices[0][0]
    return form


@bp.get("/campaigns/<slug>/bulk")
def form(slug: str) -> str:
    campaign = campaigns.get(db_session(), slug)
    require(Action.manage_campaign, campaign)
    return render_template("bulk.html", campaign=campaign, form=_form(campaign), result=None)


@bp.post("/campaigns/<slug>/bulk")
def submit(slug: str) -> Response | tuple[str, int]:
    campaign = campaigns.get(db_session(), slug)
    actor = require(Action.bulk_nominate, campaign)
    form = _form(campaign)
    if not form.validate_on_submit():
        return render_template("bulk.html", campaign=campaign, form=form, result=None), 400
    try:
        with current_database().transaction() as session:
            result = bulk.create(session, current_config(), campaign=campaigns.get(session, slug),
                                 organizer=actor.username, text=form.names.data or "",
                                 default_message=form.message.data or "", award=form.award.data or "",
                                 approve=bool(form.approve.data), lookup=lookup_for(campaign.wiki))
            created = [n.recipient for n in result.created]
    except NotFound:
        raise
    except DomainError as error:
        form.names.errors = [*form.names.errors, msg(error)]
        status = 429 if isinstance(error, allowance.AllowanceSpent) else 400
        return render_template("bulk.html", campaign=campaign, form=form, result=None), status
    # Keep only the lines with problems in the box, so the organizer fixes them and sends again.
    by_number = {line.number: line for line in result.problems}
    kept = [raw for number, raw in enumerate((form.names.data or "").splitlines(), start=1) if number in by_number]
    form.names.data = "\n".join(kept)
    status = 200 if created or not result.problems else 400
    return render_template("bulk.html", campaign=campaign, form=form, result=result, created=created), status
