"""Quizzes: list, detail (never answers, explanations or option scores) and scored attempts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import g, jsonify, request, url_for
from flask_babel import gettext as _

from app.api import api_bp, describe, error, paginated
from app.api.auth import token_required
from app.api.idempotent import write_once
from app.assessments import queries, question_types, services
from app.assessments.enums import QuizKind
from app.assessments.models import Attempt, Quiz
from app.core.domain import http_status
from app.core.pagination import MAX_INT
from app.extensions import db

PAGE_PARAMS = [
    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_INT, "default": 1}},
    {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}},
]


def quiz_items(quizzes: Sequence[Quiz]) -> list[dict[str, Any]]:
    """Serialise quizzes for lists (one query for their courses)."""
    courses = queries.course_titles({q.course_id for q in quizzes if q.course_id})
    return [
        {
            "slug": q.slug,
            "title": q.title,
            "kind": q.kind,
            "course": courses[q.course_id][0] if q.course_id in courses else None,
            "question_count": q.question_count,
            "max_attempts": q.max_attempts,
            "cooldown_minutes": q.cooldown_minutes,
            "pass_percent": q.pass_percent,
            "time_limit_minutes": q.time_limit_minutes,
            "review": q.review,
            "start_required": services.needs_start(q),
        }
        for q in quizzes
    ]


def attempt_result(attempt: Attempt, band_title: str | None) -> dict[str, Any]:
    """The result fields of a submitted attempt."""
    return {
        "id": attempt.id,
        "score": attempt.score,
        "max_score": attempt.max_score,
        "percent": attempt.percent,
        "band": {"key": attempt.band_key, "title": band_title} if attempt.band_key else None,
        "passed": attempt.passed,
    }


@api_bp.get("/quizzes")
@token_required
def list_quizzes():
    """The quizzes the caller may take."""
    return paginated(queries.available_quizzes(g.api_user), quiz_items)


@api_bp.get("/quizzes/<slug>")
@token_required
def get_quiz(slug: str):
    """One quiz with its questions and options (no answers, explanations or scores)."""
    quiz = queries.available_quiz(g.api_user, slug)
    if quiz is None:
        return error(404, _("没有这个测验。"))
    services.expire_due(quiz_id=quiz.id)  # a read of a quiz submits its overdue timed attempts
    definition = quiz.current_version.definition
    body = quiz_items([quiz])[0]
    body["instructions"] = definition.get("instructions", "")
    body["questions"] = (
        []
        if body["start_required"]
        else [
            {
                "id": q["id"],
                "type": q["type"],
                "text": q["text"],
                "options": [{"key": o["key"], "text": o["text"]} for o in q["options"]],
            }
            for q in definition["questions"]
        ]
    )
    return jsonify(body)


@api_bp.post("/quizzes/<slug>/attempts")
@token_required
def create_attempt(slug: str):
    """Score a complete set of answers; store nothing on any problem."""
    quiz = queries.available_quiz(g.api_user, slug)
    if quiz is None:
        return error(404, _("没有这个测验。"))
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or "answers" not in data:
        return error(400, _('请求体应为 JSON 对象：{"answers": {"q1": "A", …}}。'))
    try:
        attempt, replay = write_once(
            g.api_user, lambda key: services.submit_answers(g.api_user, quiz, data["answers"], key), _stored_result
        )
    except services.StartRequired as failure:  # a pool or a time limit: the start step gives paper and deadline
        return jsonify(errors=failure.errors, start=url_for("api.start_attempt", slug=slug)), 409
    except services.AttemptError as failure:
        return error(http_status(failure), *failure.errors)
    return replay or _result(attempt)


def _result(attempt: Attempt) -> tuple[Any, int]:
    band = next((b for b in attempt.version.definition.get("bands") or [] if b["key"] == attempt.band_key), None)
    return jsonify(attempt_result(attempt, band and band["title"])), 201


def _stored_result(attempt_id: int) -> tuple[Any, int]:
    """The first answer to a repeated request: the attempt it stored."""
    return _result(db.session.get_one(Attempt, attempt_id))


RESULT = {
    "type": "object",
    "required": ["id", "score", "max_score", "percent", "band", "passed"],
    "properties": {
        "id": {"type": "integer"},
        "score": {"type": "integer"},
        "max_score": {"type": "integer"},
        "percent": {"type": "integer", "description": "score as a whole percentage of max_score, rounded down"},
        "band": {
            "type": "object",
            "nullable": True,
            "description": "self-assessments: the band of the total; null for knowledge checks",
            "properties": {"key": {"type": "string"}, "title": {"type": "string"}},
        },
        "passed": {"type": "boolean", "nullable": True, "description": "knowledge checks only; null otherwise"},
    },
}
SLUG = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[\\x21-\\x7e]+$"},
    "description": "Any unique string per request (e.g. a UUID); a repeat within 24 hours gets the first "
    "result (header Idempotent-Replayed: true) and stores nothing; reusing it for another request is 422.",
}

describe(
    {
        "/quizzes": {
            "get": {
                "tags": ["quizzes"],
                "summary": "Quizzes the caller may take",
                "parameters": PAGE_PARAMS,
                "responses": {
                    "200": {
                        "description": "A page of quizzes",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/QuizPage"}}},
                    },
                    "401": {"$ref": "#/components/responses/Unauthorized"},
                    "403": {"$ref": "#/components/responses/Forbidden"},
                },
            }
        },
        "/quizzes/{slug}": {
            "get": {
                "tags": ["quizzes"],
                "summary": "A quiz with its questions (never answers, explanations or option scores)",
                "parameters": [SLUG],
                "responses": {
                    "200": {
                        "description": "The quiz",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/QuizDetail"}}},
                    },
                    "401": {"$ref": "#/components/responses/Unauthorized"},
                    "403": {"$ref": "#/components/responses/Forbidden"},
                    "404": {"$ref": "#/components/responses/NotFound"},
                },
            }
        },
        "/quizzes/{slug}/attempts": {
            "post": {
                "tags": ["quizzes"],
                "summary": "Submit a complete set of answers and get the result",
                "description": "A retry with the same Idempotency-Key gets the first result and stores nothing. "
                "Quizzes with a question pool or a time limit (start_required) answer 409 with "
                '`{"errors": [...], "start": "/api/v1/quizzes/{slug}/start"}`: take them in steps.',
                "parameters": [SLUG, IDEMPOTENCY_KEY],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AttemptRequest"}}},
                },
                "responses": {
                    "201": {
                        "description": "Scored and stored",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AttemptResult"}}},
                    },
                    "400": {"$ref": "#/components/responses/BadRequest"},
                    "401": {"$ref": "#/components/responses/Unauthorized"},
                    "403": {"$ref": "#/components/responses/Forbidden"},
                    "404": {"$ref": "#/components/responses/NotFound"},
                    "409": {"$ref": "#/components/responses/Conflict"},
                    "422": {"$ref": "#/components/responses/Unprocessable"},
                },
            }
        },
    },
    {
        "Option": {
            "type": "object",
            "required": ["key", "text"],
            "properties": {"key": {"type": "string"}, "text": {"type": "string"}},
        },
        "Question": {
            "type": "object",
            "required": ["id", "type", "text", "options"],
            "properties": {
                "id": {"type": "string"},
                "type": {"type": "string", "enum": question_types.names()},
                "text": {"type": "string"},
                "options": {"type": "array", "items": {"$ref": "#/components/schemas/Option"}},
            },
        },
        "Quiz": {
            "type": "object",
            "required": ["slug", "title", "kind", "question_count"],
            "properties": {
                "slug": {"type": "string"},
                "title": {"type": "string"},
                "kind": {"type": "string", "enum": [kind.value for kind in QuizKind]},
                "course": {"type": "string", "nullable": True},
                "question_count": {"type": "integer"},
                "max_attempts": {"type": "integer", "nullable": True},
                "cooldown_minutes": {"type": "integer"},
                "pass_percent": {"type": "integer", "nullable": True},
                "time_limit_minutes": {
                    "type": "integer",
                    "nullable": True,
                    "description": "minutes per attempt; the start step sets the deadline",
                },
                "review": {
                    "type": "string",
                    "enum": ["immediate", "after-pass", "never"],
                    "description": "what a trainee sees of their attempts (GET /attempts/{attempt_id})",
                },
                "start_required": {
                    "type": "boolean",
                    "description": "a question pool or a time limit: take it with "
                    "POST /quizzes/{slug}/start, not in one step",
                },
            },
        },
        "QuizDetail": {
            "allOf": [
                {"$ref": "#/components/schemas/Quiz"},
                {
                    "type": "object",
                    "required": ["instructions", "questions"],
                    "properties": {
                        "instructions": {"type": "string"},
                        "questions": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/Question"},
                            "description": "empty when start_required: each attempt's paper comes from the start step",
                        },
                    },
                },
            ]
        },
        "QuizPage": {
            "type": "object",
            "required": ["items", "page", "per_page", "total"],
            "properties": {
                "items": {"type": "array", "items": {"$ref": "#/components/schemas/Quiz"}},
                "page": {"type": "integer"},
                "per_page": {"type": "integer"},
                "total": {"type": "integer"},
            },
        },
        "AttemptRequest": {
            "type": "object",
            "required": ["answers"],
            "properties": {
                "answers": {
                    "type": "object",
                    "description": "Every question id mapped to one option key, or a list of keys for multiple-choice.",
                    "minProperties": 1,
                    "additionalProperties": {
                        "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}, "minItems": 1}]
                    },
                    "example": {"q1": "A", "q2": ["A", "C"]},
                }
            },
        },
        "AttemptResult": RESULT,
    },
)
