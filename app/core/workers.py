"""Gunicorn process hooks: warm the app once in the master, fresh database connections in each worker."""

from __future__ import annotations

from flask import Flask
from flask_babel import force_locale, get_translations
from sqlalchemy.orm import configure_mappers


def _engines(app: Flask) -> list:
    extension = app.extensions.get("sqlalchemy")
    if extension is None:
        return []
    with app.app_context():
        return list(extension.engines.values())


def warm(app: object) -> int:
    """Configure the mappers, compile every template and load every catalogue; return the templates compiled."""
    if not isinstance(app, Flask):
        return 0
    configure_mappers()
    names = [name for name in app.jinja_env.list_templates() if name.endswith((".html", ".txt", ".csv"))]
    for name in names:
        app.jinja_env.get_template(name)
    with app.test_request_context():
        for locale in app.config.get("BABEL_SUPPORTED_LOCALES", ()):
            with force_locale(locale):
                get_translations()
    for engine in _engines(app):
        engine.dispose()  # the master keeps no connection to hand down
    return len(names)


def after_fork(app: object) -> None:
    """Give a new worker its own connection pools (never the ones inherited from the master)."""
    if isinstance(app, Flask):
        for engine in _engines(app):
            engine.dispose(close=False)
