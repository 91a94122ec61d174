"""Several hosts, one platform: two app hosts behind nginx, one PostgreSQL, one broker, a worker host.

    sudo .venv/bin/python -m bench.multihost -n 300            # as root; 4–6 minutes on the benchmark machine

Builds the topology of ``deploy/multihost/topology.sh`` (network namespaces on 10.77.0.0/24, so no
traffic leaves them), then, from the client namespace:

1. **sessions** — signs in on app1 directly, uses the cookie on app2 (it works), signs out on app2,
   and sends the old cookie to app1 at once (it must be refused);
2. **jobs** — queues a job on app1; the worker in its own namespace must run it (when the release has
   the job engine, ``app/core/jobs.py``);
3. **exam burst** — N trainees released together through nginx, half submitting in one call with an
   ``Idempotency-Key``, half in steps (start, two saves, submit); when a third of them are
   acknowledged, app1's gunicorn (master and workers) is killed with SIGKILL. Clients retry a
   failed request on 502/503/504 or a broken connection with the same key, as a careful client
   does; nginx itself retries GETs and keyed POSTs on the other host. Afterwards the database is
   counted: every acknowledged attempt stored once and whole, no submitted attempt with missing
   answers, nothing stored twice; every request after the kill answered by app2;
4. **rejoin** — app1 is started again and must receive traffic from nginx.

The report (JSON) is printed and saved to ``instance/bench/multihost-<time>.json``; the exit status
is 1 when an invariant does not hold. Everything is torn down afterwards, also on failure or Ctrl-C
(``--keep`` leaves it up for inspection; ``deploy/multihost/topology.sh down`` removes it).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

from bench import common
from bench.burst import choose

ROOT = common.ROOT
TOPOLOGY = ROOT / "deploy" / "multihost" / "topology.sh"
IP = shutil.which("ip") or "/usr/sbin/ip"
BASH = shutil.which("bash") or "/bin/bash"
PREFIX = os.environ.get("MH_PREFIX", "ma")  # namespaces ma-client, ma-lb, … (topology.sh reads the same)
NET = "10.77.0"
LB = f"http://{NET}.10"
APP1 = f"http://{NET}.11:8000"
APP2 = f"http://{NET}.12:8000"
UPSTREAM = {f"{NET}.11:8000": "app1", f"{NET}.12:8000": "app2"}
RETRY_STATUSES = {502, 503, 504}
TRIES = 6
TIMEOUT = 60


def state_dir() -> Path:
    """Where topology.sh keeps data, logs and pid files."""
    return Path(os.environ.get("MH_DIR") or ROOT / "instance" / "multihost")


def platform_env() -> dict[str, str]:
    """The environment every host runs with (academy.env written by topology.sh)."""
    env = dict(os.environ)
    for line in (state_dir() / "academy.env").read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            env[key] = value
    return env


def in_host(host: str, *args: str, env: dict[str, str] | None = None, check: bool = True) -> str:
    """Run a command inside a host's namespace and return its output."""
    done = subprocess.run(  # noqa: S603  (fixed argument lists)
        [IP, "netns", "exec", f"{PREFIX}-{host}", *args],
        cwd=os.environ.get("MH_APP_ROOT") or ROOT,
        env=env or platform_env(),
        capture_output=True,
        text=True,
    )
    if check and done.returncode:
        raise RuntimeError(f"{host}: {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.stdout


# HTTP with retries -----------------------------------------------------------------------------------


@dataclass
class Call:
    """One logical request as the client saw it: its final answer and what failed on the way."""

    method: str
    path: str
    status: int | None = None
    body: Any = None
    upstream: str = ""  # the host that gave the final answer (nginx's X-Upstream, last entry)
    nginx_retried: bool = False  # nginx tried more than one host for the final answer
    failures: list[str] = field(default_factory=list)  # what the client saw before retrying
    started: float = 0.0
    ended: float = 0.0
    failed_at: list[float] = field(default_factory=list)

    @property
    def ms(self) -> float:
        """Time from the first try until the final answer."""
        return (self.ended - self.started) * 1000


def _once(base: str, method: str, path: str, headers: dict[str, str], body: bytes | None) -> tuple[int, Any, dict]:
    parsed = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port or 80, timeout=TIMEOUT)
    try:
        conn.request(method, path, body, headers)
        response = conn.getresponse()
        raw = response.read()
        head = {k.lower(): v for k, v in response.getheaders()}
    finally:
        conn.close()
    try:
        return response.status, json.loads(raw or b"null"), head
    except ValueError:
        return response.status, raw.decode("utf-8", "replace"), head


def call(base: str, method: str, path: str, token: str, payload: Any = None, key: str | None = None) -> Call:
    """A JSON API call through ``base``, retried with the same body (and Idempotency-Key) when a host failed."""
    record = Call(method, path, started=time.perf_counter())
    headers = {"Authorization": f"Bearer {token}", "User-Agent": common.USER_AGENT, "Content-Type": "application/json"}
    if key:
        headers["Idempotency-Key"] = key
    body = json.dumps(payload).encode() if payload is not None else None
    for attempt in range(TRIES):
        try:
            status, data, head = _once(base, method, path, headers, body)
        except (OSError, http.client.HTTPException) as error:
            record.failures.append(type(error).__name__)
            record.failed_at.append(time.perf_counter())
        else:
            if status not in RETRY_STATUSES or attempt == TRIES - 1:
                record.status, record.body = status, data
                hosts = [h.strip() for h in head.get("x-upstream", "").split(",") if h.strip()]
                record.upstream = UPSTREAM.get(hosts[-1], hosts[-1]) if hosts else ""
                record.nginx_retried = len(hosts) > 1
                break
            record.failures.append(f"HTTP {status}")
            record.failed_at.append(time.perf_counter())
        time.sleep(0.2 * (attempt + 1))
    record.ended = time.perf_counter()
    return record


# 1. Sessions across hosts ------------------------------------------------------------------------------


class Browser:
    """A browser's cookie jar, kept by hand so that one cookie can be shown to any host."""

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}

    def header(self) -> str:
        """The Cookie header for the next request."""
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def open(self, base: str, path: str, form: dict[str, str] | None = None) -> tuple[int, str, str]:
        """GET (or POST a form) without following redirects; keep what Set-Cookie says; status, Location, body."""
        parsed = urllib.parse.urlsplit(base)
        conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=TIMEOUT)
        headers = {"Cookie": self.header(), "User-Agent": common.USER_AGENT}
        data = None
        if form is not None:
            data = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request("POST" if form is not None else "GET", path, data, headers)
            response = conn.getresponse()
            body = response.read().decode("utf-8", "replace")
            for raw in response.headers.get_all("Set-Cookie") or []:
                jar = SimpleCookie()
                jar.load(raw)
                for name, morsel in jar.items():
                    if morsel.value == "" or morsel["max-age"] == "0" or "1970" in morsel["expires"]:
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = morsel.value
            return response.status, response.getheader("Location") or "", body
        finally:
            conn.close()


def _csrf(page: str) -> str:
    found = common.CSRF_RE.search(page)
    return found.group(1) if found else ""


def sessions(username: str) -> dict[str, Any]:
    """Sign in on app1, use the cookie on app2, sign out on app2, replay the cookie on app1."""
    browser = Browser()
    _, _, page = browser.open(APP1, "/login")
    form = {"csrf_token": _csrf(page), "username": username, "password": common.PASSWORD}
    signed_in, _, _ = browser.open(APP1, "/login", form)
    on_app2, _, page = browser.open(APP2, "/dashboard")
    held = dict(browser.cookies)  # what another tab, or someone who copied the cookie, still holds
    out, where, _ = browser.open(APP2, "/logout", {"csrf_token": _csrf(page)})
    logged_out = time.perf_counter()
    stale = Browser()
    stale.cookies = held
    replay, replay_to, _ = stale.open(APP1, "/dashboard")
    refused_after_ms = (time.perf_counter() - logged_out) * 1000
    return {
        "signed_in_on": "app1",
        "sign_in_status": signed_in,
        "cookie_on_app2_status": on_app2,
        "logout_on_app2_status": out,
        "logout_redirect": where,
        "old_cookie_on_app1_status": replay,
        "old_cookie_on_app1_redirect": replay_to,
        "refused_after_ms": round(refused_after_ms, 1),
        "ok": signed_in == 302 and on_app2 == 200 and out == 302 and replay == 302 and "/login" in replay_to,
    }


# 2. A job queued on one host, run on another -------------------------------------------------------------


def _executions(log: Path) -> int:
    """How many times the worker's consumer has started the job task (its log says "Executing …")."""
    if not log.exists():
        return 0
    return sum(1 for line in log.read_text(errors="replace").splitlines() if "Executing app.core.jobs.execute" in line)


def queued_job(hr: dict[str, str], wait: float = 90) -> dict[str, Any]:
    """HR starts a completion export on app1; the worker host runs it; app2 shows its progress and serves the file."""
    app_root = Path(os.environ.get("MH_APP_ROOT") or ROOT)
    if not (app_root / "app" / "core" / "jobs.py").exists():
        return {"missing": "this release has no job engine (app/core/jobs.py)", "ok": False}
    worker_log = state_dir() / "logs" / "worker.log"
    executed_before = _executions(worker_log)
    browser = Browser()
    _, _, page = browser.open(APP1, "/login")
    browser.open(APP1, "/login", {"csrf_token": _csrf(page), "username": hr["username"], "password": hr["password"]})
    _, _, page = browser.open(APP1, "/jobs/exports/csv")
    started = time.perf_counter()
    queued, where, _ = browser.open(APP1, "/jobs/exports/csv", {"csrf_token": _csrf(page)})
    job_id = int(where.rstrip("/").rsplit("/", 1)[-1]) if queued == 303 else 0
    first: dict[str, Any] = {}
    state: dict[str, Any] = {}
    deadline = time.monotonic() + wait
    while job_id and time.monotonic() < deadline:
        code, _, body = browser.open(APP2, f"/jobs/{job_id}.json")
        state = json.loads(body) if code == 200 else {"status": code}
        first = first or state
        if state.get("finished"):
            break
        time.sleep(0.3)
    done_s = time.perf_counter() - started
    download = browser.open(APP2, state["download"]) if state.get("download") else (0, "", "")
    ran_on_worker = _executions(worker_log) > executed_before
    return {
        "kind": "reports.export (CSV)",
        "job_id": job_id,
        "queued_on": "app1",
        "queued_status": queued,
        "first_state_seen_on_app2": first.get("state"),
        "final_state_on_app2": state.get("state"),
        "done_after_s": round(done_s, 2),
        "worker_executions": _executions(worker_log) - executed_before,
        "download_on_app2_status": download[0],
        "download_bytes": len(download[2]),
        "ok": queued == 303 and state.get("state") == "done" and ran_on_worker and download[0] == 200,
    }


# 3. The exam burst with a host killed ----------------------------------------------------------------------


@dataclass
class Trainee:
    """What one trainee's client did and saw."""

    user_id: int
    mode: str  # "one-call" (POST …/attempts with an Idempotency-Key) or "steps" (start, save, save, submit)
    calls: list[Call] = field(default_factory=list)
    attempt_id: int | None = None
    acknowledged: bool = False
    finished: float = 0.0
    error: str = ""


def _halves(questions: list[dict[str, Any]], rng: random.Random) -> tuple[dict[str, Any], dict[str, Any]]:
    """An answer for every question (chosen like the exam burst's), in two parts to save one after the other."""
    answers = choose(questions, rng)
    keys = list(answers)
    middle = len(keys) // 2
    return {k: answers[k] for k in keys[:middle]}, {k: answers[k] for k in keys[middle:]}


def _one_call(t: Trainee, slug: str, token: str) -> None:
    shown = call(LB, "GET", f"/api/v1/quizzes/{slug}", token)
    t.calls.append(shown)
    if shown.status != 200:
        t.error = f"GET quiz {shown.status}"
        return
    answers = choose(shown.body["questions"], random.Random(t.user_id))
    sent = call(LB, "POST", f"/api/v1/quizzes/{slug}/attempts", token, {"answers": answers}, key=uuid.uuid4().hex)
    t.calls.append(sent)
    if sent.status == 201 and isinstance(sent.body, dict):
        t.attempt_id, t.acknowledged = sent.body.get("id"), True
    else:
        t.error = f"POST attempt {sent.status}"


def _steps(t: Trainee, slug: str, token: str) -> None:
    started = call(LB, "POST", f"/api/v1/quizzes/{slug}/start", token)
    t.calls.append(started)
    if started.status not in (200, 201):
        t.error = f"start {started.status}"
        return
    attempt_id = started.body["id"]
    first, second = _halves(started.body["questions"], random.Random(t.user_id))
    for part in (first, second):
        saved = call(LB, "POST", f"/api/v1/attempts/{attempt_id}/answers", token, {"answers": part})
        t.calls.append(saved)
        if saved.status != 200:
            t.error = f"save {saved.status}"
            return
    submitted = call(LB, "POST", f"/api/v1/attempts/{attempt_id}/submit", token)
    t.calls.append(submitted)
    if submitted.status == 200 and isinstance(submitted.body, dict) and submitted.body.get("status") == "submitted":
        t.attempt_id, t.acknowledged = attempt_id, True
    else:
        t.error = f"submit {submitted.status}"


def _run_trainee(t: Trainee, slug: str, token: str, barrier: threading.Barrier, acked: list[int]) -> None:
    barrier.wait()
    try:
        (_one_call if t.mode == "one-call" else _steps)(t, slug, token)
    except Exception as error:  # noqa: BLE001  (every client failure is counted, none stops the burst)
        t.error = f"{type(error).__name__}: {error}"
    t.finished = time.perf_counter()
    if t.acknowledged:
        acked.append(t.user_id)


def kill_app1() -> float:
    """SIGKILL app1's gunicorn master and workers (its process group), as a host that dies would."""
    pid = int((state_dir() / "run" / "app1.pid").read_text())
    os.killpg(pid, signal.SIGKILL)
    return time.perf_counter()


def stored(quiz_id: int, user_ids: list[int]) -> list[dict[str, Any]]:
    """Every attempt of these trainees at the quiz, with its number of stored answers (read in PostgreSQL)."""
    from sqlalchemy import bindparam, create_engine, text

    engine = create_engine(os.environ["DATABASE_URL"])
    query = text(
        "SELECT a.id, a.user_id, a.status, a.submitted_at IS NOT NULL AS submitted, count(aa.id) AS answers "
        "FROM attempts a LEFT JOIN attempt_answers aa ON aa.attempt_id = a.id "
        "WHERE a.quiz_id = :quiz AND a.user_id IN :users GROUP BY a.id, a.user_id, a.status, a.submitted_at"
    ).bindparams(bindparam("users", expanding=True))
    keys = text("SELECT count(*) FROM idempotency_keys WHERE user_id IN :users").bindparams(
        bindparam("users", expanding=True)
    )
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query, {"quiz": quiz_id, "users": user_ids})]
        rows.append({"idempotency_keys": conn.execute(keys, {"users": user_ids}).scalar_one()})
    engine.dispose()
    return rows


def burst(seed: dict[str, Any], kill_at: float) -> dict[str, Any]:
    """Release the trainees together, kill app1 when ``kill_at`` of them are acknowledged, then count."""
    users = seed["users"]
    n = len(users)
    load_before = [round(x, 2) for x in os.getloadavg()]
    trainees = [Trainee(u["id"], "one-call" if i % 2 == 0 else "steps") for i, u in enumerate(users)]
    acked: list[int] = []
    clock: dict[str, float] = {}
    barrier = threading.Barrier(n + 1, action=lambda: clock.setdefault("release", time.perf_counter()))
    threading.stack_size(512 * 1024)
    threads = [
        threading.Thread(target=_run_trainee, args=(t, seed["slug"], u["token"], barrier, acked), daemon=True)
        for t, u in zip(trainees, users, strict=True)
    ]
    for thread in threads:
        thread.start()
    barrier.wait()
    threshold = max(1, int(n * kill_at))
    deadline = time.monotonic() + 300
    while len(acked) < threshold and time.monotonic() < deadline:
        time.sleep(0.005)
    killed, killed_epoch = kill_app1(), time.time()
    in_flight = sum(1 for t in trainees if not t.finished)
    for thread in threads:
        thread.join(TIMEOUT * TRIES + 30)
    release = clock["release"]

    calls = [c for t in trainees for c in t.calls]
    after = [c for c in calls if c.started > killed + 0.001]
    failures_after = [moment for c in calls for moment in c.failed_at if moment >= killed]
    acknowledged = {t.attempt_id: t for t in trainees if t.acknowledged}
    rows = stored(seed["quiz_id"], [t.user_id for t in trainees])
    keys = rows.pop()["idempotency_keys"]
    submitted = [r for r in rows if r["submitted"]]
    per_user = Counter(r["user_id"] for r in submitted)
    by_id = {r["id"]: r for r in rows}
    questions = seed["questions"]
    accounting = {
        "trainees": n,
        "acknowledged": len(acknowledged),
        "stored_submitted": len(submitted),
        "stored_open": len(rows) - len(submitted),
        "idempotency_keys": keys,
        "one_call_acknowledged": sum(1 for t in acknowledged.values() if t.mode == "one-call"),
        "lost": sorted(a for a in acknowledged if a not in by_id or not by_id[a]["submitted"]),
        "stored_twice": sorted(u for u, k in per_user.items() if k > 1),
        "half_written": sorted(r["id"] for r in submitted if r["answers"] != questions),
        "unacknowledged_stored": sorted(r["id"] for r in submitted if r["id"] not in acknowledged),
    }
    accounting["consistent"] = (
        accounting["acknowledged"] == n == accounting["stored_submitted"]
        and not (accounting["lost"] or accounting["stored_twice"] or accounting["half_written"])
        and not accounting["unacknowledged_stored"]
        and accounting["stored_open"] == 0
        and keys == accounting["one_call_acknowledged"]
    )
    ok_calls = [c for c in calls if c.status and c.status < 400]
    by_endpoint: dict[str, list[float]] = {}
    for c in ok_calls:
        label = f"{c.method} {re.sub(r'/[0-9]+/', '/<id>/', c.path.replace(seed['slug'], '<slug>'))}"
        by_endpoint.setdefault(label, []).append(c.ms)
    totals = [(t.finished - release) * 1000 for t in trainees if t.acknowledged]
    served_after = Counter(c.upstream for c in after)
    return {
        "trainees": n,
        "questions": questions,
        "modes": dict(Counter(t.mode for t in trainees)),
        "kill_when_acknowledged": threshold,
        "killed_after_s": round(killed - release, 2),
        "killed_at_epoch": killed_epoch,
        "trainees_in_flight_at_kill": in_flight,
        "acknowledged": len(acknowledged),
        "errors": sum(1 for t in trainees if not t.acknowledged),
        "error_kinds": dict(Counter(t.error for t in trainees if t.error)),
        "requests": len(calls),
        "requests_after_kill": len(after),
        "served_after_kill_by": dict(served_after),
        "client_retries": sum(len(c.failures) for c in calls),
        "client_retry_kinds": dict(Counter(f for c in calls for f in c.failures)),
        "nginx_retried": sum(1 for c in calls if c.nginx_retried),
        "recover_s": round(max(failures_after) - killed, 2) if failures_after else 0.0,
        "request_p50_ms": round(common.percentile([c.ms for c in ok_calls], 50), 1),
        "request_p95_ms": round(common.percentile([c.ms for c in ok_calls], 95), 1),
        "request_max_ms": round(max((c.ms for c in ok_calls), default=0.0), 1),
        "endpoints_ms": {
            label: {
                "n": len(values),
                "p50": round(common.percentile(values, 50), 1),
                "p95": round(common.percentile(values, 95), 1),
            }
            for label, values in sorted(by_endpoint.items())
        },
        "load_average_before": load_before,
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "trainee_p50_s": round(common.percentile(totals, 50) / 1000, 2),
        "trainee_p95_s": round(common.percentile(totals, 95) / 1000, 2),
        "last_acknowledged_s": round(max(totals, default=0.0) / 1000, 2),
        "accounting": accounting,
        "ok": accounting["consistent"] and set(served_after) <= {"app2"},
    }


# 4. The host comes back ------------------------------------------------------------------------------------


def rejoin(token: str, wait: float = 30) -> dict[str, Any]:
    """Start app1 again and wait until nginx sends it requests."""
    started = time.perf_counter()
    subprocess.run([BASH, str(TOPOLOGY), "start-app", "1"], check=True, capture_output=True)  # noqa: S603
    up = time.perf_counter() - started
    seen: Counter[str] = Counter()
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline and seen["app1"] < 5:
        answered = call(LB, "GET", "/api/v1/quizzes", token)
        seen[answered.upstream if answered.status == 200 else f"HTTP {answered.status}"] += 1
        time.sleep(0.05)
    return {
        "app1_started_s": round(up, 1),
        "traffic_again_after_s": round(time.perf_counter() - started, 1),
        "served_by": dict(seen),
        "ok": seen["app1"] >= 5,
    }


# Seeding (runs in app1's namespace) ---------------------------------------------------------------------


def seed(n: int) -> dict[str, Any]:
    """N enrolled trainees with bearer tokens and the exam quiz (from app1's namespace)."""
    from app import create_app
    from bench import burst as exam

    app = create_app()
    slug, quiz_id, questions, ids = exam.participants(app, n)
    with app.app_context():
        from sqlalchemy import select

        from app.accounts import services as accounts
        from app.accounts.models import User
        from app.extensions import db

        tokens = common.issue_tokens(ids)
        names = dict(db.session.execute(select(User.id, User.username).where(User.id.in_(ids))).all())
        hr = {"username": "mh-hr", "password": secrets.token_urlsafe(18)}
        accounts.create_user(hr["username"], "人事（多主机）", hr["password"], ["hr"])
    return {
        "hr": hr,
        "slug": slug,
        "quiz_id": quiz_id,
        "questions": questions,
        "users": [{"id": i, "username": names[i], "token": t} for i, t in zip(ids, tokens, strict=True)],
    }


# The driver (runs in the client namespace) and the orchestration (root namespace) ----------------------


def drive(seed_path: Path, kill_at: float) -> dict[str, Any]:
    """Run the four scenarios from the client namespace."""
    data = json.loads(seed_path.read_text())
    result: dict[str, Any] = {"sessions": sessions(data["users"][0]["username"])}
    result["jobs"] = queued_job(data["hr"])
    result["burst"] = burst(data, kill_at)
    result["rejoin"] = rejoin(data["users"][1]["token"])
    return result


def nginx_figures(path: Path, killed: float) -> dict[str, Any]:
    """What nginx saw around the kill (its access log starts each line with the time in ms)."""
    lines = path.read_text(errors="replace").splitlines() if path.exists() else []
    failed = [float(line.split()[0]) for line in lines if line.split()[3] == "502"]
    rerouted = [float(line.split()[0]) for line in lines if ", " in line.split('upstream="')[1].split('"')[0]]
    return {
        "requests": len(lines),
        # Sent to app1, failed there before anything was sent back, and passed to app2. After the
        # kill nginx also tries the dead host again every fail_timeout (5 s); those tries are refused
        # at once and re-sent too, until app1 is back.
        "retried_on_another_host": len(rerouted),
        "status_502": len(failed),
        # From the kill until nginx answered its last 502 (a request app1 had taken when it died):
        # after that no client saw an error.
        "recover_s": round(max(failed) - killed, 2) if failed else 0.0,
    }


def main(argv: list[str] | None = None) -> int:
    """Bring the topology up, seed it, drive it from the client namespace, tear it down; print the report."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command")
    parser.add_argument("-n", "--trainees", type=int, default=300)
    parser.add_argument("--kill-at", type=float, default=1 / 3, help="share of acknowledged trainees before the kill")
    parser.add_argument("--json", type=Path, help="also write the report here")
    parser.add_argument("--keep", action="store_true", help="leave the topology up afterwards")
    seed_cmd = sub.add_parser("seed")
    seed_cmd.add_argument("-n", type=int, required=True)
    seed_cmd.add_argument("--out", type=Path, required=True)
    drive_cmd = sub.add_parser("drive")
    drive_cmd.add_argument("--seed", type=Path, required=True)
    drive_cmd.add_argument("--kill-at", type=float, required=True)
    drive_cmd.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)

    if args.command == "seed":
        args.out.write_text(json.dumps(seed(args.n)))
        return 0
    if args.command == "drive":
        args.out.write_text(json.dumps(drive(args.seed, args.kill_at), indent=2))
        return 0

    if os.geteuid() != 0:
        print("bench.multihost needs root: network namespaces, nginx, PostgreSQL and Redis (sudo).", file=sys.stderr)
        return 2

    def stop(signum: int, _frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGHUP, stop)
    state = state_dir()
    python = str(ROOT / ".venv" / "bin" / "python")
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    report: dict[str, Any] = {"when": stamp, "machine": common.machine(), "trainees": args.trainees}
    began = time.perf_counter()
    try:
        subprocess.run([BASH, str(TOPOLOGY), "up"], check=True)  # noqa: S603
        report["up_s"] = round(time.perf_counter() - began, 1)
        report["schema"] = (state / "run" / "schema").read_text().strip()
        report["hosts"] = {
            "lb": f"{NET}.10 nginx",
            "app1": f"{NET}.11:8000 gunicorn {platform_env().get('WEB_CONCURRENCY')} workers × "
            f"{platform_env().get('GUNICORN_THREADS')} threads",
            "app2": f"{NET}.12:8000 (same)",
            "worker": f"{NET}.13 flask jobs worker" if (state / "run" / "worker.pid").exists() else "not started",
            "db": f"{NET}.20 PostgreSQL",
            "redis": f"{NET}.30 Redis",
        }
        seeded = state / "seed.json"
        in_host("app1", python, "-m", "bench.multihost", "seed", "-n", str(args.trainees), "--out", str(seeded))
        out = state / "result.json"
        driven = subprocess.run(  # noqa: S603  (fixed argument list)
            [IP, "netns", "exec", f"{PREFIX}-client", python, "-m", "bench.multihost", "drive"]
            + ["--seed", str(seeded), "--kill-at", str(args.kill_at), "--out", str(out)],
            cwd=ROOT,
            env={**platform_env(), "PYTHONPATH": str(ROOT)},
        )
        if driven.returncode:
            raise RuntimeError(f"the driver failed ({driven.returncode}); logs in {state}/logs")
        report.update(json.loads(out.read_text()))
        report["nginx"] = nginx_figures(state / "logs" / "nginx-access.log", report["burst"]["killed_at_epoch"])
    except Exception as error:  # noqa: BLE001  (reported, then the topology is torn down)
        report["failure"] = f"{type(error).__name__}: {error}"
    finally:
        if (state / "logs").exists():  # the hosts' logs outlive the topology
            shutil.copytree(state / "logs", common.OUT / f"multihost-{stamp}-logs", dirs_exist_ok=True)
        if args.keep:
            print(f"topology left up (MH_DIR={state}); remove it with: bash {TOPOLOGY} down", file=sys.stderr)
        else:
            subprocess.run([BASH, str(TOPOLOGY), "down"], check=False)  # noqa: S603
    report["total_s"] = round(time.perf_counter() - began, 1)
    parts = ("sessions", "jobs", "burst", "rejoin")
    report["ok"] = "failure" not in report and all(report.get(p, {}).get("ok") for p in parts)
    text = json.dumps(report, indent=2, ensure_ascii=False)
    print(text)
    common.OUT.mkdir(parents=True, exist_ok=True)
    path = common.OUT / f"multihost-{stamp}.json"
    path.write_text(text)
    if args.json:
        args.json.write_text(text)
    print(f"Saved {path}", file=sys.stderr)
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
