"""The caller's own records: attempts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import g

from app.api import api_bp, describe, paginated
from app.api.auth import iso, token_required
from app.api.quizzes import PAGE_PARAMS, attempt_result
from app.assessments import queries, services
from app.assessments.models import Attempt


def attempt_items(attempts: Sequence[Attempt]) -> list[dict[str, Any]]:
    """Serialise submitted attempts with their quiz (one query for band titles)."""
    titles = queries.band_titles(list(attempts))
    return [
        {
            **attempt_result(a, titles.get(a.id)),
            "quiz": {"slug": a.quiz.slug, "title": a.quiz.title, "kind": a.quiz.kind},
            "submitted_at": iso(a.submitted_at),
        }
        for a in attempts
    ]


@api_bp.get("/me/attempts")
@token_required
def my_attempts():
    """The caller's submitted attempts, newest first (overdue timed attempts are submitted first)."""
    services.expire_due(user_id=g.api_user.id)
    return paginated(queries.history(g.api_user.id), attempt_items)


describe(
    {
        "/me/attempts": {
            "get": {
                "tags": ["me"],
                "summary": "The caller's submitted attempts, newest first",
                "parameters": PAGE_PARAMS,
                "responses": {
                    "200": {
                        "description": "A page of attempts",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AttemptPage"}}},
                    },
                    "401": {"$ref": "#/components/responses/Unauthorized"},
                    "403": {"$ref": "#/components/responses/Forbidden"},
                },
            }
        }
    },
    {
        "Attempt": {
            "allOf": [
                {"$ref": "#/components/schemas/AttemptResult"},
                {
                    "type": "object",
                    "required": ["quiz", "submitted_at"],
                    "properties": {
                        "quiz": {
                            "type": "object",
                            "properties": {
                                "slug": {"type": "string"},
                                "title": {"type": "string"},
                                "kind": {"type": "string"},
                            },
                        },
                        "submitted_at": {"type": "string", "format": "date-time"},
                    },
                },
            ]
        },
        "AttemptPage": {
            "type": "object",
            "required": ["items", "page", "per_page", "total"],
            "properties": {
                "items": {"type": "array", "items": {"$ref": "#/components/schemas/Attempt"}},
                "page": {"type": "integer"},
                "per_page": {"type": "integer"},
                "total": {"type": "integer"},
            },
        },
    },
)
