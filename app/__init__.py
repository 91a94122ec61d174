"""Service Academy application factory."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from config import Config, config_from_env


def create_app(config: type[Config] | dict | None = None) -> Flask:
    """Create and configure the application."""
    app = Flask(__name__, instance_relative_config=True)
    register_config(app, config)
    register_extensions(app)
    register_blueprints(app)
    register_listeners(app)
    register_core(app)
    register_cli(app)
    return app


def register_config(app: Flask, config: type[Config] | dict | None) -> None:
    """Load the config class (or a mapping on top of the environment's class)."""
    if isinstance(config, dict):
        app.config.from_object(config_from_env())
        app.config.update(config)
    else:
        app.config.from_object(config or config_from_env())
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError("SECRET_KEY must be set outside development and testing.")
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)


def register_extensions(app: Flask) -> None:
    """Bind extensions to the app."""
    from app import models  # noqa: F401  (all tables known before migrations run)
    from app.core.i18n import select_locale
    from app.extensions import babel, csrf, db, login_manager, migrate

    db.init_app(app)
    from app.core import jobs, sqlite

    sqlite.init_app(app)
    jobs.init_app(app)  # the Huey engine: SQLite file under instance/, or Redis (JOBS_BROKER_URL)
    migrate.init_app(app, db, directory=str(Path(app.root_path).parent / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    from app.accounts import auth

    auth.init_login(app, login_manager)


def register_blueprints(app: Flask) -> None:
    """Register each room's blueprint."""
    from app.accounts import managers  # noqa: F401  (adds /admin/users/<id>/departments to admin_bp)
    from app.accounts.routes import admin_bp
    from app.accounts.routes import bp as accounts_bp
    from app.accounts.staff import bp as staff_bp
    from app.api import api_bp
    from app.assessments.routes import bp as assessments_bp
    from app.completion import (  # noqa: F401  (add the certificate, 免修 and "remind now" actions to completion_bp)
        certificate_routes,
        remind_routes,
    )
    from app.completion.routes import bp as completion_bp
    from app.core.offline import bp as offline_bp
    from app.core.pagination import IdConverter
    from app.core.routes import bp as core_bp
    from app.jobs.routes import bp as jobs_bp
    from app.learning.hr_routes import bp as assignments_bp
    from app.learning.routes import bp as learning_bp
    from app.learning.rule_routes import bp as rules_bp
    from app.notifications.routes import bp as notifications_bp
    from app.reports import home_page, roleplays  # noqa: F401  (add /dashboard and /reports/roleplays to reports_bp)
    from app.reports.register import bp as certificate_register_bp
    from app.reports.routes import bp as reports_bp
    from app.roleplay.routes import bp as roleplay_bp

    app.url_map.converters["int"] = IdConverter  # an id past the database's INTEGER is a 404, not an error
    for blueprint in (
        core_bp,
        offline_bp,
        accounts_bp,
        admin_bp,
        learning_bp,
        assessments_bp,
        roleplay_bp,
        api_bp,
        completion_bp,
        reports_bp,
        certificate_register_bp,
        staff_bp,
        assignments_bp,
        rules_bp,
        notifications_bp,
        jobs_bp,
    ):
        app.register_blueprint(blueprint)


def register_listeners(app: Flask) -> None:
    """Connect the listeners: enrolment rows (learning), completion, invitation e-mail (notifications)."""
    from app.completion import listeners as completion_listeners
    from app.learning import enrolments, renewals, rules
    from app.notifications import invitations as invitation_mail

    enrolments.track()
    rules.track()  # assignment rules: people who join or move get their courses (before the enrolment rebuild)
    completion_listeners.connect()
    renewals.connect()  # a certificate expired: assign its course again
    invitation_mail.connect()
    from app.jobs import listeners as job_listeners
    from app.jobs import tasks  # noqa: F401  (registers the kinds of background job and the schedule)

    job_listeners.connect()  # a job ended: notify its starter


def register_core(app: Flask) -> None:
    """Error handlers, template helpers, security hooks."""
    from app.core import errors, logs, offline, security, templating

    if app.config.get("TRUST_PROXY"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]
    logs.init_app(app)
    errors.init_app(app)
    templating.init_app(app)
    security.init_app(app)
    offline.init_app(app)


def register_cli(app: Flask) -> None:
    """Add the click commands."""
    from app import cli

    cli.init_app(app)
