"""One base class for the rooms' domain errors; only the routes and the API turn them into HTTP statuses."""

from __future__ import annotations

import inspect

import pytest

from app.accounts import importer
from app.accounts import services as accounts
from app.assessments import questions
from app.assessments import services as assessments
from app.completion import services as completion
from app.core import idempotency
from app.core.domain import Conflict, DomainError, InvalidInput, NotAllowed, http_status
from app.learning import services as learning
from app.roleplay import services as roleplay
from app.roleplay import uploads

ROOM_ERRORS = [
    accounts.AccountError,
    importer.StaffFileError,
    assessments.AttemptError,
    questions.AnswerError,
    completion.CompletionError,
    roleplay.RoleplayError,
    uploads.UploadError,
    learning.AssignError,
    idempotency.IdempotencyError,
]


@pytest.mark.parametrize("error", ROOM_ERRORS, ids=lambda e: e.__name__)
def test_every_room_error_is_a_domain_error(error):
    assert issubclass(error, DomainError)


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (assessments.AttemptError("limit"), 409),
        (assessments.InvalidAnswers(["q1"]), 422),
        (assessments.Unanswered(["q1", "q2"]), 422),
        (roleplay.RoleplayError("too long"), 422),
        (roleplay.TransitionError("waiting"), 409),
        (NotAllowed("no"), 403),
        (Conflict("state"), 409),
        (InvalidInput("bad"), 422),
        (DomainError("plain"), 422),
    ],
)
def test_the_http_mapping_follows_the_kind(error, status):
    assert http_status(error) == status


def test_no_domain_error_carries_an_http_status():
    for error in ROOM_ERRORS:
        for cls in inspect.getmro(error):
            assert "status" not in vars(cls), f"{cls.__name__} chooses an HTTP status itself"
