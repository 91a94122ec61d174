"""Shared pieces of the benchmark harness: databases, gunicorn servers, logins, percentiles.

Everything here runs from the repository root with the project's virtualenv
(``.venv/bin/python -m bench.run``); the platform is started exactly as in production
(``gunicorn -c gunicorn.conf.py wsgi:app``), only BIND, WEB_CONCURRENCY and GUNICORN_THREADS come
from the harness so that the platform and the hello-world baseline get the same settings.
"""

from __future__ import annotations

import http.client
import http.cookiejar
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
OUT = ROOT / "instance" / "bench"
PG_BASE = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://academy:academy@127.0.0.1:5432")
SIZES = {"S": 100, "M": 1_000, "L": 10_000, "XL": 50_000}
PASSWORD = "bench-pass-2024"  # noqa: S105  (the published password of generated demo accounts)
USER_AGENT = "academy-bench/1"  # one agent for logins and load, so Flask-Login sees one client


def percentile(values: list[float], pct: float) -> float:
    """The ``pct`` percentile by linear interpolation (0.0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def database_url(db: str, size: str) -> str:
    """The benchmark database of a size: an SQLite file under instance/bench, or a PostgreSQL database."""
    if db == "sqlite":
        return f"sqlite:///{OUT / f'academy-{size.lower()}.sqlite'}"
    return f"{PG_BASE}/academy_bench_{size.lower()}"


def app_env(url: str, **extra: str) -> dict[str, str]:
    """Environment for the platform: production settings over plain HTTP on the loopback."""
    env = dict(os.environ)
    env.update(
        APP_ENV="production",
        SECRET_KEY="bench-only-secret-not-for-production",  # noqa: S106  (a throwaway benchmark server)
        SESSION_COOKIE_SECURE="0",  # TLS ends at the proxy in production; the benchmark talks plain HTTP
        DEMO_PASSWORDS_ALLOWED="1",  # `flask demo` makes the demo accounts with their published passwords
        DATABASE_URL=url,
        CONTENT_DIR=str(ROOT),
        UPLOAD_DIR=str(OUT / "uploads"),
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


def _flask(url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603  (our own flask command, fixed arguments)
        [str(VENV_BIN / "flask"), "--app", "wsgi", *args],
        cwd=ROOT,
        env=app_env(url),
        capture_output=True,
        text=True,
        check=False,
    )


def flask(url: str, *args: str) -> str:
    """Run a flask CLI command against a database; return its output (stop the harness on failure)."""
    done = _flask(url, *args)
    if done.returncode:
        raise SystemExit(f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def ensure_database(url: str, fresh: bool = False) -> None:
    """Create the PostgreSQL database when it does not exist, or anew (SQLite files appear by themselves)."""
    OUT.mkdir(parents=True, exist_ok=True)
    if not url.startswith("postgresql"):
        if fresh:
            path = Path(url.removeprefix("sqlite:///"))
            for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
                leftover.unlink(missing_ok=True)
        return
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(base.replace("+psycopg", "") + "/postgres", autocommit=True) as conn:
        if fresh:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')


def prepare(db: str, size: str, log=print) -> str:
    """Create (or reuse) the database of a size with the data set; return its URL and print the timing.

    These databases are the harness's own: one built by an older migration history is rebuilt.
    """
    url = database_url(db, size)
    ensure_database(url)
    upgrade = _flask(url, "db", "upgrade")
    if upgrade.returncode and "Can't locate revision" in upgrade.stderr + upgrade.stdout:
        log(f"[prepare] {db} {size}: built by an older migration history; rebuilding it")
        ensure_database(url, fresh=True)
        flask(url, "db", "upgrade")
    elif upgrade.returncode:
        raise SystemExit(f"flask db upgrade failed:\n{upgrade.stdout}\n{upgrade.stderr}")
    started = time.perf_counter()
    output = flask(url, "demo", "--size", size)
    line = next((x for x in output.splitlines() if x.startswith("Data set")), output.strip()[-300:])
    log(f"[prepare] {db} {size}: {line} (flask demo --size {size}: {time.perf_counter() - started:.1f} s)")
    return url


@dataclass
class Server:
    """A gunicorn process started with the repository's gunicorn.conf.py."""

    name: str
    target: str
    port: int
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        """The server's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> Server:
        """Start gunicorn and wait until it answers."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("w")
        self.process = subprocess.Popen(  # noqa: S603  (fixed argument list)
            [str(VENV_BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), self.target],
            cwd=ROOT,
            env={**self.env, "BIND": f"127.0.0.1:{self.port}"},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"{self.name} exited; see {self.log_path}")
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=2):  # noqa: S310  (loopback)
                    return self
            except urllib.error.HTTPError:
                return self  # it answers (hello-world has no /healthz)
            except OSError:
                time.sleep(0.3)
        raise SystemExit(f"{self.name} did not start within {timeout} s; see {self.log_path}")

    def worker_pids(self) -> list[int]:
        """The pids of the gunicorn workers (children of the master)."""
        if self.process is None:
            return []
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []

    def stop(self) -> None:
        """Stop gunicorn gracefully (SIGTERM to the master this harness started)."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def gunicorn_env(env: dict[str, str], workers: int, threads: int) -> dict[str, str]:
    """The same worker settings for every server of a run."""
    return {**env, "WEB_CONCURRENCY": str(workers), "GUNICORN_THREADS": str(threads)}


@dataclass
class Session:
    """A signed-in browser: its cookie header (web pages) and a CSRF token for forms."""

    cookie: str
    csrf: str = ""
    opener: Any = field(default=None, repr=False)


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _opener() -> tuple[Any, http.cookiejar.CookieJar]:
    jar = http.cookiejar.CookieJar()

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
    opener.addheaders = [("User-Agent", USER_AGENT)]
    return opener, jar


def request(opener: Any, url: str, data: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
    """GET (or POST a form) without following redirects; return status, headers and body."""
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    try:
        with opener.open(url, body, timeout=120) as response:
            return response.status, dict(response.headers), response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode("utf-8", "replace")


def login(base: str, username: str, password: str = PASSWORD) -> Session:
    """Sign in through the login form (with its CSRF token) and return the session."""
    opener, jar = _opener()
    status, _headers, page = request(opener, base + "/login")
    token = CSRF_RE.search(page)
    if status != 200 or token is None:
        raise SystemExit(f"login page of {base} answered {status} without a CSRF token")
    status, headers, _page = request(
        opener, base + "/login", {"csrf_token": token.group(1), "username": username, "password": password}
    )
    if status != 302:
        raise SystemExit(f"login as {username} failed ({status})")
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    status, _headers, page = request(opener, base + "/dashboard")
    token = CSRF_RE.search(page)
    return Session(cookie, token.group(1) if token else "", opener)


def api_token(base: str, username: str, password: str = PASSWORD) -> str:
    """A bearer token from POST /api/v1/auth/token."""
    status, body = call(base, "POST", "/api/v1/auth/token", {"username": username, "password": password})
    if status != 200:
        raise SystemExit(f"token for {username} refused ({status}): {body}")
    return body["token"]


def call(
    base: str, method: str, path: str, payload: Any = None, token: str | None = None, timeout: float = 120
) -> tuple[int, Any]:
    """One JSON API call; return the status and the decoded body."""
    parsed = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=timeout)
    headers = {"User-Agent": USER_AGENT, "Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        conn.request(method, path, json.dumps(payload) if payload is not None else None, headers)
        response = conn.getresponse()
        raw = response.read()
    finally:
        conn.close()
    try:
        return response.status, json.loads(raw or b"null")
    except ValueError:
        return response.status, raw.decode("utf-8", "replace")


def ensure_wrk() -> str:
    """The wrk binary; installed with apt-get when missing and running as root."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(  # noqa: S603  (the system package manager)
            ["apt-get", "install", "-y", "wrk"],  # noqa: S607
            check=True,
            stdout=subprocess.DEVNULL,
        )
        found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is needed: apt-get install wrk (or brew install wrk)")
    return found


def machine() -> dict[str, str]:
    """Hardware and versions for the results."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "unknown",
    )
    memory = next(
        (line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")), "0"
    )
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "memory_gib": f"{int(memory) / 1024 / 1024:.1f}",
        "python": sys.version.split()[0],
    }


def app_for(url: str) -> Any:
    """The platform's Flask app bound to a benchmark database (for setup work done in-process)."""
    for key, value in app_env(url).items():
        os.environ.setdefault(key, value)
    from app import create_app

    return create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": app_env(url)["SECRET_KEY"], "CONTENT_DIR": str(ROOT)}
    )


def issue_tokens(user_ids: list[int]) -> list[str]:
    """Bearer tokens for many users at once, stored like ``issue_token`` stores them (inside an app context).

    The load scenarios get them this way because signing in a thousand people through
    POST /api/v1/auth/token would mostly measure scrypt.
    """
    import secrets
    from datetime import timedelta

    from sqlalchemy import insert

    from app.api.auth import hash_token
    from app.api.models import ApiToken
    from app.core.time import utcnow
    from app.extensions import db

    now = utcnow()
    secrets_ = [secrets.token_urlsafe(32) for _ in user_ids]
    db.session.execute(
        insert(ApiToken),
        [
            {
                "user_id": uid,
                "token_hash": hash_token(secret),
                "created_at": now,
                "expires_at": now + timedelta(days=1),
                "revoked_at": None,
            }
            for uid, secret in zip(user_ids, secrets_, strict=True)
        ],
    )
    db.session.commit()
    return secrets_


def exam_quiz() -> Any:
    """The quiz everyone submits in one API call, unlimited and without cooldown (in an app context).

    The first course's required quiz when it qualifies, else another quiz of that course, else any
    quiz: quizzes with a question pool or a time limit are taken in steps, not by the one-step call.
    """
    from sqlalchemy import select

    from app.assessments.models import Quiz
    from app.assessments.services import needs_start
    from app.extensions import db
    from app.learning.models import Course

    course = db.session.scalar(select(Course).where(Course.archived.is_(False)).order_by(Course.position))
    unlimited = select(Quiz).where(
        Quiz.archived.is_(False),
        Quiz.current_version_id.is_not(None),
        Quiz.max_attempts.is_(None),
        Quiz.cooldown_minutes == 0,
    )
    one_step = [q for q in db.session.scalars(unlimited.order_by(Quiz.slug)) if not needs_start(q)]
    wanted = (course.completion or {}).get("quizzes") or []
    quiz = (
        next((q for q in one_step if q.course_id == course.id and q.slug in wanted), None)
        or next((q for q in one_step if q.course_id == course.id), None)
        or next(iter(one_step), None)
    )
    if quiz is None:
        raise SystemExit("no quiz with unlimited attempts is taken in one step: nothing to benchmark")
    return quiz
