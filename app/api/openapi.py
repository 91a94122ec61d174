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
        (
            "BadRequest",
            "The request body is not the expected JSON, a query parameter is invalid (page and per_page "
            "outside their range or given twice), or a query parameter holds control characters",
        ),
        ("Unauthorized", "Missing, invalid, expired or revoked token (or wrong credentials)"),
        ("Forbidden", "The account is deactivated"),
        ("NotFound", "No such resource, or not visible to the caller"),
        (
            "Conflict",
            "Not allowed now: attempt limit used up, cooldown not over, attempt already submitted or past its "
            "deadline, or a quiz with a pool or a time limit sent in one step (see start_required)",
        ),
        (
            "Unprocessable",
            "Invalid content (answers, or text holding control characters): every problem is listed "
            "and nothing is stored",
        ),
        ("TooManyRequests", "Too many failed sign-ins; try again later"),
    )
}


def _with_shared_errors(item: dict[str, Any]) -> dict[str, Any]:
    """A path item whose operations also document the refusals every call may get (see ``app.core.forms``).

    Any query string with control characters is a 400; any JSON body holding them is a 422.
    """
    out = dict(item)
    for method, operation in item.items():
        if method not in ("get", "put", "post", "delete", "patch"):
            continue  # path-level parameters, summary
        responses = {"400": {"$ref": "#/components/responses/BadRequest"}, **operation["responses"]}
        if "requestBody" in operation:
            responses.setdefault("422", {"$ref": "#/components/responses/Unprocessable"})
        out[method] = {**operation, "responses": dict(sorted(responses.items()))}
    return out


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
        "paths": {path: _with_shared_errors(item) for path, item in sorted(PATHS.items())},
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
