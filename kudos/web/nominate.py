"""Nominating someone: the form, a preview rendered by the wiki itself, and the confirmation.

Every check runs again on confirmation, because the hidden fields of the preview page come back from the
browser and anything may have changed in between. A failed check re-displays the form with everything
the person typed and a sentence next to the field at fault. Wiki outages become a sentence, never a 500.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, flash, redirect, render_template, request, url_for
from markupsafe import Markup
from sqlalchemy import or_, select
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from kudos import accounts, allowance, nominations, people, plaintext
from kudos.access import Action, Actor, may
from kudos.awards import Award, offered
from kudos.clock import utcnow
from kudos.errors import DomainError
from kudos.models import Campaign, MemberRole
from kudos.names import canonical_username
from kudos.preview import Draft, preview_wikitext, sanitize_wiki_html, talk_page_title
from kudos.suggestions import decisions as suggestion_decisions
from kudos.suggestions import listing as suggestion_listing
from kudos.web import prefill
from kudos.web.context import current_config, current_database, db_session, wiki_api
from kudos.web.formats import day_tag
from kudos.web.forms import NominationForm
from kudos.web.guard import allowed, require
from kudos.web.i18n import bdi, msg
from kudos.web.suggestion_text import SUGGESTIONS, suggestion_message
from kudos.wikiapi import WikiUnavailable

bp = Blueprint("nominate", __name__)

Page = tuple[str, int]


@dataclass
class Checked:
    campaign: Campaign
    award: Award
    draft: Draft
    trusted: bool
    recipient_ids: accounts.Ids | None = None  # as the wiki reported them during the checks


def open_campaigns() -> list[Campaign]:
    now = utcnow()
    return list(db_session().scalars(
        select(Campaign)
        .where(Campaign.closed_at.is_(None), or_(Campaign.starts.is_(None), Campaign.starts <= now),
               or_(Campaign.ends.is_(None), Campaign.ends >= now))
        .order_by(Campaign.name, Campaign.id)))


def _require_may_nominate(campaigns: list[Campaign]) -> Actor:
    """Signed in and allowed to nominate in at least one open campaign; else sign-in redirect or 403."""
    if not campaigns:
        return require(Action.manage_self)  # only "are you signed in"; the page then says nothing is open
    for campaign in campaigns:
        if allowed(Action.nominate, campaign):
            return require(Action.nominate, campaign)
    return require(Action.nominate, campaigns[0])


def _prepare(form: NominationForm, campaigns: list[Campaign], wanted: str | None = None) -> Campaign | None:
    """Fill the choices; the awards offered are those of the chosen campaign's wiki."""
    config = current_config()
    form.campaign.choices = [SelectChoice(c.slug, f"{c.name} ({config.wiki(c.wiki).name})") for c in campaigns]
    if wanted is not None and not form.is_submitted():
        form.campaign.data = wanted
    chosen = next((c for c in campaigns if c.slug == form.campaign.data), None)
    shown = chosen or (campaigns[0] if campaigns else None)
    if shown is not None:
        awards = offered(config, shown)
        form.award.choices = [SelectChoice(a.id, a.name) for a in awards]
        if not form.award.data and not form.is_submitted():
            ids = [a.id for a in awards]
            form.award.data = shown.default_award if shown.default_award in ids else ids[0]
        if chosen is None and not form.is_submitted():
            form.campaign.data = shown.slug
    return shown


def _page(form: NominationForm, campaigns: list[Campaign], campaign: Campaign | None, status: int = 200,
          general: list[str] | None = None, notices: list[Markup] | None = None, via: str | None = None) -> Page:
    config = current_config()
    awards = offered(config, campaign) if campaign else ()
    wiki = config.wiki(campaign.wiki) if campaign else None
    via = request.form.get("via", "") if via is None else via
    return render_template("nominate.html", form=form, campaigns=campaigns, campaign=campaign, awards=awards,
                           wiki=wiki, general=general or [], notices=notices or [],
                           via=SUGGESTIONS if via == SUGGESTIONS else ""), status


@bp.get("/nominate")
def form() -> Page:
    """The form, filled in from the URL contract (kudos.web.prefill) and, for organizers coming from the
    suggestions page (`via=suggestions`), with a message citing what the person did."""
    campaigns = open_campaigns()
    actor = _require_may_nominate(campaigns)
    given = prefill.read(current_config(), campaigns, request.args)
    nomination_form = NominationForm()
    campaign = _prepare(nomination_form, campaigns, given.campaign.slug if given.campaign else None)
    nomination_form.recipient.data = given.recipient or None
    nomination_form.link.data = given.link or None
    notices = [_campaign_notice(request.args.get("campaign") or "") if notice.kind == "campaign" else _notice(notice)
               for notice in given.notices]
    via = ""
    if request.args.get("via") == SUGGESTIONS and given.campaign is not None and given.recipient:
        suggested = _suggested_message(actor, given.campaign, given.recipient, given.link)
        if suggested:
            nomination_form.message.data, via = suggested, SUGGESTIONS
    return _page(nomination_form, campaigns, campaign, notices=notices, via=via)


def _notice(notice: prefill.Notice) -> Markup:
    sentence = msg(f"kudos-prefill-{notice.kind}", bdi(notice.value))
    return Markup(" ").join([sentence, msg(notice.detail)]) if notice.detail else sentence


def _campaign_notice(wanted: str) -> Markup:
    """Why the campaign the link names cannot be chosen: no such campaign, over, or not begun yet."""
    slug = plaintext.line(wanted)
    found = db_session().scalar(select(Campaign).where(Campaign.slug == slug)) if len(slug) <= 64 else None
    if found is None:
        sentence = msg("kudos-prefill-campaign", bdi(prefill.short(slug)))
    elif found.closed_at is not None:
        sentence = msg("kudos-prefill-campaign-ended", bdi(found.name), day_tag(found.closed_at))
    elif found.starts is not None and found.starts > utcnow():
        sentence = msg("kudos-prefill-campaign-not-started", bdi(found.name), day_tag(found.starts))
    elif found.ends is not None and found.ends < utcnow():
        sentence = msg("kudos-prefill-campaign-ended", bdi(found.name), day_tag(found.ends))
    else:  # it opened between the two reads
        sentence = msg("kudos-prefill-campaign-closed", bdi(found.name))
    link = Markup('<a href="{}">{}</a>').format(url_for("directory.index"), msg("kudos-prefill-campaign-directory"))
    return Markup(" ").join([sentence, link])


def _suggested_message(actor: Actor, campaign: Campaign, recipient: str, link: str) -> str:
    """Only for those who may see the campaign's suggestions; empty when there is no current suggestion."""
    if not may(actor, Action.see_report, campaign):
        return ""
    found = suggestion_listing.find(db_session(), campaign, recipient)
    return suggestion_message(found, link) if found is not None else ""


@bp.post("/nominate")
def preview() -> Page:
    campaigns = open_campaigns()
    actor = _require_may_nominate(campaigns)
    nomination_form = NominationForm()
    campaign = _prepare(nomination_form, campaigns)
    if request.form.get("step") == "edit":  # "Change something" on the preview page: back to the form
        return _page(nomination_form, campaigns, campaign)
    checked, status, general = _check(nomination_form, campaigns, actor)
    if checked is None:
        return _page(nomination_form, campaigns, campaign, status, general)
    config = current_config()
    wiki = config.wiki(checked.campaign.wiki)
    wikitext = preview_wikitext(config, checked.draft)
    try:
        html = wiki_api().parse(wiki, wikitext, talk_page_title(checked.draft.recipient))
    except WikiUnavailable as error:
        return _page(nomination_form, campaigns, campaign, 503, [msg(error)])
    # Reviewed: the wiki parser's HTML is passed through an allow-list sanitizer (kudos.preview) before
    # it is marked safe; nothing else in it reaches the page.
    rendered = Markup(sanitize_wiki_html(html, wiki))  # noqa: S704
    return render_template("nominate_preview.html", form=nomination_form, checked=checked, wiki=wiki,
                           rendered=rendered, talk_page=talk_page_title(checked.draft.recipient)), 200


@bp.post("/nominate/confirm")
def confirm() -> Response | Page:
    campaigns = open_campaigns()
    actor = _require_may_nominate(campaigns)
    nomination_form = NominationForm()
    campaign = _prepare(nomination_form, campaigns)
    checked, status, general = _check(nomination_form, campaigns, actor)
    if checked is None:
        return _page(nomination_form, campaigns, campaign, status, general)
    config = current_config()
    draft = checked.draft
    try:
        with current_database().transaction() as session:
            stored_campaign = session.get(Campaign, checked.campaign.id)
            assert stored_campaign is not None
            nomination = nominations.nominate(
                session, config, campaign=stored_campaign, nominator=actor.username, recipient=draft.recipient,
                award=draft.award, message=draft.message, link=draft.link, recipient_ids=checked.recipient_ids)
            if checked.trusted:
                nominations.auto_approve(session, config, nomination)
            if request.form.get("via") == SUGGESTIONS and may(actor, Action.see_report, stored_campaign):
                suggestion_decisions.record_thanks(session, stored_campaign, [nomination], utcnow())
    except allowance.AllowanceSpent as spent:
        return _page(nomination_form, campaigns, campaign, 429, [_spent(spent.per_day)])
    except DomainError as error:
        return _page(nomination_form, campaigns, campaign, 409, [msg(error)])
    if checked.trusted:
        flash(msg("kudos-nominate-done-trusted", bdi(draft.recipient), bdi(checked.campaign.name)))
    else:
        flash(msg("kudos-nominate-done", bdi(draft.recipient), bdi(checked.campaign.name)))
    return redirect(url_for("me.index"))


def _check(form: NominationForm, campaigns: list[Campaign], actor: Actor) -> tuple[Checked | None, int, list[str]]:
    """Every rule, cheapest first; wiki questions only once the form itself is fine."""
    config = current_config()
    if not form.validate():
        return None, 400, []
    campaign = next((c for c in campaigns if c.slug == form.campaign.data), None)
    if campaign is None:
        form.campaign.errors.append(msg("kudos-nominate-campaign-not-open"))
        return None, 400, []
    decision = allowed(Action.nominate, campaign)
    if not decision:
        form.campaign.errors.append(msg(decision))
        return None, 400, []
    if not allowance.left(db_session(), config, actor.username):
        # Said before the wiki is asked anything; confirming counts the allowance for real.
        return None, 429, [_spent(allowance.per_day(config))]
    wiki = config.wiki(campaign.wiki)
    awards = {a.id: a for a in offered(config, campaign)}
    award = awards.get(form.award.data or "")
    if award is None:
        form.award.errors.append(msg("kudos-nominate-award-not-offered", wiki.name))
    recipient = canonical_username(form.recipient.data or "")
    if recipient == actor.username:
        form.recipient.errors.append(msg("kudos-nominate-self"))
    elif people.is_opted_out(db_session(), recipient):
        form.recipient.errors.append(msg("kudos-nominate-opted-out", bdi(recipient)))
    elif nominations.has_pending(db_session(), campaign, actor.username, recipient):
        form.recipient.errors.append(msg("kudos-nominate-duplicate", bdi(recipient), bdi(campaign.name)))
    if form.errors or award is None:
        return None, 400, []
    try:
        link, recipient_ids = _check_wiki(form, campaign, actor, recipient)
    except WikiUnavailable as error:
        return None, 503, [msg(error)]
    if form.errors or link is None:
        return None, 400, []
    trusted = actor.username in campaign.usernames(MemberRole.trusted)
    draft = Draft(campaign=campaign, wiki=campaign.wiki, nominator=actor.username, recipient=recipient,
                  award=award.id, message=form.message.data or "", link=link,
                  reviewer=nominations.TRUSTED_PREFIX + actor.username if trusted else None)
    return Checked(campaign=campaign, award=award, draft=draft, trusted=trusted,
                   recipient_ids=recipient_ids), 200, []


def _check_wiki(form: NominationForm, campaign: Campaign, actor: Actor,
                recipient: str) -> tuple[str | None, accounts.Ids | None]:
    """Recipient and nominator in one list=users request, then the link.

    Returns the link to store and the recipient's account ids, which the nomination records.
    """
    config = current_config()
    wiki = config.wiki(campaign.wiki)
    api = wiki_api()
    infos = api.users(wiki, [recipient, actor.username])
    info = infos.get(recipient)
    if info is None or info.invalid:
        form.recipient.errors.append(msg("kudos-nominate-invalid-user", bdi(_short(recipient))))
    elif not info.exists:
        form.recipient.errors.append(msg("kudos-nominate-no-user", bdi(_short(recipient)), wiki.name))
    elif info.blocked:
        form.recipient.errors.append(msg("kudos-nominate-blocked", bdi(recipient), wiki.name))
    me = infos.get(actor.username)
    if me is not None and me.exists:
        # The campaign's rules apply to the nominator's account on the campaign's wiki.
        local = Actor(actor.username, blocked=actor.blocked or me.blocked, editcount=me.editcount,
                      admin=actor.admin, organizes=actor.organizes)
        decision = may(local, Action.nominate, campaign)
        if not decision:
            blocked_there = decision.key == "kudos-access-blocked-nominate"
            form.campaign.errors.append(msg("kudos-access-blocked-nominate-on-wiki", wiki.name) if blocked_there
                                        else msg(decision))
    link = ""
    if form.link.data:
        try:
            link = api.resolve_link(wiki, form.link.data).target
        except WikiUnavailable:
            raise
        except DomainError as error:
            form.link.errors.append(msg(error))
            return None, None
    ids = accounts.Ids(info.user_id, info.central_id) if info is not None and info.exists else None
    return link, ids


def _spent(per_day: int) -> Markup:
    """Today's allowance is used up: the form comes back with everything typed, and this above it."""
    return Markup(" ").join([msg("kudos-ratelimit-text", per_day), msg("kudos-ratelimit-not-saved"),
                             msg("kudos-ratelimit-tomorrow"), msg("kudos-ratelimit-kept")])


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
