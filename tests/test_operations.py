"""Deployment: gunicorn with the shipped configuration logs JSON lines; backups keep passwords off argv."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from app.core import backup

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = Path(sys.executable).parent / "gunicorn"


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str, **headers: str) -> tuple[int, bytes]:
    """GET a local URL; return the status and body (errors included)."""
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (a loopback URL built here)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_gunicorn_serves_healthz_and_logs_json_lines(tmp_path):
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "APP_ENV": "production",
        "SECRET_KEY": "gunicorn-test-secret",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'g.sqlite'}",
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
    }
    server = subprocess.Popen(  # noqa: S603
        [str(GUNICORN), "-c", "gunicorn.conf.py", "wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                status, body = fetch(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, "gunicorn did not start"
                time.sleep(0.2)
        assert status == 200 and json.loads(body) == {"status": "ok", "database": "ok"}
        missing, _ = fetch(f"http://127.0.0.1:{port}/no-such-page?q=1", **{"User-Agent": 'tricky "agent" \\ x'})
        assert missing == 404
    finally:
        server.terminate()
        out, err = server.communicate(timeout=30)
    access = [json.loads(line) for line in out.splitlines() if line.strip()]
    errors = [json.loads(line) for line in err.splitlines() if line.strip()]
    assert [(a["path"], a["status"]) for a in access] == [("/healthz", 200), ("/no-such-page", 404)]
    assert access[1]["agent"] == 'tricky "agent" \\ x' and access[1]["query"] == "q=1"
    assert any("Listening at" in e["message"] for e in errors)
    assert all({"time", "level", "logger", "message"} <= set(e) for e in errors)


def test_postgres_backup_keeps_the_password_out_of_the_command_line():
    url, env = backup._libpq("postgresql+psycopg://academy:s3cret%40x@db.internal:5432/academy")
    assert "s3cret" not in url and url.startswith("postgresql://academy@db.internal:5432/academy")
    assert env["PGPASSWORD"] == "s3cret@x"
