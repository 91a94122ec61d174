"""Pagination over SQLAlchemy selects, and the integers read from URLs and query strings.

Every integer that reaches SQL from a request (a page number, an id in a path or a filter) is read
here and kept within the database's integers: a page number past the end would otherwise make an
OFFSET beyond 64 bits, and an id beyond them makes SQLite raise instead of finding nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from flask import current_app, request
from flask_sqlalchemy.pagination import Pagination, SelectPagination
from sqlalchemy import Select
from werkzeug.routing import IntegerConverter

from app.extensions import db

MAX_INT = 2**31 - 1  # ids are INTEGER columns; also the highest page number (offsets stay far below 2**63)
MAX_PER_PAGE = 100

P = TypeVar("P", bound=Pagination)


def parse_int(value: object, minimum: int = 1, maximum: int = MAX_INT) -> int | None:
    """The integer written in ASCII digits in ``value`` if it lies in [minimum, maximum], else None."""
    text = str(value) if value is not None else ""
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(maximum)):
        return None
    number = int(text)
    return number if minimum <= number <= maximum else None


def id_arg(name: str) -> int | None:
    """A positive id from the query string (None when absent or not a valid id)."""
    return parse_int(request.args.get(name))


def parse_ids(values: Iterable[object]) -> list[int]:
    """The valid positive ids among submitted values (for example ticked checkboxes)."""
    return [number for number in map(parse_int, values) if number is not None]


def page_arg() -> int:
    """The page number asked for in ``?page=`` (1 when missing or invalid, MAX_INT when absurdly large)."""
    raw = request.args.get("page", "")
    if not (raw.isascii() and raw.isdigit()):
        return 1
    return MAX_INT if len(raw) > len(str(MAX_INT)) else min(max(int(raw), 1), MAX_INT)


def clamped(make: Callable[[int], P], number: int) -> P:
    """Page ``number`` from ``make(page)``, or the last page when the number is past the end."""
    number = min(max(number, 1), MAX_INT)
    page = make(number)
    if number > 1 and number > page.pages:
        page = make(max(page.pages, 1))
    return page


def paginate(query: Select, per_page: int | None = None, page: int | None = None) -> Pagination:
    """One page of a select: ``page`` as given (the API validates it), else ``?page=`` clamped to the last page."""
    size = min(max(per_page or current_app.config["PER_PAGE"], 1), MAX_PER_PAGE)

    def make(number: int) -> Pagination:
        return db.paginate(query, page=number, per_page=size, max_per_page=MAX_PER_PAGE, error_out=False)

    return make(page) if page is not None else clamped(make, page_arg())


class RowPagination(SelectPagination):
    """Pagination over a multi-column select; each row goes through ``factory`` (default: the row itself)."""

    def _query_items(self) -> list[Any]:
        query = self._query_args["select"].limit(self.per_page).offset(self._query_offset)
        factory = self._query_args.get("factory") or (lambda *row: row)
        return [factory(*row) for row in self._query_args["session"].execute(query)]


def paginate_rows(query: Select, number: int, per_page: int, factory: Callable | None = None) -> RowPagination:
    """One page of a multi-column select (the rows and the count; a page past the end gives the last page)."""
    return clamped(
        lambda n: RowPagination(
            select=query,
            session=db.session,
            page=n,
            per_page=per_page,
            max_per_page=MAX_PER_PAGE,
            error_out=False,
            factory=factory,
        ),
        number,
    )


class IdConverter(IntegerConverter):
    """The ``<int:...>`` URL converter, bounded to the ids a database INTEGER holds (larger ones are 404)."""

    def __init__(
        self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = MAX_INT, signed: bool = False
    ) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)
