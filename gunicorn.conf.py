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
# Off by default: gunicorn's gthread worker drops the connections it has accepted but not yet read when
# it retires after max_requests (clients see a closed connection). Preloading keeps workers lean anyway.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "0"))
max_requests_jitter = max_requests // 10
# Load the app once in the master and fork warm workers: a recycled worker then costs a fork instead of
# 1.4 s of imports plus cold templates and mappers (docs/benchmarks.md). Code changes need a restart.
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") != "0"
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def when_ready(server) -> None:
    """Warm the preloaded app in the master (templates, mappers, catalogues) before workers fork."""
    if server.cfg.preload_app:
        from app.core.workers import warm

        count = warm(server.app.wsgi())
        server.log.info("app warmed: %d templates compiled before forking", count)


def post_fork(server, worker) -> None:
    """Each worker opens its own database connections."""
    if server.cfg.preload_app:
        from app.core.workers import after_fork

        after_fork(server.app.wsgi())


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
