"""Helpers shared by the rooms' form-handling routes."""

from __future__ import annotations

from flask import flash
from flask_wtf import FlaskForm


def flash_errors(form: FlaskForm) -> None:
    """Flash every validation error of a form that redirects instead of re-rendering."""
    for errors in form.errors.values():
        for error in errors:
            flash(str(error), "danger")
