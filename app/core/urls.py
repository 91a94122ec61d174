"""URL building that works outside a request too (CLI commands, jobs)."""

from __future__ import annotations

from flask import current_app


def path_for(endpoint: str, **values: str) -> str:
    """A site-relative URL, also outside a request (CLI)."""
    return current_app.url_map.bind("").build(endpoint, values)
