"""JSON API v1 under ``/api/v1``: bearer tokens, JSON errors, an OpenAPI 3 document.

Every call except ``POST /auth/token`` and ``GET /openapi.json`` sends ``Authorization: Bearer <token>``.
Errors are always ``{"errors": [...]}`` (use :func:`error`); lists are ``{"items", "page", "per_page",
"total"}`` with ``?page=&per_page=`` (use :func:`paginated`, or :func:`page_args` to read them; a bad value
is a 400, never a silent default). The API sits on top of the rooms' queries
and services: it validates nothing itself that a service already checks.

How to add a resource (for example ``app/api/roleplays.py``):

1. Write the module: routes on ``api_bp`` decorated with ``@token_required`` (from ``app.api.auth``;
   the caller is ``g.api_user``), with the same role and object checks as the web pages.
2. In the same module call ``describe(PATHS, SCHEMAS)``: ``PATHS`` maps OpenAPI paths relative to the
   prefix (``/roleplays/{slug}``) to their path items; ``SCHEMAS`` adds component schemas they
   reference as ``#/components/schemas/<Name>``. The shared ``Error`` schema and the ``BadRequest``,
   ``Unauthorized``, ``Forbidden``, ``NotFound``, ``Conflict`` and ``Unprocessable`` responses exist already.
3. Import the module in the list at the bottom of this file. ``tests/test_api_openapi.py`` fails until
   every route is described and every described path and method exists.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify, request
from flask_babel import gettext as _
from sqlalchemy import Select

from app.core.pagination import MAX_INT, MAX_PER_PAGE, paginate, parse_int
from app.extensions import csrf

api_bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(api_bp)  # bearer tokens, not cookies: no CSRF exposure

PATHS: dict[str, dict[str, Any]] = {}
SCHEMAS: dict[str, dict[str, Any]] = {}


def describe(paths: dict[str, dict[str, Any]], schemas: dict[str, dict[str, Any]] | None = None) -> None:
    """Add a resource's OpenAPI path items and component schemas to the document."""
    PATHS.update(paths)
    SCHEMAS.update(schemas or {})


def error(status: int, *messages: str) -> tuple[Response, int]:
    """A JSON error response ``{"errors": [...]}``."""
    return jsonify(errors=[str(m) for m in messages]), status


def page_args() -> tuple[int, int]:
    """``?page=`` (1–MAX_INT) and ``?per_page=`` (1–100), each given at most once; else abort with a 400."""
    values, problems = [], []
    for name, default, maximum in (("page", 1, MAX_INT), ("per_page", current_app.config["PER_PAGE"], MAX_PER_PAGE)):
        given = request.args.getlist(name)
        number = parse_int(given[0], maximum=maximum) if len(given) == 1 else None
        if given and number is None:
            problems.append(_("%(name)s 应为 1 到 %(max)d 之间的整数（只能给一次）。", name=name, max=maximum))
        values.append(number or default)
    if problems:
        response, status = error(400, *problems)
        response.status_code = status
        abort(response)
    return values[0], values[1]


def paginated(query: Select, serialise: Callable[[Sequence[Any]], list[dict[str, Any]]]) -> Response:
    """One page of a select as ``{"items", "page", "per_page", "total"}`` (see :func:`page_args`)."""
    number, per_page = page_args()
    page = paginate(query, per_page=per_page, page=number)
    return jsonify(items=serialise(page.items), page=page.page, per_page=page.per_page, total=page.total)


from app.api import attempts, auth, me, openapi, quizzes, reports, roleplays  # noqa: E402, F401  (each module adds its routes and paths)
