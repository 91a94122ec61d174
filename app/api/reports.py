"""Reports: completion of every (trainee, course) enrolment, for HR tokens (managers: their departments)."""

from __future__ import annotations

from typing import Any

from flask import g, jsonify, request
from flask_babel import gettext as _

from app.api import api_bp, describe, error, page_args
from app.api.auth import iso, token_required
from app.api.quizzes import PAGE_PARAMS
from app.completion.enums import CompletionStatus, ItemKind, ItemState
from app.reports import queries


def completion_item(row: queries.ReportRow, catalogue: queries.Catalogue) -> dict[str, Any]:
    """Serialise one enrolment with its checklist."""
    done, total = catalogue.progress(row)
    return {
        "user": {"id": row.user_id, "employee_no": row.employee_no, "name": row.name, "department": row.department},
        "course": {"id": row.course_id, "title": row.course_title},
        "status": row.status,
        "overdue": row.overdue,
        "due_date": row.due_date.isoformat() if row.due_date else None,
        "completed_at": iso(row.completed_at) if row.completed_at and row.status == CompletionStatus.COMPLETE else None,
        "done": done,
        "total": total,
        "items": [
            {
                "kind": item["kind"],
                "slug": item["slug"],
                "title": catalogue.title(row.course_id, item),
                "state": item["state"],
                "score": item.get("score"),
                "max": item.get("max"),
            }
            for item in catalogue.items(row)
        ],
    }


@api_bp.get("/reports/completion")
@token_required
def completion_report():
    """Completion per enrolment, filterable like the HR dashboard (HR; a manager: their departments' people)."""
    if not g.api_user.has_role("hr", "manager"):
        return error(403, _("只有人事和经理可以查看完成情况报表。"))
    scope = None if g.api_user.has_role("hr") else queries.managed_people(g.api_user.id)
    number, per_page = page_args()
    page = queries.page(queries.Filters.from_args(request.args), scope, number, per_page)
    catalogue = queries.catalogue()
    return jsonify(
        items=[completion_item(row, catalogue) for row in page.items],
        page=page.page,
        per_page=page.per_page,
        total=page.total,
    )


FILTER_PARAMS = [
    {"name": "department", "in": "query", "schema": {"type": "integer"}, "description": "department id"},
    {"name": "cohort", "in": "query", "schema": {"type": "integer"}, "description": "cohort id (its trainees)"},
    {"name": "course", "in": "query", "schema": {"type": "integer"}, "description": "course id"},
    {
        "name": "status",
        "in": "query",
        "schema": {"type": "string", "enum": [status.value for status in queries.ReportStatus]},
        "description": "overdue = past the due date and not complete",
    },
    {
        "name": "due_before",
        "in": "query",
        "schema": {"type": "string", "format": "date"},
        "description": "due on or before this date",
    },
    {
        "name": "q",
        "in": "query",
        "schema": {"type": "string", "maxLength": 64},
        "description": "part of a name, 工号 or username",
    },
]

describe(
    {
        "/reports/completion": {
            "get": {
                "tags": ["reports"],
                "summary": "Completion of every (trainee, course) enrolment (HR; managers: their departments)",
                "description": "One item per trainee and assigned course, ordered by department, name and course. "
                "A manager's token sees only the people of the departments they follow. "
                "An enrolment with no activity is not_started. Unknown filter values are ignored.",
                "parameters": PAGE_PARAMS + FILTER_PARAMS,
                "responses": {
                    "200": {
                        "description": "A page of enrolments",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CompletionPage"}}},
                    },
                    "401": {"$ref": "#/components/responses/Unauthorized"},
                    "403": {
                        "description": "Neither an HR nor a manager account, or the account is deactivated",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                    },
                },
            }
        }
    },
    {
        "CompletionItem": {
            "type": "object",
            "required": ["user", "course", "status", "overdue", "due_date", "completed_at", "done", "total", "items"],
            "properties": {
                "user": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "employee_no": {"type": "string", "nullable": True},
                        "name": {"type": "string"},
                        "department": {"type": "string", "nullable": True},
                    },
                },
                "course": {"type": "object", "properties": {"id": {"type": "integer"}, "title": {"type": "string"}}},
                "status": {"type": "string", "enum": [status.value for status in CompletionStatus]},
                "overdue": {"type": "boolean"},
                "due_date": {"type": "string", "format": "date", "nullable": True},
                "completed_at": {"type": "string", "format": "date-time", "nullable": True},
                "done": {"type": "integer", "description": "checklist items done or waived"},
                "total": {"type": "integer", "description": "checklist items required"},
                "items": {
                    "type": "array",
                    "description": "the checklist: what is done and what is still missing",
                    "items": {
                        "type": "object",
                        "properties": {
                            "kind": {"type": "string", "enum": [kind.value for kind in ItemKind]},
                            "slug": {"type": "string"},
                            "title": {"type": "string"},
                            "state": {"type": "string", "enum": [state.value for state in ItemState]},
                            "score": {
                                "type": "integer",
                                "nullable": True,
                                "description": "best quiz percent, or best role-play total",
                            },
                            "max": {"type": "integer", "nullable": True, "description": "role-play rubric maximum"},
                        },
                    },
                },
            },
        },
        "CompletionPage": {
            "type": "object",
            "required": ["items", "page", "per_page", "total"],
            "properties": {
                "items": {"type": "array", "items": {"$ref": "#/components/schemas/CompletionItem"}},
                "page": {"type": "integer"},
                "per_page": {"type": "integer"},
                "total": {"type": "integer"},
            },
        },
    },
)
