"""Role-play cards (never the partner brief), written submissions, and the caller's submissions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import g, jsonify, request
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from app.api import api_bp, describe, error, paginated
from app.api.auth import iso, token_required
from app.api.idempotent import write_once
from app.api.quizzes import IDEMPOTENCY_KEY, PAGE_PARAMS
from app.extensions import db
from app.learning.models import Course
from app.roleplay import queries, scoring, services
from app.roleplay.enums import SubmissionStatus
from app.roleplay.models import DIFFICULTIES, STATUSES, RoleplayCard, Submission


def card_items(cards: Sequence[RoleplayCard]) -> list[dict[str, Any]]:
    """Serialise cards for lists (one query for their courses)."""
    courses = queries.courses_by_id({c.course_id for c in cards})
    return [
        {
            "slug": c.slug,
            "title": c.title,
            "summary": c.summary,
            "course": courses[c.course_id].slug if c.course_id in courses else None,
            "difficulty": c.difficulty,
            "minutes": c.minutes,
            "roles": {"trainee": c.roles.get("trainee"), "partner": c.roles.get("partner")},
            "pass_percent": c.pass_percent,
        }
        for c in cards
    ]


def submission_items(submissions: Sequence[Submission]) -> list[dict[str, Any]]:
    """Serialise the caller's submissions with feedback once graded or returned."""
    out = []
    for s in submissions:
        item: dict[str, Any] = {
            "id": s.id,
            "card": {"slug": s.card.slug, "title": s.card.title},
            "status": s.status,
            "live": s.live,
            "response": s.response_text,
            "has_audio": bool(s.audio_name),
            "created_at": iso(s.created_at),
            "submitted_at": iso(s.submitted_at) if s.submitted_at else None,
            "graded_at": iso(s.graded_at) if s.graded_at else None,
            "total": None,
            "max_points": None,
            "passed": None,
            "comment": s.overall_comment if s.status in (SubmissionStatus.GRADED, SubmissionStatus.RETURNED) else None,
            "criteria": [],
        }
        if s.status == SubmissionStatus.GRADED and s.rubric_version is not None:
            levels, comments = s.chosen()
            item.update(total=s.total, max_points=s.max_points, passed=s.passed)
            item["criteria"] = [
                {
                    "key": row["criterion"]["key"],
                    "title": row["criterion"]["title"],
                    "level": row["level"]["title"] if row["level"] else None,
                    "points": row["level"]["points"] if row["level"] else None,
                    "comment": row["comment"],
                }
                for row in scoring.feedback_rows(s.rubric_version.definition, levels, comments)
            ]
        out.append(item)
    return out


@api_bp.get("/roleplays")
@token_required
def list_roleplays():
    """Scenario cards the caller may open, filtered by ?course=<slug> and ?difficulty=."""
    course_slug = request.args.get("course")
    difficulty = request.args.get("difficulty")
    if difficulty and difficulty not in DIFFICULTIES:
        return error(400, _("难度只能是 basic、intermediate 或 advanced。"))
    course_id = None
    if course_slug:
        course_id = db.session.scalar(select(Course.id).where(Course.slug == course_slug)) or -1
    return paginated(queries.library(g.api_user, course_id, difficulty), card_items)


def _card(slug: str) -> tuple[RoleplayCard | None, Any]:
    card = queries.card_by_slug(slug)
    if card is None:
        return None, error(404, _("没有这张场景卡片。"))
    if not queries.can_view_card(g.api_user, card):
        return None, error(403, _("这张场景卡片所属的课程没有分配给你。"))
    return card, None


@api_bp.get("/roleplays/<slug>")
@token_required
def get_roleplay(slug: str):
    """One card: background, task, observation points, time and its current rubric (no partner brief)."""
    card, failure = _card(slug)
    if failure:
        return failure
    version = card.rubric.current_version
    body = card_items([card])[0]
    body.update(background_html=card.background_html, task_html=card.task_html, observe_html=card.observe_html)
    body["rubric"] = {
        "slug": card.rubric.slug,
        "title": card.rubric.title,
        "max_points": version.max_points,
        "pass_mark": scoring.pass_mark(version.max_points, card.pass_percent),
        "criteria": [
            {
                "key": c["key"],
                "title": c["title"],
                "levels": [{"points": lv["points"], "title": lv["title"], "text": lv["text"]} for lv in c["levels"]],
            }
            for c in scoring.criteria(version.definition)
        ],
    }
    return jsonify(body)


@api_bp.post("/roleplays/<slug>/submissions")
@token_required
def create_submission(slug: str):
    """Save the caller's written response as a draft or hand it in (trainees only)."""
    if not g.api_user.has_role("trainee"):
        return error(403, _("只有学员可以提交角色扮演练习。"))
    card, failure = _card(slug)
    if failure:
        return failure
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not isinstance(data.get("response"), str):
        return error(400, _('请求体应为 JSON 对象：{"response": "书面回应", "submit": true}。'))
    submit = data.get("submit", True)
    if not isinstance(submit, bool):
        return error(400, _("submit 应为 true 或 false。"))
    try:
        submission, replay = write_once(
            g.api_user,
            lambda key: services.save_response(g.api_user, card, text=data["response"], submit=submit, request_key=key),
            _stored_submission,
        )
    except services.TransitionError as failure:
        return error(409, str(failure))
    except services.RoleplayError as failure:
        return error(422, str(failure))
    return replay or (jsonify(submission_items([submission])[0]), 201)


def _stored_submission(submission_id: int) -> tuple[Any, int]:
    """The first answer to a repeated request: the submission as it is now."""
    return jsonify(submission_items([db.session.get_one(Submission, submission_id)])[0]), 201


@api_bp.get("/me/submissions")
@token_required
def my_submissions():
    """The caller's role-play submissions, newest first, with feedback once graded."""
    query = queries.my_submissions(g.api_user.id).options(
        selectinload(Submission.scores), joinedload(Submission.rubric_version)
    )
    return paginated(query, submission_items)


SLUG = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}
STANDARD_ERRORS = {
    "401": {"$ref": "#/components/responses/Unauthorized"},
    "403": {"$ref": "#/components/responses/Forbidden"},
}


def _page_schema(item: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["items", "page", "per_page", "total"],
        "properties": {
            "items": {"type": "array", "items": {"$ref": f"#/components/schemas/{item}"}},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "total": {"type": "integer"},
        },
    }


def _json(schema: str, description: str) -> dict[str, Any]:
    ref = {"$ref": f"#/components/schemas/{schema}"}
    return {"description": description, "content": {"application/json": {"schema": ref}}}


describe(
    {
        "/roleplays": {
            "get": {
                "tags": ["roleplays"],
                "summary": "Scenario cards the caller may open",
                "parameters": [
                    *PAGE_PARAMS,
                    {"name": "course", "in": "query", "schema": {"type": "string"}, "description": "course slug"},
                    {"name": "difficulty", "in": "query", "schema": {"type": "string", "enum": list(DIFFICULTIES)}},
                ],
                "responses": {
                    "200": _json("RoleplayPage", "A page of cards"),
                    "400": {"$ref": "#/components/responses/BadRequest"},
                    **STANDARD_ERRORS,
                },
            }
        },
        "/roleplays/{slug}": {
            "get": {
                "tags": ["roleplays"],
                "summary": "A card with its current rubric (the partner brief is never sent)",
                "parameters": [SLUG],
                "responses": {
                    "200": _json("RoleplayDetail", "The card"),
                    **STANDARD_ERRORS,
                    "404": {"$ref": "#/components/responses/NotFound"},
                },
            }
        },
        "/roleplays/{slug}/submissions": {
            "post": {
                "tags": ["roleplays"],
                "summary": "Save a written response as a draft, or hand it in for grading (trainees)",
                "description": "A retry with the same Idempotency-Key gets the first result and stores nothing.",
                "parameters": [SLUG, IDEMPOTENCY_KEY],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SubmissionRequest"}}},
                },
                "responses": {
                    "201": _json("Submission", "Saved"),
                    "400": {"$ref": "#/components/responses/BadRequest"},
                    **STANDARD_ERRORS,
                    "404": {"$ref": "#/components/responses/NotFound"},
                    "409": {"$ref": "#/components/responses/Conflict"},
                    "422": {"$ref": "#/components/responses/Unprocessable"},
                },
            }
        },
        "/me/submissions": {
            "get": {
                "tags": ["me"],
                "summary": "The caller's role-play submissions, newest first",
                "parameters": PAGE_PARAMS,
                "responses": {"200": _json("SubmissionPage", "A page of submissions"), **STANDARD_ERRORS},
            }
        },
    },
    {
        "Roleplay": {
            "type": "object",
            "required": ["slug", "title", "course", "difficulty", "minutes", "roles", "pass_percent"],
            "properties": {
                "slug": {"type": "string"},
                "title": {"type": "string"},
                "summary": {"type": "string", "nullable": True},
                "course": {"type": "string", "nullable": True, "description": "course slug"},
                "difficulty": {"type": "string", "enum": list(DIFFICULTIES)},
                "minutes": {"type": "integer"},
                "roles": {
                    "type": "object",
                    "properties": {"trainee": {"type": "string"}, "partner": {"type": "string"}},
                },
                "pass_percent": {"type": "integer"},
            },
        },
        "RoleplayDetail": {
            "allOf": [
                {"$ref": "#/components/schemas/Roleplay"},
                {
                    "type": "object",
                    "required": ["background_html", "task_html", "observe_html", "rubric"],
                    "properties": {
                        "background_html": {"type": "string", "description": "sanitised HTML"},
                        "task_html": {"type": "string", "description": "sanitised HTML"},
                        "observe_html": {"type": "string", "description": "sanitised HTML"},
                        "rubric": {"$ref": "#/components/schemas/Rubric"},
                    },
                },
            ]
        },
        "Rubric": {
            "type": "object",
            "required": ["slug", "title", "max_points", "pass_mark", "criteria"],
            "properties": {
                "slug": {"type": "string"},
                "title": {"type": "string"},
                "max_points": {"type": "integer"},
                "pass_mark": {"type": "integer", "description": "the lowest passing total for this card"},
                "criteria": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "key": {"type": "string"},
                            "title": {"type": "string"},
                            "levels": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "properties": {
                                        "points": {"type": "integer"},
                                        "title": {"type": "string"},
                                        "text": {"type": "string"},
                                    },
                                },
                            },
                        },
                    },
                },
            },
        },
        "RoleplayPage": _page_schema("Roleplay"),
        "SubmissionRequest": {
            "type": "object",
            "required": ["response"],
            "properties": {
                "response": {"type": "string", "description": "what the trainee would say and do, as dialogue"},
                "submit": {"type": "boolean", "default": True, "description": "false saves a private draft"},
            },
        },
        "Submission": {
            "type": "object",
            "required": ["id", "card", "status", "response", "has_audio", "created_at"],
            "properties": {
                "id": {"type": "integer"},
                "card": {"type": "object", "properties": {"slug": {"type": "string"}, "title": {"type": "string"}}},
                "status": {"type": "string", "enum": list(STATUSES)},
                "live": {"type": "boolean", "description": "graded live in the classroom"},
                "response": {"type": "string"},
                "has_audio": {"type": "boolean"},
                "created_at": {"type": "string", "format": "date-time"},
                "submitted_at": {"type": "string", "format": "date-time", "nullable": True},
                "graded_at": {"type": "string", "format": "date-time", "nullable": True},
                "total": {"type": "integer", "nullable": True},
                "max_points": {"type": "integer", "nullable": True},
                "passed": {"type": "boolean", "nullable": True},
                "comment": {
                    "type": "string",
                    "nullable": True,
                    "description": "the grader's overall comment (graded) or revision request (returned)",
                },
                "criteria": {
                    "type": "array",
                    "description": "per-criterion feedback once graded",
                    "items": {
                        "type": "object",
                        "properties": {
                            "key": {"type": "string"},
                            "title": {"type": "string"},
                            "level": {"type": "string", "nullable": True},
                            "points": {"type": "integer", "nullable": True},
                            "comment": {"type": "string"},
                        },
                    },
                },
            },
        },
        "SubmissionPage": _page_schema("Submission"),
    },
)
