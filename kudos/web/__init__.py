"""The Flask web tool: an app factory that wires the core to blueprints."""

from __future__ import annotations

from typing import Any

from flask import Flask, g, render_template, session
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import Forbidden

from kudos.config import PROJECT_ROOT, Config
from kudos.db import Database
from kudos.errors import DomainError, NotFound
from kudos.web.converters import IdConverter

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
    app.url_map.converters["id"] = IdConverter
    csrf.init_app(app)

    from kudos.web import sessions, transport

    sessions.init_app(app, config, app.extensions["kudos.db"])
    transport.init_app(app, config)

    from kudos.web import conditional, dashboard_cards, formats, fragments, i18n

    i18n.init_app(app)
    formats.init_app(app)
    fragments.init_app(app)
    dashboard_cards.init_app(app)
    conditional.init_app(app, config)

    from kudos.web import (
        admin,
        api,
        auth,
        bulk,
        campaign_form,
        consent,
        directory,
        health,
        insight,
        me,
        nominate,
        organizers,
        privacy,
        ratelimit,
        readonly,
        review,
        suggestions,
        wall,
    )

    app.register_blueprint(health.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(wall.bp)
    app.register_blueprint(directory.bp)
    app.register_blueprint(organizers.bp)
    app.register_blueprint(campaign_form.bp)
    app.register_blueprint(insight.bp)
    app.register_blueprint(suggestions.bp)
    app.register_blueprint(privacy.bp)
    readonly.init_app(app)
    app.register_blueprint(review.bp)
    review.init_app(app)
    app.register_blueprint(bulk.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(nominate.bp)
    app.register_blueprint(me.bp)
    app.register_blueprint(consent.bp)
    ratelimit.init_app(app, config)

    from kudos.web.cli import register as register_cli

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
        from kudos.access import Action
        from kudos.awards import award_name
        from kudos.web.context import current_config, current_user
        from kudos.web.guard import allowed

        def can(action: str) -> bool:
            """For showing links only: every view checks again through `require`."""
            return bool(current_user()) and bool(allowed(Action(action)))

        def award_label(award_id: str, wiki: str) -> str:
            return award_name(current_config(), wiki, award_id)

        return {"config": current_config(), "user": current_user(), "can": can, "award_label": award_label}

    @app.after_request
    def security_headers(response):
        # No third-party resources and no inline scripts (Toolforge privacy rules; XSS defence in depth).
        response.headers.setdefault(
            "Content-Security-Policy",
            # Award pictures are ours (static/awards); a nomination's preview shows the wiki's own rendering,
            # whose images come from Wikimedia's upload server only (kudos.preview).
            "default-src 'self'; img-src 'self' https://upload.wikimedia.org; "
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
    from kudos.web.i18n import msg

    # Titles and explanations are message keys (i18n/en.json); `text` carries a sentence that is already
    # written, such as a domain rule's explanation.
    def page(status: int, title_key: str, text_key: str | None = None, text: str | None = None):
        return render_template("error.html", title_key=title_key, text_key=text_key, text=text), status

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return page(400, "kudos-error-csrf-title", "kudos-error-csrf-text")

    @app.errorhandler(NotFound)
    def not_found_domain(error: NotFound):
        return page(404, "kudos-error-notfound-title", text=msg(error))

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        return page(409, "kudos-error-conflict-title", text=msg(error))

    @app.errorhandler(400)
    def bad_request(error: Any):
        return page(400, "kudos-error-badrequest-title", "kudos-error-badrequest-text")

    @app.errorhandler(403)
    def forbidden(error: Any):
        description = getattr(error, "description", "")
        if not description or description == Forbidden.description:
            return page(403, "kudos-error-forbidden-title", "kudos-error-forbidden-text")
        return page(403, "kudos-error-forbidden-title", text=description)

    @app.errorhandler(404)
    def not_found(error: Any):
        return page(404, "kudos-error-notfound-title", "kudos-error-notfound-text")

    @app.errorhandler(405)
    def method_not_allowed(error: Any):
        return page(405, "kudos-error-forbidden-title", "kudos-error-method-text")

    @app.errorhandler(429)
    def too_many(error: Any):
        from kudos.web.ratelimit import too_many_requests

        return too_many_requests(error, app.extensions["kudos.limiter"])

    @app.errorhandler(500)
    def server_error(error: Any):
        return page(500, "kudos-error-server-title", "kudos-error-server-text")
