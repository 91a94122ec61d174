"""Pagination over SQLAlchemy selects."""

from __future__ import annotations

from flask import current_app, request
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select

from app.extensions import db


def paginate(query: Select, per_page: int | None = None) -> Pagination:
    """Paginate a select using ``?page=`` from the request (bad values fall back to page 1)."""
    return db.paginate(
        query,
        page=request.args.get("page", 1, type=int),
        per_page=per_page or current_app.config["PER_PAGE"],
        max_per_page=100,
        error_out=False,
    )
