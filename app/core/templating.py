"""Template filters and globals."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask
from flask_babel import format_date, format_datetime, get_locale

from app.core.i18n import LOCALES


def init_app(app: Flask) -> None:
    """Register filters and the context processor."""

    @app.template_filter("dt")
    def dt_filter(value: datetime | None) -> str:
        return format_datetime(value, "short") if value else ""

    @app.template_filter("d")
    def d_filter(value: date | datetime | None) -> str:
        return format_date(value, "medium") if value else ""

    @app.context_processor
    def globals_() -> dict:
        return {"LOCALES": LOCALES, "current_locale": str(get_locale())}
