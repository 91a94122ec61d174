"""Locale selection: the user's choice, else the session's, else Simplified Chinese."""

from __future__ import annotations

from functools import cache

from babel import Locale
from flask import current_app, has_request_context, request, session
from flask_login import current_user

LOCALES = {"zh_CN": "简体中文", "en": "English"}


@cache
def _locale(identifier: str) -> Locale:
    """Parse a locale once per process (Flask-Babel would parse it on every request)."""
    return Locale.parse(identifier)


def select_locale() -> Locale:
    """Pick the interface language for this request."""
    supported = current_app.config["BABEL_SUPPORTED_LOCALES"]
    if not has_request_context():
        return _locale(current_app.config["BABEL_DEFAULT_LOCALE"])
    if current_user and current_user.is_authenticated and current_user.locale in supported:
        return _locale(current_user.locale)
    chosen = session.get("locale") or request.cookies.get("locale")
    if chosen in supported:
        return _locale(chosen)
    return _locale(current_app.config["BABEL_DEFAULT_LOCALE"])


def locale_code(locale: Locale) -> str:
    """The LOCALES key of a parsed locale: 'zh_CN' for zh_Hans_CN (else the locale's own identifier)."""
    return next((code for code in LOCALES if _locale(code) == locale), str(locale))


def html_lang(locale: Locale) -> str:
    """The BCP 47 tag for an HTML lang attribute: language and territory, 'zh-CN' or 'en'."""
    return "-".join(part for part in (locale.language, locale.territory) if part)
