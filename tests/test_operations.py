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
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import text

from app import create_app
from app.core import backup, workers
from app.extensions import db
from tests.conftest import make_config

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


def start_gunicorn(tmp_path: Path, port: int, stdout: int = subprocess.DEVNULL, **extra: str) -> subprocess.Popen:
    """Start gunicorn with the shipped configuration on a fresh SQLite file; wait until /healthz answers."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "APP_ENV": "production",
        "SECRET_KEY": "gunicorn-test-secret",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'g.sqlite'}",
        "BIND": f"127.0.0.1:{port}",
        **extra,
    }
    server = subprocess.Popen(  # noqa: S603
        [str(GUNICORN), "-c", "gunicorn.conf.py", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            fetch(f"http://127.0.0.1:{port}/healthz")
            return server
        except OSError:
            assert time.monotonic() < deadline and server.poll() is None, "gunicorn did not start"
            time.sleep(0.2)


def test_gunicorn_serves_healthz_and_logs_json_lines(tmp_path):
    port = free_port()
    server = start_gunicorn(tmp_path, port, stdout=subprocess.PIPE, WEB_CONCURRENCY="2")
    try:
        status, body = fetch(f"http://127.0.0.1:{port}/healthz")
        assert status == 200 and json.loads(body) == {"status": "ok", "database": "ok"}
        missing, _ = fetch(f"http://127.0.0.1:{port}/no-such-page?q=1", **{"User-Agent": 'tricky "agent" \\ x'})
        assert missing == 404
    finally:
        server.terminate()
        out, err = server.communicate(timeout=30)
    access = [json.loads(line) for line in out.splitlines() if line.strip()]
    errors = [json.loads(line) for line in err.splitlines() if line.strip()]
    # the start-up poll may have asked /healthz more than once on a busy machine (a slow answer is retried)
    paths = [(a["path"], a["status"]) for a in access]
    assert len(paths) >= 3 and set(paths[:-1]) == {("/healthz", 200)} and paths[-1] == ("/no-such-page", 404)
    assert access[-1]["agent"] == 'tricky "agent" \\ x' and access[-1]["query"] == "q=1"
    assert any("Listening at" in e["message"] for e in errors)
    assert any(e["message"].startswith("app warmed: ") for e in errors)  # preloaded in the master
    assert all({"time", "level", "logger", "message"} <= set(e) for e in errors)


def test_postgres_backup_keeps_the_password_out_of_the_command_line():
    url, env = backup._libpq("postgresql+psycopg://academy:s3cret%40x@db.internal:5432/academy")
    assert "s3cret" not in url and url.startswith("postgresql://academy@db.internal:5432/academy")
    assert env["PGPASSWORD"] == "s3cret@x"


def answers(port: int, count: int, threads: int = 4) -> list[tuple[int, bytes] | str]:
    """GET /healthz `count` times from several threads; a dropped connection is recorded as "dropped"."""

    def one(_: int) -> tuple[int, bytes] | str:
        try:
            return fetch(f"http://127.0.0.1:{port}/healthz")
        except (ConnectionError, urllib.error.URLError, OSError):
            return "dropped"

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(one, range(count)))


def test_recycled_workers_fork_from_the_warm_master_and_open_their_own_connections(tmp_path):
    port = free_port()
    server = start_gunicorn(tmp_path, port, WEB_CONCURRENCY="2", GUNICORN_THREADS="1", GUNICORN_MAX_REQUESTS="4")
    try:
        got = answers(port, 60, threads=1)
    finally:
        server.terminate()
        _, err = server.communicate(timeout=30)
    served = [a for a in got if a != "dropped"]
    # Every answer, before and after many recycles, came from a worker with its own working connection.
    assert len(served) >= 40 and all(status == 200 and json.loads(body)["database"] == "ok" for status, body in served)
    messages = [json.loads(line)["message"] for line in err.splitlines() if line.strip()]
    assert sum(m.startswith("Booting worker") for m in messages) >= 8
    assert sum(m.startswith("app warmed: ") for m in messages) == 1  # once, in the master


def test_the_default_configuration_answers_every_request(tmp_path):
    port = free_port()
    server = start_gunicorn(tmp_path, port, WEB_CONCURRENCY="2")
    try:
        got = answers(port, 400, threads=8)
    finally:
        server.terminate()
        server.communicate(timeout=30)
    assert got.count("dropped") == 0
    assert {status for status, _ in got} == {200}


def test_without_preload_each_worker_loads_the_app_itself(tmp_path):
    port = free_port()
    server = start_gunicorn(tmp_path, port, WEB_CONCURRENCY="1", GUNICORN_PRELOAD="0")
    try:
        status, body = fetch(f"http://127.0.0.1:{port}/healthz")
    finally:
        server.terminate()
        _, err = server.communicate(timeout=30)
    assert status == 200 and json.loads(body)["database"] == "ok"
    assert not any('"app warmed: ' in line for line in err.splitlines())


def test_warm_compiles_every_template_and_the_master_keeps_no_connection(tmp_path):
    app = create_app(make_config(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'w.sqlite'}"))
    with app.app_context():
        db.session.execute(text("SELECT 1"))
        db.session.remove()
        engine = db.engine
    assert engine.pool.checkedin() == 1  # an idle connection that a fork would inherit

    assert not app.jinja_env.cache
    compiled = workers.warm(app)

    pages = [name for name in app.jinja_env.list_templates() if name.endswith(".html")]
    assert compiled >= len(pages) > 20
    assert {name for _loader, name in app.jinja_env.cache} >= set(pages)
    assert engine.pool.checkedin() == 0
    inherited = engine.pool
    workers.after_fork(app)
    assert engine.pool is not inherited  # a worker never uses the master's pool
    with app.app_context():
        assert db.session.execute(text("SELECT 1")).scalar() == 1


def test_warm_and_after_fork_ignore_other_wsgi_apps():
    assert workers.warm(object()) == 0
    workers.after_fork(object())  # the hello-world baseline of the benchmark has no database
