"""Structured (JSON lines) logging for production."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from flask import Flask, g, has_request_context, request

# Attributes every LogRecord has; anything else on a record came from ``extra={...}`` (ids of what a service wrote).
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    """Format a log record as one JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        """Render the record with request context when there is one."""
        data: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="seconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        data.update({k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")})
        if has_request_context():
            data.update(method=request.method, path=request.path, remote=request.remote_addr)
            user = getattr(g, "_login_user", None)
            if user is not None and getattr(user, "is_authenticated", False):
                data["user_id"] = user.id
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False, default=str)


def init_app(app: Flask) -> None:
    """Send the app's logs to stderr as JSON lines outside debug and testing."""
    if app.debug or app.testing:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    app.logger.handlers[:] = [handler]
    app.logger.setLevel(app.config.get("LOG_LEVEL", "INFO"))  # the services' INFO lines (``app.<room>.services``)
