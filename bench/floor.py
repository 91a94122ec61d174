"""The floor: the platform with three no-op routes, to measure what signing in costs before any page work.

Served by ``bench.run --floor`` next to the platform and hello-world (same gunicorn settings, same
database). Each route answers "ok" and reads nothing more than its check needs: nothing, the signed-in
session (cookie, as every page), or the bearer token (as every API call). Never deployed.
"""

from __future__ import annotations

from flask import Flask
from flask_login import login_required

from app import create_app as create_platform
from app.api.auth import token_required


def anonymous() -> str:
    """No check at all: the platform's middleware, hooks and security headers only."""
    return "ok"


@login_required
def signed_in() -> str:
    """The server-side sign-in check every page makes (one statement), nothing else."""
    return "ok"


@token_required
def token() -> str:
    """The bearer-token check every API call makes (one statement), nothing else."""
    return "ok"


def create_app(config: dict | None = None) -> Flask:
    """The platform plus the no-op routes (gunicorn target ``bench.floor:create_app()``)."""
    app = create_platform(config)
    app.add_url_rule("/bench/floor/anonymous", "floor_anonymous", anonymous)
    app.add_url_rule("/bench/floor/signed-in", "floor_signed_in", signed_in)
    app.add_url_rule("/bench/floor/token", "floor_token", token)
    return app
