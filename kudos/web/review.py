"""The review queue for organizers, and a campaign's delivery status with retries for failed deliveries."""

from __future__ import annotations

import secrets
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    g,
    get_template_attribute,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response
from wtforms import HiddenField, TextAreaField
from wtforms.validators import Length

from kudos import campaigns, ids, lanes, nominations, review
from kudos.access import Action, may_review
from kudos.awards import award_name
from kudos.errors import DomainError, NotFound
from kudos.lru import SharedLRU
from kudos.models import Nomination
from kudos.social.share import ShareLinks, share_links
from kudos.web import delivery_status
from kudos.web.auth import safe_next
from kudos.web.context import current_config, current_database, db_session
from kudos.web.forms import Form
from kudos.web.guard import acting_actor, require
from kudos.web.i18n import bdi, current_language, msg

bp = Blueprint("review", __name__)


class QueueForm(Form):
    next = HiddenField()  # the queue page (with its filters) to return to


class ApproveForm(QueueForm):
    message = TextAreaField("Message", validators=[Length(max=nominations.MESSAGE_MAX * 2)])


class RejectForm(QueueForm):
    reason = TextAreaField("Reason", validators=[Length(max=2000)])


@dataclass(frozen=True)
class Typed:
    """What the organizer typed into a row's form, shown again when it came back with an error."""

    message: str = ""
    reason: str = ""


NOTHING_TYPED = Typed()
ROW_CACHE = "kudos.review.rows"


def _queue_page(status: int = 200, errors: dict[int, str] | None = None,
                typed: dict[int, Typed] | None = None, here: str | None = None) -> tuple[str, int]:
    actor = require(Action.see_review_queue)
    config = current_config()
    session = db_session()
    here = here or request.full_path.rstrip("?")
    args = MultiDict(parse_qsl(urlsplit(here).query))
    mine = review.campaigns_of(session, actor)
    slug = args.get("campaign") or None
    chosen = next((c for c in mine if c.slug == slug), None)
    wiki = args.get("wiki") or None
    if wiki not in config.wikis:
        wiki = None
    rows = review.queue(session, actor, campaign_id=chosen.id if chosen else None, wiki=wiki,
                        after=review.Cursor.decode(args.get("after")))
    by_id = {c.id: c for c in mine}  # every row's campaign: the queue shows only these campaigns
    decisions = {n.id: may_review(actor, by_id[n.campaign_id], n.nominator, n.recipient) for n in rows}
    refusals = {nomination_id: msg(d) for nomination_id, d in decisions.items() if not d}
    following = None
    if len(rows) == review.QUEUE_PAGE:
        following = url_for("review.queue", campaign=slug if chosen else None, wiki=wiki,
                            after=review.Cursor.of(rows[-1]).encode())
    rows_html = _rows_html(rows, refusals, errors or {}, typed or {}, here)
    return render_template("review.html", rows=rows, rows_html=rows_html, campaigns=mine, chosen=chosen, wiki=wiki,
                           following=following, here=here), status


def _rows_html(rows: list[review.QueueItem], refusals: Mapping[int, str], errors: dict[int, str],
               typed: dict[int, Typed], here: str) -> Markup:
    """The queue's rows, each rendered once and then reused while nothing it shows changes.

    An organizer comes back to the queue after every approval, and all rows but the approved one look as
    before. A row is kept under everything it shows: its nomination (a frozen QueueItem: any change to the
    nomination, its campaign's name included, is a new key), the refusal, the language and the address's
    mount point and `uselang`; messages, award and wiki names only change with a restart. The form's
    per-page fields (the CSRF token, the return address) are never kept: they fill a slot when the page is
    put together. A row shown again with an error or typed text is rendered afresh.
    """
    config = current_config()
    row = get_template_attribute("_review_row.html", "row")
    cache: SharedLRU[Hashable, list[str]]
    cache, slot = current_app.extensions[ROW_CACHE]
    hidden = Markup('<input type="hidden" name="csrf_token" value="{}">\n      '
                    '<input type="hidden" name="next" value="{}">').format(generate_csrf(), here)
    shown_as = (current_language(), g.get("uselang"), request.script_root)

    def render(n: review.QueueItem, kept: Typed, error: str | None, fields: Markup) -> str:
        return str(row(n, award_name(config, n.wiki, n.award), config.wiki_name(n.wiki), refusals.get(n.id), kept,
                       error, fields, url_for("review.approve", nomination_id=n.id),
                       url_for("review.reject", nomination_id=n.id)))

    parts: list[str] = []
    for n in rows:
        if n.id in errors or n.id in typed:
            parts.append(render(n, typed.get(n.id, NOTHING_TYPED), errors.get(n.id), hidden))
            continue
        key = (n, refusals.get(n.id), shown_as)
        pieces = cache.get(key)
        if pieces is None:
            pieces = render(n, NOTHING_TYPED, None, Markup(slot)).split(slot)  # noqa: S704 - our own token
            cache.put(key, pieces)
        parts.append(str(hidden).join(pieces))
    return Markup("".join(parts))  # noqa: S704 - rows rendered by the autoescaping template, and escaped fields


def init_app(app: Flask) -> None:
    # A few thousand rows (a few MB) per worker; the slot is random so that no typed text can contain it.
    app.extensions[ROW_CACHE] = (SharedLRU[Hashable, list[str]](4096), f"kudos-slot-{secrets.token_hex(16)}")


@bp.get("/review")
def queue() -> tuple[str, int]:
    return _queue_page()


def _back(form: QueueForm) -> Response:
    return redirect(safe_next(form.next.data or url_for("review.queue")))


def _redisplay(form: QueueForm, nomination_id: int, sentence: str, **typed: str) -> tuple[str, int]:
    # Re-render the queue the person came from, with the sentence next to the row and their text kept.
    target = safe_next(form.next.data or url_for("review.queue"))
    return _queue_page(400, {nomination_id: sentence}, {nomination_id: Typed(**typed)}, here=target)


def _require_review(nomination_id: int) -> None:
    """Decide once before the write transaction, so that asking the wiki holds no database lock; the
    transaction decides again on the row it changes, with the same answer from the wiki."""
    require(Action.review, nominations.get(db_session(), nomination_id))


@bp.post("/review/<id:nomination_id>/approve")
def approve(nomination_id: int) -> Response | tuple[str, int]:
    form = ApproveForm()
    _require_review(nomination_id)
    try:
        with current_database().transaction() as session:
            nomination = nominations.get(session, nomination_id)
            actor = require(Action.review, nomination)
            if not form.validate():
                raise DomainError("kudos-error-message-too-long-short")
            edited = form.message.data if form.message.data and form.message.data.strip() else None
            nominations.approve(session, current_config(), nomination, actor.username, message=edited)
            sentence = msg("kudos-review-approved-edited" if nomination.original_message else "kudos-review-approved",
                           bdi(nomination.recipient), nomination.recipient)
    except NotFound:
        raise
    except DomainError as error:
        return _redisplay(form, nomination_id, msg(error), message=form.message.data or "")
    flash(sentence)
    return _back(form)


@bp.post("/review/<id:nomination_id>/reject")
def reject(nomination_id: int) -> Response | tuple[str, int]:
    form = RejectForm()
    _require_review(nomination_id)
    try:
        with current_database().transaction() as session:
            nomination = nominations.get(session, nomination_id)
            actor = require(Action.review, nomination)
            if not form.validate():
                raise DomainError("kudos-error-reason-too-long", 2000)
            nominations.reject(session, nomination, actor.username, form.reason.data or "")
            sentence = msg("kudos-review-rejected", bdi(nomination.recipient), bdi(nomination.nominator))
    except NotFound:
        raise
    except DomainError as error:
        return _redisplay(form, nomination_id, msg(error), reason=form.reason.data or "")
    flash(sentence)
    return _back(form)


@bp.post("/review/approve-selected")
def approve_selected() -> Response:
    require(Action.see_review_queue)
    form = QueueForm()
    selected = [i for i in map(ids.parse, request.form.getlist("ids")) if i is not None][:500]
    if not selected:
        flash(msg("kudos-review-select-none"))
        return _back(form)
    actor = acting_actor(review.wikis_of(db_session(), selected))  # each nomination is then decided on its own
    assert actor is not None
    with current_database().transaction() as session:
        outcomes = review.approve_many(session, current_config(), actor, selected)
    approved = sum(o.ok for o in outcomes)
    flash(msg("kudos-review-approved-many", approved, len(outcomes)))
    for outcome in outcomes:
        if outcome.recipient is None:
            flash(msg("kudos-review-outcome-missing", outcome.nomination_id))
        elif outcome.ok:
            flash(msg("kudos-review-outcome-approved", bdi(outcome.recipient), bdi(outcome.campaign)))
        else:
            assert outcome.why is not None
            flash(msg("kudos-review-outcome-refused", bdi(outcome.recipient), bdi(outcome.campaign), msg(outcome.why)))
    return _back(form)


class RetryForm(Form):
    pass


@bp.get("/campaigns/<slug>/deliveries")
def deliveries(slug: str) -> str:
    session = db_session()
    campaign = campaigns.get(session, slug)
    require(Action.manage_campaign, campaign)
    rows = review.delivered_page(session, campaign, before=review.Cursor.decode(request.args.get("before")))
    older = None
    if len(rows) == review.QUEUE_PAGE:
        older = url_for("review.deliveries", slug=slug, before=review.Cursor.of(rows[-1]).encode())
    return render_template("deliveries.html", campaign=campaign, rows=rows, older=older, form=RetryForm(),
                           shares=_share_links(session, rows), delivery_sentence=delivery_status.sentence,
                           delivery_channel=delivery_status.channel_name,
                           waiting=lanes.paused(session, campaign.wiki),
                           wiki_name=current_config().wiki_name(campaign.wiki))


def _share_links(session: Session, rows: list[Nomination]) -> dict[int, ShareLinks]:
    """For networks without a posting API (WhatsApp, Facebook groups): links an organizer shares by hand,
    only for recipients who said yes and shout-outs already on the wall."""
    config = current_config()
    consents = review.consents(session, (n.recipient for n in rows))
    shares = {}
    for nomination in rows:
        try:
            shares[nomination.id] = share_links(session, config, nomination, consent=consents[nomination.recipient])
        except DomainError:
            continue
    return shares


@bp.post("/deliveries/<id:delivery_id>/retry")
def retry(delivery_id: int) -> Response:
    form = RetryForm()
    require(Action.retry_delivery, review.get_delivery(db_session(), delivery_id).nomination.campaign)
    with current_database().transaction() as session:
        delivery = review.get_delivery(session, delivery_id)
        campaign = delivery.nomination.campaign
        actor = require(Action.retry_delivery, campaign)
        form.validate()
        review.retry(session, delivery, actor.username)
        sentence = msg("kudos-review-retried", delivery.channel, bdi(delivery.nomination.recipient))
        slug = campaign.slug
    flash(sentence)
    if request.form.get("back") == "admin":
        return redirect(url_for("admin.failed"))
    return redirect(url_for("review.deliveries", slug=slug))
