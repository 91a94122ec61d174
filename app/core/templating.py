"""Template filters and globals."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, NamedTuple

from flask import Flask
from flask_babel import format_date, format_datetime, get_locale
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup
from wtforms import Form

from app.core.forms import kept_errors, kept_messages, kept_value, take_kept
from app.core.i18n import LOCALES, html_lang, locale_code

CONTENT_LANG = "zh-CN"  # courses, quizzes and cards are written in Simplified Chinese
CONTENT_LANG_ATTR = Markup(' lang="zh-CN"')


class FieldError(NamedTuple):
    """One message of an invalid form field; ``target`` is the id of the control to focus (None: hidden)."""

    target: str | None
    label: str
    message: str


def _target(field: Any) -> str | None:
    """The id of the control a link to an invalid field should focus."""
    if field.type in ("HiddenField", "CSRFTokenField"):
        return None
    if field.type in ("MultiCheckboxField", "RadioField"):  # a list of inputs: the first one
        return f"{field.id}-0"
    return field.id


@pass_context
def form_errors(context: Context) -> list[FieldError]:
    """Every message of every invalid field of the forms in a template's context, then those kept by a redirect."""
    found: list[FieldError] = []
    seen: set[int] = set()
    for value in context.get_all().values():
        if not isinstance(value, Form) or id(value) in seen:
            continue
        seen.add(id(value))
        for field in value:
            for message in field.errors:
                if not isinstance(message, dict | list | tuple):  # nested forms' errors are containers
                    found.append(FieldError(_target(field), str(field.label.text), str(message)))
        for message in value.form_errors:
            found.append(FieldError(None, "", str(message)))
    shown = {(error.target, error.message) for error in found}
    for error in kept_errors():  # kept by a form that redirected here (``flash_errors``, ``keep_errors``)
        if (error.target or None, error.message) not in shown:
            found.append(FieldError(error.target or None, error.label, error.message))
    return found


def init_app(app: Flask) -> None:
    """Register filters, the error collector and the context processor."""

    @app.template_filter("dt")
    def dt_filter(value: datetime | None) -> str:
        return format_datetime(value, "short") if value else ""

    @app.template_filter("d")
    def d_filter(value: date | datetime | None) -> str:
        return format_date(value, "medium") if value else ""

    app.add_template_global(form_errors)
    app.add_template_global(kept_messages)
    app.add_template_global(kept_value)
    app.before_request(take_kept)

    @app.context_processor
    def globals_() -> dict:
        locale = get_locale()
        lang = html_lang(locale)
        return {
            "LOCALES": LOCALES,
            "current_locale": locale_code(locale),
            "html_lang": lang,
            # lang attribute for Chinese course content shown inside another interface language (WCAG 3.1.2)
            "content_lang": CONTENT_LANG_ATTR if lang != CONTENT_LANG else "",
        }
