"""Import benchmark: a staff import applied by a background worker while other people sign in and read modules.

    .venv/bin/python -m bench.jobs_import --db sqlite --rows 10000          # the figures in docs/benchmarks.md
    .venv/bin/python -m bench.jobs_import --db postgresql --rows 10000 --users 16

Steps: build a fresh database (tables, the repository's content, one HR account and ``--users``
people who may open every course); start the platform as in production (``gunicorn -c gunicorn.conf.py
wsgi:app``) and one worker (``flask jobs worker``, Huey on an SQLite file); let the load run alone for
``--baseline`` seconds (each load thread signs in, marks a module read, signs out, again and again);
then HR uploads a ``--rows``-row staff file, confirms it, and polls the job page's JSON until the job is
done while the load goes on. It prints and writes (instance/bench/jobs-import-*.json) the import's
duration, and for the load before and during the import: requests, p50/p95 and errors by kind. The
exit status is 1 when any load request failed or the import did not finish whole.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import subprocess
import threading
import time
import urllib.request
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from bench import common

HR = "bench-hr"
LOAD_PREFIX = "load"
JOB_RE = re.compile(r"/jobs/(\d+)")


@dataclass
class Sample:
    """One load request: what, when (seconds since the start), how long, and whether it failed."""

    kind: str
    at: float
    ms: float
    error: str | None = None


@dataclass
class Window:
    """The load of one period, by kind of request."""

    requests: int = 0
    errors: int = 0
    by_kind: dict[str, dict[str, float]] = field(default_factory=dict)
    error_kinds: dict[str, int] = field(default_factory=dict)


@dataclass
class Report:
    """What one run measured."""

    db: str
    rows: int
    users: int
    import_s: float  # from the confirmation to the job page saying done
    job_s: float | None  # the worker's own time (started → finished)
    job_state: str
    people_imported: int
    baseline: Window
    during: Window
    machine: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """No load request failed and every row was imported."""
        return (
            self.job_state == "done"
            and self.people_imported == self.rows
            and self.baseline.errors == 0
            and self.during.errors == 0
        )


def staff_file(rows: int) -> bytes:
    """A CSV staff file of ``rows`` new people in 10 departments and 20 cohorts (UTF-8 with BOM)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["工号", "姓名", "部门", "岗位", "角色", "班组"])
    for n in range(1, rows + 1):
        writer.writerow([f"B{n:06d}", f"员工{n}", f"门店{n % 10}部", "导购", "学员", f"新员工{n % 20}期"])
    return ("\ufeff" + buffer.getvalue()).encode()


def setup(url: str, users: int, content: Path = common.ROOT) -> list[tuple[str, str]]:
    """Tables, content, HR and the load accounts; return the (course, module) slugs the load reads."""
    from sqlalchemy import select

    from app.accounts import services
    from app.cli import load_content_or_fail
    from app.extensions import db
    from app.learning.models import Course, Module

    app = common.app_for(url)
    app.config["JOBS_IMMEDIATE"] = True  # the content load's recompute runs here, before the measurement
    app.config["DEMO_PASSWORDS_ALLOWED"] = True  # the harness's published password (a throw-away database)
    with app.app_context():
        db.create_all()
        load_content_or_fail(content)
        services.create_user(HR, "基准人事", common.PASSWORD, ["hr", "admin"], department="人事部")
        for n in range(users):
            services.create_user(
                f"{LOAD_PREFIX}{n:03d}", f"负载{n}", common.PASSWORD, ["instructor"], department="培训部"
            )
        modules = db.session.execute(
            select(Course.slug, Module.slug)
            .join(Module, Module.course_id == Course.id)
            .where(Course.archived.is_(False), Module.archived.is_(False))
            .order_by(Course.position, Module.position)
        ).all()
        db.session.remove()
    return [(c, m) for c, m in modules]


def _multipart(field_name: str, filename: str, data: bytes, fields: dict[str, str]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{field_name}"; filename="{filename}"\r\n'
        f"Content-Type: text/csv\r\n\r\n".encode()
        + data
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _load(
    base: str, username: str, modules: list[tuple[str, str]], stop: threading.Event, out: list[Sample], t0: float
):
    """Sign in, mark a module read, sign out; again until ``stop`` (each request timed, failures kept)."""
    index = 0
    while not stop.is_set():
        opener, _jar = common._opener()

        def timed(
            kind: str, url: str, data: dict[str, str] | None, expect: tuple[int, ...], opener: Any = opener
        ) -> str | None:
            started = time.perf_counter()
            error = None
            page = ""
            try:
                status, _headers, page = common.request(opener, url, data)
                if status not in expect:
                    error = f"{kind} {status}"
            except OSError as exc:
                error = f"{kind} {type(exc).__name__}"
            out.append(Sample(kind, started - t0, (time.perf_counter() - started) * 1000, error))
            return None if error else page

        page = timed("login page", base + "/login", None, (200,))
        token = common.CSRF_RE.search(page or "")
        if token is None:
            continue
        form = {"csrf_token": token.group(1), "username": username, "password": common.PASSWORD}
        if timed("sign-in", base + "/login", form, (302,)) is None:
            continue
        course, module = modules[index % len(modules)]
        index += 1
        page = timed("module page", f"{base}/courses/{course}/{module}", None, (200,))
        token = common.CSRF_RE.search(page or "")
        if token is None:
            continue
        done = {"csrf_token": token.group(1)}
        timed("module completion", f"{base}/courses/{course}/{module}/complete", done, (302, 303))
        timed("sign-out", base + "/logout", done, (302, 303))


def _window(samples: list[Sample], start: float, end: float) -> Window:
    window = Window()
    kinds: dict[str, list[float]] = {}
    for sample in samples:
        if not start <= sample.at < end:
            continue
        window.requests += 1
        if sample.error:
            window.errors += 1
            window.error_kinds[sample.error] = window.error_kinds.get(sample.error, 0) + 1
        else:
            kinds.setdefault(sample.kind, []).append(sample.ms)
    window.by_kind = {
        kind: {
            "n": len(values),
            "p50_ms": round(common.percentile(values, 50), 1),
            "p95_ms": round(common.percentile(values, 95), 1),
        }
        for kind, values in sorted(kinds.items())
    }
    return window


def _imported(url: str, rows: int) -> int:
    from sqlalchemy import func, select

    from app.accounts.models import User
    from app.extensions import db

    app = common.app_for(url)
    with app.app_context():
        count = db.session.scalar(
            select(func.count(func.distinct(User.employee_no))).where(User.employee_no.like("B%"))
        )
        db.session.remove()
    return int(count or 0)


def run(
    db_name: str,
    url: str,
    rows: int,
    users: int,
    *,
    port: int = 8391,
    baseline: float = 3.0,
    chunk: int = 200,
    timeout: float = 900,
    out_dir: Path | None = None,
    content: Path = common.ROOT,
    log=print,
) -> Report:
    """Run the benchmark against a fresh database at ``url``; return the report."""
    out_dir = out_dir or common.OUT
    out_dir.mkdir(parents=True, exist_ok=True)
    common.ensure_database(url, fresh=True)
    jobs_file = out_dir / "jobs-bench.sqlite3"
    for leftover in (
        jobs_file,
        jobs_file.with_name(jobs_file.name + "-wal"),
        jobs_file.with_name(jobs_file.name + "-shm"),
    ):
        leftover.unlink(missing_ok=True)
    extra = {"JOBS_FILE": str(jobs_file), "UPLOAD_DIR": str(out_dir / "uploads"), "JOBS_CHUNK_ROWS": str(chunk)}
    env = common.app_env(url, **extra, CONTENT_DIR=str(content))
    modules = setup(url, users, content)
    log(f"[jobs-import] {db_name}: {len(modules)} modules, {users} load users, {rows} rows")
    server = common.Server(
        "platform", "wsgi:app", port, common.gunicorn_env(env, 2, 4), out_dir / "jobs-import-gunicorn.log"
    )
    worker_log = (out_dir / "jobs-import-worker.log").open("w")
    worker = subprocess.Popen(  # noqa: S603  (our own flask command)
        [str(common.VENV_BIN / "flask"), "--app", "wsgi", "jobs", "worker", "--workers", "1"],
        cwd=common.ROOT,
        env=env,
        stdout=worker_log,
        stderr=subprocess.STDOUT,
    )
    samples: list[Sample] = []
    stop = threading.Event()
    threads: list[threading.Thread] = []
    try:
        server.start(timeout=300)  # a busy machine boots gunicorn slowly
        t0 = time.perf_counter()
        for n in range(users):
            thread = threading.Thread(
                target=_load, args=(server.base, f"{LOAD_PREFIX}{n:03d}", modules, stop, samples, t0), daemon=True
            )
            thread.start()
            threads.append(thread)
        hr = common.login(server.base, HR)
        body, content_type = _multipart("file", "staff.csv", staff_file(rows), {"csrf_token": hr.csrf})
        request = urllib.request.Request(  # noqa: S310  (the loopback server this harness started)
            server.base + "/hr/import", data=body, headers={"Content-Type": content_type}
        )
        with hr.opener.open(request, timeout=600) as response:
            preview = response.read().decode()
        token = common.CSRF_RE.search(preview)
        if token is None or "确认导入" not in preview:
            raise SystemExit("the import preview offered no confirmation")
        time.sleep(max(0.0, baseline - (time.perf_counter() - t0)))
        confirmed_at = time.perf_counter()
        status, headers, _page = common.request(
            hr.opener, server.base + "/hr/import/confirm", {"csrf_token": token.group(1)}
        )
        match = JOB_RE.search(headers.get("Location", ""))
        if status != 303 or match is None:
            raise SystemExit(f"confirming the import answered {status} {headers.get('Location')}")
        job_url = f"{server.base}/jobs/{match.group(1)}.json"
        state: dict[str, Any] = {}
        deadline = confirmed_at + timeout
        while time.perf_counter() < deadline:
            _status, _headers, text = common.request(hr.opener, job_url)
            state = json.loads(text)
            if state.get("finished"):
                break
            time.sleep(0.5)
        finished_at = time.perf_counter()
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
        server.stop()
        worker_log.close()
    job_s = _job_seconds(url, int(match.group(1)))
    report = Report(
        db=db_name,
        rows=rows,
        users=users,
        import_s=round(finished_at - confirmed_at, 2),
        job_s=job_s,
        job_state=str(state.get("state")),
        people_imported=_imported(url, rows),
        baseline=_window(samples, 0.0, confirmed_at - t0),
        during=_window(samples, confirmed_at - t0, finished_at - t0),
        machine=common.machine(),
    )
    return report


def _job_seconds(url: str, job_id: int) -> float | None:
    from app.core.jobs import Job
    from app.extensions import db

    app = common.app_for(url)
    with app.app_context():
        job = db.session.get(Job, job_id)
        seconds = (
            (job.finished_at - job.started_at).total_seconds() if job and job.finished_at and job.started_at else None
        )
        db.session.remove()
    return round(seconds, 2) if seconds is not None else None


def summary(report: Report) -> str:
    """The report as a few lines of text."""
    lines = [
        f"{report.db}: {report.rows} rows imported in {report.import_s} s (worker {report.job_s} s), "
        f"state {report.job_state}, people {report.people_imported}; load users {report.users}",
    ]
    for name, window in (("before", report.baseline), ("during", report.during)):
        kinds = ", ".join(
            f"{k} n={v['n']:.0f} p50={v['p50_ms']} p95={v['p95_ms']} ms" for k, v in window.by_kind.items()
        )
        lines.append(
            f"  {name}: {window.requests} requests, {window.errors} errors {window.error_kinds or ''}; {kinds}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Command line: run once, print, write JSON under instance/bench/."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=8, help="load threads, each its own account")
    parser.add_argument("--chunk", type=int, default=200, help="rows per short transaction (JOBS_CHUNK_ROWS)")
    parser.add_argument("--port", type=int, default=8391)
    parser.add_argument("--url", default=None, help="database URL (default: a fresh benchmark database)")
    args = parser.parse_args(argv)
    url = args.url or (
        f"sqlite:///{common.OUT / 'jobs-import.sqlite'}"
        if args.db == "sqlite"
        else f"{common.PG_BASE}/academy_bench_jobs"
    )
    report = run(args.db, url, args.rows, args.users, port=args.port, chunk=args.chunk)
    print(summary(report))
    target = common.OUT / f"jobs-import-{args.db}-{datetime.now():%Y%m%d-%H%M%S}.json"
    target.write_text(json.dumps({**asdict(report), "ok": report.ok}, ensure_ascii=False, indent=2))
    print(f"written: {target}")
    raise SystemExit(0 if report.ok else 1)


if __name__ == "__main__":
    main()
