"""Tool admins' view across campaigns: every failed delivery, its last error, and a retry button."""

from __future__ import annotations

from flask import Blueprint, render_template

from kudos import review
from kudos.access import Action
from kudos.web.context import db_session
from kudos.web.guard import require
from kudos.web.review import RetryForm

bp = Blueprint("admin", __name__)


@bp.get("/admin/deliveries")
def failed() -> str:
    require(Action.administer)
    return render_template("admin_failed.html", deliveries=review.failed_deliveries(db_session()), form=RetryForm())
