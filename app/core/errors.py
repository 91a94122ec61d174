"""Error pages (HTML) and JSON errors for the API; hostile input is refused before any view runs."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.core import forms
from app.extensions import db


def wants_json() -> bool:
    """Whether this request should get a JSON error."""
    return request.path.startswith("/api/")


def _headers(error: HTTPException) -> list[tuple[str, str]]:
    """The headers an HTTP error carries besides its body's type (``Allow`` on a 405, ``WWW-Authenticate``)."""
    return [(name, value) for name, value in error.get_headers() if name.lower() != "content-type"]


def init_app(app: Flask) -> None:
    """Register error handlers and the control-character guard (see ``app.core.forms``)."""
    app.before_request(forms.refuse_control_characters)
    app.after_request(forms.refused_form_status)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        if wants_json():
            return jsonify(errors=[error.description]), 400
        return render_template("core/error.html", code=400, csrf=True), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if (error.code or 500) >= 500:
            db.session.rollback()  # a failed flush must not break the error page too
        if wants_json():
            return jsonify(errors=[error.description or error.name]), error.code, _headers(error)
        return render_template("core/error.html", code=error.code), error.code, _headers(error)
