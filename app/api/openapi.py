"""The OpenAPI 3 document, built from the paths and schemas each resource module describes."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from app.api import PATHS, SCHEMAS, api_bp, describe

ERROR = {
    "type": "object",
    "required": ["errors"],
    "properties": {"errors": {"type": "array", "items": {"type": "string"}, "description": "every problem found"}},
}
RESPONSES = {
    name: {"description": text, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    for name, text in (
        ("BadRequest", "The request body is not the expected JSON"),
        ("Unauthorized", "Missing, invalid, expired or revoked token (or wrong credentials)"),
        ("Forbidden", "The account is deactivated"),
        ("NotFound", "No such resource, or not visible to the caller"),
        ("Conflict", "Not allowed now: attempt limit used up, or cooldown not over"),
        ("Unprocessable", "Invalid answers: every problem is listed and nothing is stored"),
        ("TooManyRequests", "Too many failed sign-ins; try again later"),
    )
}


def build() -> dict[str, Any]:
    """The whole document."""
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Service Academy API",
            "version": "1",
            "description": "客服学院 JSON API v1 for mobile and workplace-chat clients and integrations. "
            'Errors are always {"errors": [...]}; lists take ?page=&per_page= and return '
            '{"items", "page", "per_page", "total"}.',
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": dict(sorted(PATHS.items())),
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": ERROR, **SCHEMAS},
            "responses": RESPONSES,
        },
    }


@api_bp.get("/openapi.json")
def document():
    """Serve the OpenAPI document."""
    return jsonify(build())


describe(
    {
        "/openapi.json": {
            "get": {
                "tags": ["meta"],
                "summary": "This document",
                "security": [],
                "responses": {"200": {"description": "The OpenAPI 3 document", "content": {"application/json": {}}}},
            }
        }
    }
)
