"""`/healthz` for Toolforge's health check: a database ping and nothing more."""

from flask import Blueprint

from kudos.web.context import current_database

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> tuple[str, int, dict[str, str]]:
    try:
        current_database().ping()
    except Exception:  # noqa: BLE001 - any failure means "not healthy", and says so
        return "database unavailable\n", 503, {"Content-Type": "text/plain"}
    return "ok\n", 200, {"Content-Type": "text/plain"}
