"""The privacy page, and a person's own data: download it as JSON, or delete it."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, make_response, render_template
from werkzeug.wrappers import Response
from wtforms import BooleanField
from wtforms.validators import DataRequired

from kudos import maintenance, privacy
from kudos.access import Action
from kudos.web.context import current_config, current_database, current_user, db_session, sign_out
from kudos.web.forms import Form
from kudos.web.guard import require
from kudos.web.i18n import lazy_msg

bp = Blueprint("privacy", __name__)


class DeleteDataForm(Form):
    confirm = BooleanField(lazy_msg("kudos-privacy-delete-confirm-label"),
                           validators=[DataRequired(lazy_msg("kudos-privacy-delete-confirm-required"))])


def _central_id() -> int | None:
    """The signed-in account's CentralAuth id: it finds their records even under a name they had before."""
    user = current_user()
    return user.central_id if user else None


@bp.get("/privacy")
def policy() -> str:
    config = current_config()
    return render_template("privacy.html", retention_days=maintenance.retention_days(config),
                           consent_days=maintenance.consent_days(config))


@bp.get("/me/data.json")
def download() -> Response:
    actor = require(Action.manage_self)
    data = privacy.export(db_session(), current_config(), actor.username, central_id=_central_id())
    response = make_response(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True))
    response.headers["Content-Type"] = "application/json; charset=utf-8"
    response.headers["Content-Disposition"] = 'attachment; filename="kudos-my-data.json"'
    return response


@bp.get("/me/delete")
def confirm_delete() -> str:
    actor = require(Action.manage_self)
    return render_template("privacy_delete.html", form=DeleteDataForm(),
                           published=privacy.published(db_session(), actor.username, _central_id()))


@bp.post("/me/delete")
def delete() -> Any:
    actor = require(Action.manage_self)
    form = DeleteDataForm()
    if not form.validate_on_submit():
        return render_template("privacy_delete.html", form=form,
                               published=privacy.published(db_session(), actor.username, _central_id())), 400
    with current_database().transaction() as session:
        erasure = privacy.erase(session, current_config(), actor.username, central_id=_central_id())
    sign_out()
    return render_template("privacy_deleted.html", erasure=erasure)
