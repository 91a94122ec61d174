"""The one base class of the rooms' domain errors, and its kinds.

A service raises a subclass of :class:`DomainError` with a message for the user (and optional details
in ``errors``); it never chooses an HTTP status. The web routes and the API map the kinds to statuses
with :func:`http_status` — the only place where a domain error becomes a number.
"""

from __future__ import annotations


class DomainError(ValueError):
    """A request the rules refuse; the message is for the user, ``errors`` lists details."""

    def __init__(self, message: object = "", errors: list[str] | None = None) -> None:
        super().__init__(str(message))
        self.errors = errors or [str(message)]


class InvalidInput(DomainError):
    """The request itself is wrong (a value out of range, a missing answer): fix it and send again."""


class Conflict(DomainError):
    """The request is well formed but the stored state does not allow it now (a limit, a state, a race)."""


class NotAllowed(DomainError):
    """The person may not do this to this object."""


STATUSES: dict[type[DomainError], int] = {NotAllowed: 403, Conflict: 409, InvalidInput: 422, DomainError: 422}


def http_status(error: DomainError) -> int:
    """The HTTP status of a domain error (routes and API only): the first kind in its class's MRO decides."""
    return next(STATUSES[cls] for cls in type(error).__mro__ if cls in STATUSES)
