"""Gunicorn settings for production (``gunicorn -c gunicorn.conf.py wsgi:app``).

Every log line, gunicorn's and the app's, is one JSON object (see docs/operations.md).
"""

import json
import logging
import multiprocessing
import os
from datetime import UTC, datetime

from gunicorn.glogging import Logger

from app.core.logs import JsonFormatter

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
worker_class = "gthread"
timeout = 60
graceful_timeout = 30
keepalive = 5
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


class JsonLogger(Logger):
    """Gunicorn's access and error logs as JSON lines (quotes in a user agent cannot break them)."""

    def setup(self, cfg) -> None:
        """Format gunicorn's own messages like the app's."""
        super().setup(cfg)
        for handler in self.error_log.handlers:
            handler.setFormatter(JsonFormatter())

    def access(self, resp, req, environ, request_time) -> None:
        """Write one JSON object per request."""
        if not self.cfg.accesslog:
            return
        atoms = self.atoms(resp, req, environ, request_time)
        record = {
            "time": datetime.now(UTC).isoformat(timespec="seconds"),
            "level": "INFO",
            "logger": "gunicorn.access",
            "remote": atoms["h"],
            "forwarded_for": atoms.get("{x-forwarded-for}i"),
            "method": atoms["m"],
            "path": atoms["U"] or getattr(req, "path", None),
            "query": atoms["q"] or None,
            "status": int(atoms["s"]),
            "bytes": atoms["B"],
            "ms": atoms["M"],
            "agent": atoms["a"],
        }
        self.access_log.log(logging.INFO, json.dumps(record, ensure_ascii=False))


logger_class = JsonLogger
