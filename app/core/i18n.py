"""Locale selection: the user's choice, else the session's, else Simplified Chinese."""

from __future__ import annotations

from flask import current_app, has_request_context, request, session
from flask_login import current_user

LOCALES = {"zh_CN": "简体中文", "en": "English"}


def select_locale() -> str:
    """Pick the interface language for this request."""
    supported = current_app.config["BABEL_SUPPORTED_LOCALES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in supported:
        return current_user.locale
    chosen = session.get("locale") or request.cookies.get("locale")
    if chosen in supported:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]
