"""`/campaigns/new` and `/campaigns/<slug>/settings`: organizers make, change and close their campaigns.

The rules are in `kudos.campaign_settings` (every field's refusal) and `kudos.access` (who may create on
which wiki: tool admins, and people over the wiki's creation bar, read from the wiki when they act; who may
change a campaign: its organizers and admins). Dates are typed and shown in the wiki's time zone.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, abort, flash, jsonify, make_response, redirect, render_template, request, url_for
from werkzeug.wrappers import Response
from wtforms import RadioField, SelectChoice, SelectField, SelectMultipleField, StringField, TextAreaField

from kudos import campaign_settings, campaigns, plaintext
from kudos.access import Action, NewCampaign, Shortfall, creation_shortfalls, may
from kudos.awards import catalogue
from kudos.campaign_settings import Invalid, Settings
from kudos.config import Config
from kudos.models import Campaign, CampaignKind, MemberRole
from kudos.web.context import current_config, current_database, db_session
from kudos.web.forms import EmptyForm, Form, UsernameForm
from kudos.web.guard import acting_actor, allowed, current_actor, require
from kudos.web.i18n import bdi, lazy_msg, msg, msg_text

bp = Blueprint("campaign_form", __name__)

DATE_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d")
# Each field's label, for the history's lines (written out so the message scan finds every key).
LABELS = {"name": "kudos-campaign-form-name", "slug": "kudos-campaign-form-slug", "wiki": "kudos-campaign-form-wiki",
          "kind": "kudos-campaign-form-kind", "starts": "kudos-campaign-form-starts",
          "ends": "kudos-campaign-form-ends", "description": "kudos-campaign-form-description",
          "awards": "kudos-campaign-form-awards", "default_award": "kudos-campaign-form-default-award",
          "min_editcount": "kudos-campaign-form-min-editcount", "trusted": "kudos-campaign-form-trusted",
          "channels": "kudos-campaign-form-channels", "event_url": "kudos-campaign-form-event-url"}
KIND_LABELS = {CampaignKind.event: "kudos-campaign-form-kind-event",
               CampaignKind.workshop: "kudos-campaign-form-kind-workshop",
               CampaignKind.community: "kudos-campaign-form-kind-community"}


class CampaignForm(Form):
    """Every setting of a campaign. Choices are filled per request; the core checks them with sentences of
    its own, so WTForms' generic "Not a valid choice" never shows."""

    name = StringField(lazy_msg("kudos-campaign-form-name"))
    slug = StringField(lazy_msg("kudos-campaign-form-slug"))
    wiki = SelectField(lazy_msg("kudos-campaign-form-wiki"), choices=[], validate_choice=False)
    kind = RadioField(lazy_msg("kudos-campaign-form-kind"), validate_choice=False,
                      choices=[SelectChoice("event", lazy_msg("kudos-campaign-form-kind-event")),
                               SelectChoice("workshop", lazy_msg("kudos-campaign-form-kind-workshop"))])
    starts = StringField(lazy_msg("kudos-campaign-form-starts"))
    ends = StringField(lazy_msg("kudos-campaign-form-ends"))
    description = TextAreaField(lazy_msg("kudos-campaign-form-description"))
    awards = SelectMultipleField(lazy_msg("kudos-campaign-form-awards"), choices=[], validate_choice=False)
    default_award = SelectField(lazy_msg("kudos-campaign-form-default-award"), choices=[], validate_choice=False)
    min_editcount = StringField(lazy_msg("kudos-campaign-form-min-editcount"))
    trusted = TextAreaField(lazy_msg("kudos-campaign-form-trusted"))
    channels = SelectMultipleField(lazy_msg("kudos-campaign-form-channels"), choices=[], validate_choice=False)
    event_url = StringField(lazy_msg("kudos-campaign-form-event-url"))


# -- who may create, and where ---------------------------------------------------------------------------

def _creatable() -> tuple[list[str], dict[str, list[Shortfall]]]:
    """The wikis the signed-in person may create a campaign on, and what they lack on the others.

    Anonymous and blocked people are refused here as everywhere (`require`); others are measured against
    each wiki's bar, asked of the wiki now (its answers are cached for a couple of minutes)."""
    config = current_config()
    first = NewCampaign.on(config, next(iter(config.wikis)))
    actor = current_actor()
    if actor is None or actor.blocked or actor.admin:
        require(Action.create_campaign, first)
        return list(config.wikis), {}
    acting = acting_actor(set(config.wikis))
    assert acting is not None and acting.standing is not None
    ok, lacking, unavailable = [], {}, []
    for wiki in config.wikis:
        decision = may(acting, Action.create_campaign, NewCampaign.on(config, wiki))
        if decision:
            ok.append(wiki)
        elif decision.unavailable:
            unavailable.append(msg(decision))
        else:
            lacking[wiki] = creation_shortfalls(config.creation_bar(wiki), acting.standing[wiki])
    if not ok and unavailable and not lacking:
        page = render_template("error.html", title_key="kudos-error-unavailable-title", text=unavailable[0])
        abort(make_response(page, 503, {"Retry-After": "60"}))
    return ok, lacking


def _refused(lacking: dict[str, list[Shortfall]]) -> tuple[str, int]:
    config = current_config()
    reasons = [(config.wiki_name(wiki), [msg(s.key, *s.params) for s in found]) for wiki, found in lacking.items()]
    return render_template("campaign_new_refused.html", reasons=reasons, admins=sorted(config.admins),
                           contact=config.contact), 403


# -- the form ------------------------------------------------------------------------------------------

def _choices(form: CampaignForm, config: Config, wikis: list[str]) -> None:
    form.wiki.choices = [SelectChoice(w, msg("kudos-campaign-form-wiki-option", config.wiki_name(w),
                                             config.wiki(w).timezone)) for w in wikis]
    awards: dict[str, str] = {}
    for wiki in wikis:
        awards.update((a.id, a.name) for a in catalogue(config, wiki))
    form.awards.choices = list(awards.items())
    form.default_award.choices = [("", msg("kudos-campaign-form-default-award-none")), *awards.items()]
    channels = [name for name in config.channels if any(name in config.channels_for(w) for w in wikis)]
    form.channels.choices = [(name, name) for name in channels]


def _fill(form: CampaignForm, config: Config, campaign: Campaign) -> None:
    """The campaign's current settings, in the form's words and the wiki's time."""
    wiki = config.wikis.get(campaign.wiki)
    form.name.data, form.wiki.data, form.kind.data = campaign.name, campaign.wiki, campaign.kind.value
    form.starts.data = _local(campaign.starts, config, campaign.wiki)
    form.ends.data = _local(campaign.ends, config, campaign.wiki)
    form.description.data = campaign.description or ""
    form.awards.data = list(campaign.awards) if campaign.awards is not None else \
        [a.id for a in catalogue(config, campaign.wiki)] if wiki else []
    form.default_award.data = campaign.default_award or ""
    form.min_editcount.data = "" if campaign.min_editcount is None else str(campaign.min_editcount)
    form.trusted.data = "\n".join(sorted(campaign.usernames(MemberRole.trusted)))
    form.channels.data = list(campaign.channels or [])
    form.event_url.data = campaign.event_url or ""


def _local(moment: datetime | None, config: Config, wiki_id: str) -> str:
    if moment is None:
        return ""
    wiki = config.wikis.get(wiki_id)
    shown = campaign_settings.utc_to_local(moment, wiki) if wiki else moment
    return shown.strftime("%Y-%m-%dT%H:%M")


def _read(form: CampaignForm, config: Config) -> Settings | None:
    """The typed settings, or None with a sentence next to each field that is not even readable."""
    wiki = config.wikis.get(form.wiki.data or "")
    moments: dict[str, datetime | None] = {}
    for field in (form.starts, form.ends):
        text = (field.data or "").strip()
        moments[field.name] = None
        if not text:
            continue
        parsed = _date(text)
        if parsed is None:
            field.errors.append(msg("kudos-campaign-form-date-bad"))
        else:
            moments[field.name] = campaign_settings.local_to_utc(parsed, wiki) if wiki else parsed
    min_edits: int | None = None
    typed = (form.min_editcount.data or "").strip()
    if typed:
        try:
            min_edits = int(typed)
        except ValueError:
            form.min_editcount.errors.append(msg("kudos-campaign-form-number-bad"))
    try:
        kind = CampaignKind(form.kind.data or "")
    except ValueError:
        form.kind.errors.append(msg("kudos-error-campaign-kind"))
        kind = CampaignKind.event
    if any(f.errors for f in form):
        return None
    checked = list(form.awards.data or [])
    whole = [a.id for a in catalogue(config, wiki.id)] if wiki else []
    return Settings(
        name=form.name.data or "", slug=form.slug.data or "", wiki=form.wiki.data or "", kind=kind,
        starts=moments["starts"], ends=moments["ends"], description=form.description.data or "",
        awards=None if wiki and sorted(checked) == sorted(whole) else checked,
        default_award=form.default_award.data or None, min_editcount=min_edits,
        trusted=[n for n in (form.trusted.data or "").splitlines() if n.strip()],
        channels=list(form.channels.data or []), event_url=form.event_url.data or "")


def _date(text: str) -> datetime | None:
    for pattern in DATE_FORMATS:
        try:
            moment = datetime.strptime(text, pattern)
        except ValueError:
            continue
        # Years far from now are typos, and a time zone shift at the calendar's ends would overflow.
        return moment if 2000 <= moment.year <= 9000 else None
    return None


def _show(form: CampaignForm, error: Invalid) -> None:
    for name, problem in error.problems.items():
        getattr(form, name).errors.append(msg(problem))


# -- creating --------------------------------------------------------------------------------------------

def _new_page(form: CampaignForm, status: int = 200) -> tuple[str, int]:
    # Plain text: the script writes it into the page as text when a typed short name is free.
    return render_template("campaign_new.html", form=form, slug_free=msg_text("kudos-campaign-form-slug-free")), status


@bp.get("/campaigns/new")
def new() -> tuple[str, int]:
    wikis, lacking = _creatable()
    if not wikis:
        return _refused(lacking)
    form = CampaignForm()
    _choices(form, current_config(), wikis)
    form.kind.data = "event"
    form.awards.data = [value for value, _label in form.awards.choices]  # the whole catalogue, unless narrowed
    return _new_page(form)


@bp.get("/campaigns/new/slug")
def slug_check() -> Response:
    """Whether a short name is still free, for the form to say so as it is typed (the submit checks again).
    Only whether a campaign exists is told, which its public page tells anyone anyway."""
    require(Action.manage_self)  # signed in: the form's readers
    slug = plaintext.line(request.args.get("slug", ""))[:100]
    refused = campaign_settings.slug_problem(db_session(), slug)
    message = msg_text(refused.key, *refused.params) if refused else None
    return jsonify(slug=slug, available=refused is None, message=message)


@bp.post("/campaigns/new")
def create() -> Response | tuple[str, int]:
    wikis, lacking = _creatable()
    if not wikis:
        return _refused(lacking)
    config = current_config()
    form = CampaignForm()
    _choices(form, config, wikis)
    if not form.validate_on_submit():
        return _new_page(form, 400)
    wiki = form.wiki.data or ""
    if wiki in lacking:
        form.wiki.errors.extend(msg(s.key, *s.params) for s in lacking[wiki])
        return _new_page(form, 400)
    settings = _read(form, config)
    if settings is None:
        return _new_page(form, 400)
    actor = require(Action.create_campaign, NewCampaign.on(config, wiki)) if wiki in config.wikis else None
    try:
        with current_database().transaction() as session:
            if actor is None:  # an unknown wiki: refused field by field below, nothing is written
                raise Invalid(campaign_settings.problems(session, config, campaign_settings.clean(settings)))
            campaign = campaign_settings.create(session, config, settings, actor.username)
            slug, name = campaign.slug, campaign.name
    except Invalid as error:
        _show(form, error)
        return _new_page(form, 400)
    flash(msg("kudos-campaign-new-created", bdi(name)))
    return redirect(url_for("campaign_form.settings", slug=slug))


# -- changing and closing --------------------------------------------------------------------------------

def _settings_page(campaign: Campaign, form: CampaignForm, status: int = 200) -> tuple[str, int]:
    config = current_config()
    session = db_session()
    changes = campaign_settings.history(session, campaign)
    wiki = config.wikis.get(campaign.wiki)
    return render_template(
        "campaign_settings.html", campaign=campaign, form=form, close_form=EmptyForm(), appoint_form=UsernameForm(),
        organizers=sorted(campaign.organizers), may_appoint=bool(allowed(Action.appoint, campaign)),
        changes=changes, change_lines=change_lines, timezone=wiki.timezone if wiki else "UTC",
        local=lambda moment: _local(moment, config, campaign.wiki).replace("T", " "),
        wiki_locked=campaign_settings.has_nominations(session, campaign),
        closed_at=_local(campaign.closed_at, config, campaign.wiki).replace("T", " ")), status


def _edit_form(campaign: Campaign) -> CampaignForm:
    config = current_config()
    form = CampaignForm()
    _choices(form, config, list(config.wikis))
    if not form.is_submitted():
        _fill(form, config, campaign)
    if campaign.kind not in campaign_settings.KINDS:
        form.kind.choices = [SelectChoice(campaign.kind.value, msg(KIND_LABELS[campaign.kind]))]
    return form


@bp.get("/campaigns/<slug>/settings")
def settings(slug: str) -> tuple[str, int]:
    campaign = campaigns.get(db_session(), slug)
    if not may(current_actor(), Action.edit_campaign, campaign):  # showing the form; saving asks the wiki
        require(Action.edit_campaign, campaign)
    return _settings_page(campaign, _edit_form(campaign))


@bp.post("/campaigns/<slug>/settings")
def save(slug: str) -> Response | tuple[str, int]:
    config = current_config()
    shown = campaigns.get(db_session(), slug)
    require(Action.edit_campaign, shown)  # asks the wiki before the transaction
    form = _edit_form(shown)
    if not form.validate_on_submit():
        return _settings_page(shown, form, 400)
    settings_typed = _read(form, config)
    if settings_typed is None:
        return _settings_page(shown, form, 400)
    try:
        with current_database().transaction() as session:
            campaign = campaigns.get(session, slug)
            actor = require(Action.edit_campaign, campaign)
            changed = campaign_settings.update(session, config, campaign, settings_typed, actor.username)
            name = campaign.name
    except Invalid as error:
        _show(form, error)
        return _settings_page(shown, form, 400)
    flash(msg("kudos-campaign-settings-saved", bdi(name)) if changed else msg("kudos-campaign-settings-unchanged"))
    return redirect(url_for("campaign_form.settings", slug=slug))


@bp.post("/campaigns/<slug>/close")
def close(slug: str) -> Response:
    require(Action.edit_campaign, campaigns.get(db_session(), slug))
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    with current_database().transaction() as session:
        campaign = campaigns.get(session, slug)
        actor = require(Action.edit_campaign, campaign)
        closed = campaign_settings.close(session, campaign, actor.username)
        name = campaign.name
    flash(msg("kudos-campaign-closed", bdi(name)) if closed else msg("kudos-campaign-already-closed", bdi(name)))
    return redirect(url_for("campaign_form.settings", slug=slug))


def change_lines(details: dict[str, Any]) -> list[tuple[str, str, str]]:
    """A settings change as (label, before, after) lines for the history."""
    before, after = details.get("before") or {}, details.get("after") or {}
    if not isinstance(before, dict) or not isinstance(after, dict):
        return []
    lines = [(key, _text(before.get(key)), _text(after.get(key))) for key in after if key in LABELS]
    return [(msg(LABELS[key]), old, new) for key, old, new in lines if old != new]


def _text(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "–"
    return str(value)

