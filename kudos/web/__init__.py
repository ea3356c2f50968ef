"""The Flask web tool: an app factory that wires the core to blueprints."""

from __future__ import annotations

from typing import Any

from flask import Flask, g, render_template, request, session
from flask_wtf.csrf import CSRFError, CSRFProtect

from kudos.config import PROJECT_ROOT, Config
from kudos.db import Database
from kudos.errors import DomainError, NotFound

csrf = CSRFProtect()


def create_app(config: Config, database: Database | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.update(
        SECRET_KEY=config.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.production,
        SESSION_COOKIE_NAME="kudos_session",
        WTF_CSRF_TIME_LIMIT=None,  # tied to the session instead, so a long-open form still submits
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
    )
    app.extensions["kudos.config"] = config
    app.extensions["kudos.db"] = database or Database(config.database_url)
    csrf.init_app(app)

    from kudos.web import auth, consent, health, me, nominate, organizers, ratelimit, wall

    app.register_blueprint(health.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(wall.bp)
    app.register_blueprint(organizers.bp)
    app.register_blueprint(nominate.bp)
    app.register_blueprint(me.bp)
    app.register_blueprint(consent.bp)
    ratelimit.init_app(app, config)

    from kudos.cli import register as register_cli

    register_cli(app)
    _register_request_hooks(app)
    _register_error_pages(app)
    return app


def _register_request_hooks(app: Flask) -> None:
    @app.teardown_appcontext
    def close_session(_error: BaseException | None) -> None:
        db_session = g.pop("db_session", None)
        if db_session is not None:
            db_session.close()

    @app.context_processor
    def template_globals() -> dict[str, Any]:
        from kudos.web.context import current_config, current_user

        return {"config": current_config(), "user": current_user()}

    @app.after_request
    def security_headers(response):
        # No third-party resources and no inline scripts (Toolforge privacy rules; XSS defence in depth).
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' https://upload.wikimedia.org https://commons.wikimedia.org; "
            "script-src 'self'; style-src 'self'; object-src 'none'; base-uri 'none'; "
            "frame-ancestors 'none'; form-action 'self'",
        )
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if "user" in session:
            response.headers.setdefault("Cache-Control", "private, no-store")
        return response


def _register_error_pages(app: Flask) -> None:
    def page(status: int, title: str, message: str):
        return render_template("error.html", title=title, message=message), status

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return page(400, "The form expired",
                    "This form was sent without a valid security token, often because the page was open for "
                    "a long time or you signed in again elsewhere. Go back, reload the page and send it again.")

    @app.errorhandler(NotFound)
    def not_found_domain(error: NotFound):
        return page(404, "Not found", error.message)

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        return page(409, "That cannot be done", error.message)

    @app.errorhandler(400)
    def bad_request(error: Any):
        return page(400, "Bad request", "The request could not be understood. Go back and try again.")

    @app.errorhandler(403)
    def forbidden(error: Any):
        return page(403, "Not allowed", getattr(error, "description", "") or "You may not do this.")

    @app.errorhandler(404)
    def not_found(error: Any):
        return page(404, "Not found", "There is nothing at this address.")

    @app.errorhandler(405)
    def method_not_allowed(error: Any):
        return page(405, "Not allowed", "This address does not accept that kind of request.")

    @app.errorhandler(429)
    def too_many(error: Any):
        from kudos.web.context import current_config
        from kudos.web.ratelimit import nominations_per_day

        typed = request.form.get("message", "") if request.endpoint == "nominate.confirm" else ""
        body = render_template("rate_limited.html", per_day=nominations_per_day(current_config()), typed=typed)
        return body, 429

    @app.errorhandler(500)
    def server_error(error: Any):
        return page(500, "Something went wrong",
                    "Kudos hit an unexpected problem. Try again in a moment; if it keeps happening, "
                    "tell the maintainers.")
