"""Organizer insight: participants, the follow-up list, the campaign report (HTML, SVG chart, CSV) and the
organizer's dashboard with follow-up reminders. Every figure comes from the database; no page calls a wiki."""

from __future__ import annotations

from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from markupsafe import Markup
from werkzeug.wrappers import Response

from kudos import campaign_settings, campaigns, participants, report
from kudos import dashboard as dashboard_figures
from kudos.access import Action
from kudos.clock import utcnow
from kudos.errors import DomainError
from kudos.models import Campaign, ParticipantSource
from kudos.web import dashboard_cards
from kudos.web.context import current_config, current_database, db_session
from kudos.web.forms import EmptyForm
from kudos.web.guard import require
from kudos.web.i18n import msg

bp = Blueprint("insight", __name__)

FOLLOW_UP_LIMIT = 500  # the page stays usable; the CSV-minded can page through the participants list


def _participants_page(campaign: Campaign, status: int = 200, **errors: str) -> tuple[str, int]:
    people = participants.listed(db_session(), campaign, include_hidden=True)
    typed = request.form if request.method == "POST" else _event_import(campaign)
    return render_template("participants.html", campaign=campaign, people=people, form=EmptyForm(),
                           settings=participants.settings(current_config()), errors=errors,
                           typed=typed), status


def _event_import(campaign: Campaign) -> dict[str, str]:
    """The import fields filled from the campaign's event page, so organizers need not type it again."""
    if not campaign.event_url:
        return {}
    try:
        source, value = campaign_settings.event_source(current_config(), campaign.event_url)
    except DomainError:
        return {}  # a link saved before the Dashboard's address was configured differently
    return {"course": value} if source == ParticipantSource.dashboard else {"event": value}


@bp.get("/campaigns/<slug>/participants")
def participants_index(slug: str) -> tuple[str, int]:
    campaign = campaigns.get(db_session(), slug)
    require(Action.manage_campaign, campaign)
    return _participants_page(campaign)


def _read(source: ParticipantSource) -> participants.Parsed:
    config = current_config()
    if source == ParticipantSource.paste:
        return participants.parse_paste(request.form.get("names", ""))
    if source == ParticipantSource.csv:
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            raise DomainError("kudos-participants-csv-missing")
        return participants.parse_csv(upload.read())
    if source == ParticipantSource.dashboard:
        return participants.fetch_dashboard(config, request.form.get("course", ""))
    return participants.fetch_campaignevents(config, request.form.get("event", ""))


@bp.post("/campaigns/<slug>/participants")
def participants_add(slug: str) -> Response | tuple[str, int]:
    campaign = campaigns.get(db_session(), slug)
    actor = require(Action.manage_campaign, campaign)
    form = EmptyForm()
    if not form.validate_on_submit():
        return _participants_page(campaign, 400, form=msg("kudos-participants-form-expired"))
    try:
        source = ParticipantSource(request.form.get("source", ""))
    except ValueError:
        return _participants_page(campaign, 400, form=msg("kudos-participants-no-source"))
    try:
        # Fetching from the Dashboard or CampaignEvents happens before the transaction, so a slow
        # server never holds a database lock.
        parsed = _read(source)
        with current_database().transaction() as session:
            added, known = participants.add(session, campaigns.get(session, slug), parsed.names, source,
                                            actor.username)
    except DomainError as error:
        return _participants_page(campaign, 400, **{source.value: msg(error)})
    parts = [msg("kudos-participants-added-known", added, known) if known else msg("kudos-participants-added", added)]
    if parsed.withheld:
        parts.append(msg("kudos-participants-withheld", parsed.withheld))
    if parsed.rejected:
        parts.append(msg("kudos-participants-rejected", ", ".join(parsed.rejected[:10])))
    flash(Markup(" ").join(parts))
    return redirect(url_for("insight.participants_index", slug=slug))


@bp.post("/campaigns/<slug>/participants/hide")
def participants_hide(slug: str) -> Response | tuple[str, int]:
    campaign = campaigns.get(db_session(), slug)
    actor = require(Action.manage_campaign, campaign)
    if not EmptyForm().validate_on_submit():
        return _participants_page(campaign, 400, form=msg("kudos-participants-form-expired"))
    hidden = request.form.get("hidden") == "1"
    try:
        with current_database().transaction() as session:
            participants.set_hidden(session, campaigns.get(session, slug), request.form.get("username", ""),
                                    hidden, actor.username)
    except DomainError as error:
        return _participants_page(campaign, 400, form=msg(error))
    return redirect(url_for("insight.participants_index", slug=slug))


@bp.get("/campaigns/<slug>/follow-up")
def follow_up(slug: str) -> str:
    session = db_session()
    campaign = campaigns.get(session, slug)
    require(Action.see_report, campaign)
    people = report.follow_up(session, campaign, limit=FOLLOW_UP_LIMIT + 1)
    return render_template("follow_up.html", campaign=campaign, people=people[:FOLLOW_UP_LIMIT],
                           more=len(people) > FOLLOW_UP_LIMIT, limit=FOLLOW_UP_LIMIT,
                           reminder=report.reminder_due(campaign, utcnow()))


@bp.get("/campaigns/<slug>/report")
def campaign_report(slug: str) -> str:
    session = db_session()
    campaign = campaigns.get(session, slug)
    require(Action.see_report, campaign)
    built = report.build(session, campaign, utcnow())
    chart = Markup(report.chart_svg(built.retention)) if built.retention else None  # noqa: S704 - built from numbers
    reminder = report.reminder_due(campaign, utcnow())
    return render_template("report.html", campaign=campaign, report=built, chart=chart, percent=report.percent,
                           min_group=report.MIN_GROUP, reminder=reminder,
                           unrecognised=report.unrecognised_count(session, campaign) if reminder else 0)


@bp.get("/campaigns/<slug>/report.csv")
def campaign_report_csv(slug: str) -> Response:
    session = db_session()
    campaign = campaigns.get(session, slug)
    require(Action.see_report, campaign)
    response = make_response(report.to_csv(report.build(session, campaign, utcnow())))
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="kudos-report-{campaign.slug}.csv"'
    return response


@bp.get("/dashboard")
def dashboard() -> str:
    # Any signed-in person may look; it shows only the campaigns they organize (an admin's too: the review
    # queue and the failed deliveries page are where admins see every campaign).
    actor = require(Action.manage_self)
    session = db_session()
    now = utcnow()
    mine = dashboard_figures.organized(session, actor.username, current_config().channels, now,
                                       kept=dashboard_cards.kept())
    return render_template("dashboard.html", reminders=dashboard_figures.reminders(mine, now), campaigns=mine,
                           cards=dashboard_cards.cards_html(mine, now))
