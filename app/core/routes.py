"""Home redirect, health check and language switch."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, jsonify, redirect, request, session, url_for
from flask_login import current_user
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db

bp = Blueprint("core", __name__)


def safe_next(target: str | None, fallback: str) -> str:
    """Return a local redirect target, or the fallback for anything off-site or malformed.

    Browsers read ``/\\host`` as ``//host``, and control characters would break the header.
    """
    if target and "\\" not in target and not any(ord(char) < 32 or ord(char) == 127 for char in target):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return fallback


@bp.get("/")
def index():
    """Send each person to their starting page."""
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login"))
    return redirect(url_for("reports.home"))


@bp.get("/healthz")
def healthz():
    """Liveness and database check for the proxy or load balancer (503 when the database is unreachable)."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        current_app.logger.exception("health check: database unreachable")
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")


@bp.post("/locale")
def set_locale():
    """Switch the interface language (stored on the account when signed in)."""
    locale = request.form.get("locale", "")
    if locale in current_app.config["BABEL_SUPPORTED_LOCALES"]:
        session["locale"] = locale
        if current_user.is_authenticated:
            current_user.locale = locale
            db.session.commit()
    return redirect(safe_next(request.form.get("next"), url_for("core.index")))
