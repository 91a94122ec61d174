"""Attempts in steps: start (the drawn paper and the deadline), save answers, submit, read an attempt.

Quizzes with a question pool or a time limit are taken this way (``POST /quizzes/{slug}/attempts``
answers them 409 with a pointer here); any quiz may be. What an attempt's reader sees of a submitted
attempt follows the quiz's review policy, exactly as on the web page (app.assessments.review).
"""

from __future__ import annotations

from typing import Any

from flask import g, jsonify, request, url_for
from flask_babel import gettext as _

from app.accounts.models import User
from app.api import api_bp, describe, error
from app.api.auth import iso, token_required
from app.assessments import queries, services
from app.assessments.models import Attempt
from app.assessments.questions import in_attempt_order
from app.assessments.review import ReviewLevel
from app.core.domain import http_status
from app.core.pagination import MAX_INT
from app.core.time import utcnow
from app.extensions import db


def _options(view: Any) -> list[dict[str, str]]:
    return [{"key": o["key"], "text": o["text"]} for o in view.options]


def paper(attempt: Attempt) -> list[dict[str, Any]]:
    """The questions of an attempt's paper in its order, options in their order (no answers or scores)."""
    views = in_attempt_order(attempt.version.definition, attempt.order, {})
    return [{"id": v.id, "type": v.question["type"], "text": v.question["text"], "options": _options(v)} for v in views]


def _module(links: dict[str, tuple[str, str, str]], slug: str | None) -> dict[str, str] | None:
    if slug is None or slug not in links:
        return None
    course, module, title = links[slug]
    return {"slug": module, "title": title, "url": url_for("learning.module", slug=course, module_slug=module)}


def review(attempt: Attempt, level: ReviewLevel) -> dict[str, Any]:
    """The review of a submitted attempt at a level: never more than the level allows."""
    context = queries.review_context(attempt, level)
    questions: list[dict[str, Any]] = []
    if level != ReviewLevel.SCORE and "outcomes" in context:
        for view in context["questions"]:
            outcome = context["outcomes"][view.id]
            item: dict[str, Any] = {
                "id": view.id,
                "number": view.number,
                "text": view.question["text"],
                "correct": outcome.correct,
            }
            item["module"] = None if outcome.correct else _module(context["links"], view.question.get("module"))
            if level == ReviewLevel.FULL:
                item.update(
                    options=_options(view),
                    chosen=list(outcome.chosen),
                    answer=list(outcome.answer),
                    explanation=view.question.get("explanation", ""),
                )
            questions.append(item)
    elif level == ReviewLevel.FULL and "costly" in context:
        for costly, view in context["costly"]:
            questions.append(
                {
                    "id": view.id,
                    "number": view.number,
                    "text": view.question["text"],
                    "correct": costly.lost == 0,
                    "module": _module(context["links"], costly.module),
                    "options": _options(view),
                    "chosen": list(costly.chosen),
                    "answer": [costly.best],
                    "explanation": "",
                }
            )
    return {"level": str(level), "questions": questions}


def attempt_body(attempt: Attempt, viewer: User) -> dict[str, Any]:
    """An attempt: open (paper, saved answers, deadline) or submitted (result, review, regrades)."""
    body: dict[str, Any] = {
        "id": attempt.id,
        "quiz": {"slug": attempt.quiz.slug, "title": attempt.quiz.title, "kind": attempt.quiz.kind},
        "status": attempt.status,
        "started_at": iso(attempt.started_at),
        "deadline": iso(attempt.deadline_at) if attempt.deadline_at else None,
        "submitted_at": iso(attempt.submitted_at) if attempt.submitted_at else None,
        "auto_submitted": attempt.auto_submitted,
    }
    if not attempt.submitted:
        remaining = (attempt.deadline_at - utcnow()).total_seconds() if attempt.deadline_at else None
        body.update(
            remaining_seconds=max(0, int(remaining)) if remaining is not None else None,
            questions=paper(attempt),
            answers=queries.answers_of(attempt.id),
        )
        return body
    band = next((b for b in attempt.version.definition.get("bands") or [] if b["key"] == attempt.band_key), None)
    level = queries.review_level_for(viewer, attempt)
    body.update(
        score=attempt.score,
        max_score=attempt.max_score,
        percent=attempt.percent,
        passed=attempt.passed,
        band={"key": band["key"], "title": band["title"], "text": band.get("text", "")} if band else None,
        review=review(attempt, level),
        regrades=[
            {
                "at": iso(r.created_at),
                "reason": r.reason,
                "by": r.by.name if r.by else None,
                "old": {
                    "score": r.old_score,
                    "max_score": r.old_max_score,
                    "percent": r.old_percent,
                    "passed": r.old_passed,
                },
                "new": {
                    "score": r.new_score,
                    "max_score": r.new_max_score,
                    "percent": r.new_percent,
                    "passed": r.new_passed,
                },
            }
            for r in attempt.regrades
        ],
    )
    return body


def _own_open_attempt(attempt_id: int) -> Attempt | None:
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None or attempt.user_id != g.api_user.id or attempt.quiz.archived:
        return None
    return attempt


@api_bp.post("/quizzes/<slug>/start")
@token_required
def start_attempt(slug: str):
    """Start an attempt (its paper drawn, its deadline set by the server) or resume the open one."""
    quiz = queries.available_quiz(g.api_user, slug)
    if quiz is None:
        return error(404, _("没有这个测验。"))
    before = queries.open_attempt(g.api_user.id, quiz.id)
    try:
        attempt = services.start_or_resume(g.api_user, quiz)
    except services.AttemptError as failure:
        return error(http_status(failure), *failure.errors)
    resumed = before is not None and before.id == attempt.id
    return jsonify(attempt_body(attempt, g.api_user)), 200 if resumed else 201


@api_bp.get("/attempts/<int:attempt_id>")
@token_required
def get_attempt(attempt_id: int):
    """An attempt: the caller's own (open or submitted), or a submitted one they may see as staff."""
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None or not queries.can_view_attempt(g.api_user, attempt):
        return error(404, _("没有这次作答。"))
    if not attempt.submitted and services.is_late(attempt):
        services.expire(attempt)
    if not attempt.submitted and attempt.user_id != g.api_user.id:
        return error(404, _("没有这次作答。"))
    return jsonify(attempt_body(attempt, g.api_user))


def _answers_body(required: bool) -> dict[str, Any] | None:
    """The ``answers`` object of the JSON body (None when malformed); ``{}`` for an allowed empty body."""
    if not required and not request.get_data():
        return {}
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or ("answers" not in data and required):
        return None
    answers = data.get("answers", {})
    return answers if isinstance(answers, dict) else None


@api_bp.post("/attempts/<int:attempt_id>/answers")
@token_required
def save_answers(attempt_id: int):
    """Save answers of an open attempt (merged with those saved before); refused after the deadline."""
    attempt = _own_open_attempt(attempt_id)
    if attempt is None:
        return error(404, _("没有这次作答。"))
    answers = _answers_body(required=True)
    if answers is None:
        return error(400, _('请求体应为 JSON 对象：{"answers": {"q1": "A", …}}。'))
    if attempt.submitted:
        return error(409, _("本次作答已经提交，不能再修改答案。"))
    try:
        services.merge_answers(attempt, answers)
    except services.AttemptError as failure:
        return error(http_status(failure), *failure.errors)
    saved = queries.answers_of(attempt.id)
    return jsonify(answered=len(saved), total=len(services.paper_questions(attempt)), answers=saved)


@api_bp.post("/attempts/<int:attempt_id>/submit")
@token_required
def submit_attempt(attempt_id: int):
    """Save the answers sent (optional) and submit; every question of the paper must be answered."""
    attempt = _own_open_attempt(attempt_id)
    if attempt is None:
        return error(404, _("没有这次作答。"))
    answers = _answers_body(required=False)
    if answers is None:
        return error(400, _('请求体应为 JSON 对象：{"answers": {"q1": "A", …}}（可以省略）。'))
    if not attempt.submitted:
        try:
            services.merge_answers(attempt, answers)
            services.submit(attempt)
        except services.Unanswered as failure:
            return error(422, failure.errors[0], *[_("未作答：%(q)s", q=qid) for qid in failure.question_ids])
        except services.AttemptError as failure:
            return error(http_status(failure), *failure.errors)
    return jsonify(attempt_body(attempt, g.api_user))


ATTEMPT_ID = {
    "name": "attempt_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_INT},
}
SLUG = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}
ANSWERS = {
    "type": "object",
    "description": "Question ids of the attempt's paper mapped to one option key, or a list of keys for "
    "multiple-choice.",
    "additionalProperties": {
        "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}, "minItems": 1}]
    },
    "example": {"q1": "A", "q2": ["A", "C"]},
}
ERRORS = {
    "401": {"$ref": "#/components/responses/Unauthorized"},
    "403": {"$ref": "#/components/responses/Forbidden"},
    "404": {"$ref": "#/components/responses/NotFound"},
}
ATTEMPT_RESPONSE = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/AttemptDetail"}}}}
RESULT_FIGURES = {
    "type": "object",
    "properties": {
        "score": {"type": "integer", "nullable": True},
        "max_score": {"type": "integer", "nullable": True},
        "percent": {"type": "integer", "nullable": True},
        "passed": {"type": "boolean", "nullable": True},
    },
}

describe(
    {
        "/quizzes/{slug}/start": {
            "post": {
                "tags": ["attempts"],
                "summary": "Start an attempt: the drawn paper and the server's deadline (or resume the open one)",
                "description": "Quizzes with a question pool or a time limit are taken in steps: start, save answers, "
                "submit. Each start draws a paper by the quiz's rules, preferring questions the caller has not "
                "seen; the paper and its order are stored with the attempt. Starting again while an attempt is "
                "open returns it (200) with its saved answers and the time left.",
                "parameters": [SLUG],
                "responses": {
                    "200": {"description": "The open attempt, resumed", **ATTEMPT_RESPONSE},
                    "201": {"description": "A new attempt", **ATTEMPT_RESPONSE},
                    **ERRORS,
                    "409": {"$ref": "#/components/responses/Conflict"},
                },
            }
        },
        "/attempts/{attempt_id}": {
            "get": {
                "tags": ["attempts"],
                "summary": "An attempt: open (paper, saved answers, deadline) or submitted (result, review, regrades)",
                "description": "The review follows the quiz's review policy: `full` (each question, the answer "
                "given, the right answer, the explanation), `mistakes` (which questions were wrong and the "
                "module to reread; no right answers or explanations) or `score` (no questions). An open "
                "attempt past its deadline is submitted first with the answers saved in time.",
                "parameters": [ATTEMPT_ID],
                "responses": {"200": {"description": "The attempt", **ATTEMPT_RESPONSE}, **ERRORS},
            }
        },
        "/attempts/{attempt_id}/answers": {
            "post": {
                "tags": ["attempts"],
                "summary": "Save answers of an open attempt (merged with those saved before)",
                "parameters": [ATTEMPT_ID],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["answers"],
                                "properties": {"answers": ANSWERS},
                            }
                        }
                    },
                },
                "responses": {
                    "200": {
                        "description": "Saved",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SavedAnswers"}}},
                    },
                    "400": {"$ref": "#/components/responses/BadRequest"},
                    **ERRORS,
                    "409": {"$ref": "#/components/responses/Conflict"},
                    "422": {"$ref": "#/components/responses/Unprocessable"},
                },
            }
        },
        "/attempts/{attempt_id}/submit": {
            "post": {
                "tags": ["attempts"],
                "summary": "Save the answers sent (optional) and submit the attempt",
                "description": "Every question of the paper must be answered (422 lists the rest). Past the "
                "deadline nothing is saved: 409, and the attempt is submitted with the answers saved in time. "
                "Submitting a submitted attempt returns it unchanged.",
                "parameters": [ATTEMPT_ID],
                "requestBody": {
                    "required": False,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {"answers": ANSWERS},
                            }
                        }
                    },
                },
                "responses": {
                    "200": {"description": "Submitted", **ATTEMPT_RESPONSE},
                    "400": {"$ref": "#/components/responses/BadRequest"},
                    **ERRORS,
                    "409": {"$ref": "#/components/responses/Conflict"},
                    "422": {"$ref": "#/components/responses/Unprocessable"},
                },
            }
        },
    },
    {
        "SavedAnswers": {
            "type": "object",
            "required": ["answered", "total", "answers"],
            "properties": {
                "answered": {"type": "integer"},
                "total": {"type": "integer", "description": "questions on the paper"},
                "answers": ANSWERS,
            },
        },
        "ReviewQuestion": {
            "type": "object",
            "required": ["id", "number", "text", "correct", "module"],
            "properties": {
                "id": {"type": "string"},
                "number": {"type": "integer"},
                "text": {"type": "string"},
                "correct": {"type": "boolean"},
                "module": {
                    "type": "object",
                    "nullable": True,
                    "description": "the module to reread (wrong answers only)",
                    "properties": {"slug": {"type": "string"}, "title": {"type": "string"}, "url": {"type": "string"}},
                },
                "options": {
                    "type": "array",
                    "items": {"$ref": "#/components/schemas/Option"},
                    "description": "level full only",
                },
                "chosen": {"type": "array", "items": {"type": "string"}, "description": "level full only"},
                "answer": {"type": "array", "items": {"type": "string"}, "description": "level full only"},
                "explanation": {"type": "string", "description": "level full only"},
            },
        },
        "Review": {
            "type": "object",
            "required": ["level", "questions"],
            "properties": {
                "level": {"type": "string", "enum": [str(level) for level in ReviewLevel]},
                "questions": {"type": "array", "items": {"$ref": "#/components/schemas/ReviewQuestion"}},
            },
        },
        "Regrade": {
            "type": "object",
            "required": ["at", "reason", "old", "new"],
            "properties": {
                "at": {"type": "string", "format": "date-time"},
                "reason": {"type": "string"},
                "by": {"type": "string", "nullable": True},
                "old": RESULT_FIGURES,
                "new": RESULT_FIGURES,
            },
        },
        "AttemptDetail": {
            "type": "object",
            "required": ["id", "quiz", "status", "started_at", "deadline", "submitted_at", "auto_submitted"],
            "properties": {
                "id": {"type": "integer"},
                "quiz": {
                    "type": "object",
                    "properties": {
                        "slug": {"type": "string"},
                        "title": {"type": "string"},
                        "kind": {"type": "string"},
                    },
                },
                "status": {"type": "string", "enum": ["in_progress", "submitted"]},
                "started_at": {"type": "string", "format": "date-time"},
                "deadline": {
                    "type": "string",
                    "format": "date-time",
                    "nullable": True,
                    "description": "set by the server at start for timed quizzes",
                },
                "submitted_at": {"type": "string", "format": "date-time", "nullable": True},
                "auto_submitted": {"type": "boolean", "description": "submitted by the server at the deadline"},
                "remaining_seconds": {"type": "integer", "nullable": True, "description": "open attempts"},
                "questions": {
                    "type": "array",
                    "items": {"$ref": "#/components/schemas/Question"},
                    "description": "open attempts: the paper in its order",
                },
                "answers": ANSWERS,
                "score": {"type": "integer", "nullable": True},
                "max_score": {"type": "integer", "nullable": True},
                "percent": {"type": "integer", "nullable": True},
                "passed": {"type": "boolean", "nullable": True},
                "band": {
                    "type": "object",
                    "nullable": True,
                    "properties": {
                        "key": {"type": "string"},
                        "title": {"type": "string"},
                        "text": {"type": "string"},
                    },
                },
                "review": {"$ref": "#/components/schemas/Review"},
                "regrades": {"type": "array", "items": {"$ref": "#/components/schemas/Regrade"}},
            },
        },
    },
)
