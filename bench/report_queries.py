"""Time and SQL query count of the HR dashboard, the report API and the exports at several sizes.

    .venv/bin/python -m bench.report_queries --db postgresql --sizes S M L

For each size (databases built with ``flask demo --size``, as bench.run does) the pages are requested
in-process through Flask's test client as the size's HR account, after one warm-up request: the
median time of five requests and the SQL statements one request runs (counted on the engine), and
for the exports the time to the first chunk and the peak of Python allocations (tracemalloc, in a
separate pass because tracing slows the code down). Then the exports are fetched over HTTP from
gunicorn with one worker, sampling that worker's RSS every 10 ms: time to the first byte, total
time, and the worker's RSS before and at its peak.
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import statistics
import threading
import time
import tracemalloc
from datetime import datetime
from pathlib import Path
from typing import Any

from bench import common

REPEAT = 5
PAGES = [
    ("HR dashboard", "/reports", "session"),
    ("report API", "/api/v1/reports/completion?per_page=100", "token"),
    ("CSV export", "/reports/export.csv", "session"),
    ("XLSX export", "/reports/export.xlsx", "session"),
]


class Counter:
    """Counts the SQL statements an engine runs while attached."""

    def __init__(self, engine: Any) -> None:
        from sqlalchemy import event

        self.count = 0
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *args: Any) -> None:
        self.count += 1


def _signed_in(app: Any, prefix: str) -> tuple[Any, dict[str, str]]:
    """A test client signed in as the size's HR account (login form, CSRF token), and an API header."""
    from sqlalchemy import select

    from app.accounts.models import User
    from app.extensions import db

    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post(
        "/login", data={"csrf_token": token, "username": f"{prefix}-hr01", "password": common.PASSWORD}
    )
    if response.status_code != 302:
        raise SystemExit(f"HR login failed at size {prefix.upper()}")
    with app.app_context():
        hr = db.session.scalar(select(User.id).where(User.username == f"{prefix}-hr01"))
        secret = common.issue_tokens([hr])[0]
    return client, {"Authorization": f"Bearer {secret}"}


def _fetch(client: Any, path: str, headers: dict[str, str]) -> tuple[float, float, int]:
    """One streamed request: seconds to the first chunk, seconds in all, bytes."""
    started = time.perf_counter()
    response = client.get(path, headers=headers, buffered=False)
    first, size = None, 0
    for chunk in response.response:
        if first is None:
            first = time.perf_counter() - started
        size += len(chunk)
    response.close()
    if response.status_code != 200:
        raise SystemExit(f"{path} answered {response.status_code}")
    return first or 0.0, time.perf_counter() - started, size


def in_process(app: Any, prefix: str) -> dict[str, dict[str, Any]]:
    """Median time, first-chunk time, SQL statements and peak allocations per page."""
    from app.extensions import db

    client, api = _signed_in(app, prefix)
    with app.app_context():
        counter = Counter(db.engine)
    out = {}
    for name, path, auth in PAGES:
        headers = api if auth == "token" else {}
        _fetch(client, path, headers)
        runs = []
        for _ in range(REPEAT):
            counter.count = 0
            runs.append((*_fetch(client, path, headers), counter.count))
        tracemalloc.start()
        _fetch(client, path, headers)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        out[name] = {
            "ms": round(statistics.median(r[1] for r in runs) * 1000, 1),
            "first_chunk_ms": round(statistics.median(r[0] for r in runs) * 1000, 1),
            "queries": max(r[3] for r in runs),
            "bytes": runs[0][2],
            "python_peak_mib": round(peak / 2**20, 1),
        }
    return out


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def over_http(url: str, prefix: str) -> dict[str, dict[str, Any]]:
    """First byte, total time and worker RSS of each export, from gunicorn with one worker."""
    env = common.gunicorn_env(common.app_env(url), 1, 2)
    server = common.Server("platform", "wsgi:app", 8104, env, common.OUT / "logs" / "report-queries.log").start()
    out = {}
    try:
        session = common.login(server.base, f"{prefix}-hr01")
        (worker,) = server.worker_pids()
        for name, path in (("CSV export", "/reports/export.csv"), ("XLSX export", "/reports/export.xlsx")):
            before = _rss_kib(worker)
            peak = [before]
            stop = threading.Event()

            def sample(stop: threading.Event = stop, peak: list[int] = peak) -> None:
                while not stop.is_set():
                    peak[0] = max(peak[0], _rss_kib(worker))
                    time.sleep(0.01)

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            started = time.perf_counter()
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=600)
            conn.request("GET", path, headers={"Cookie": session.cookie, "User-Agent": common.USER_AGENT})
            response = conn.getresponse()
            response.read(1)
            first = time.perf_counter() - started
            size = 1 + len(response.read())
            total = time.perf_counter() - started
            conn.close()
            stop.set()
            sampler.join()
            out[name] = {
                "first_byte_ms": round(first * 1000, 1),
                "total_ms": round(total * 1000, 1),
                "bytes": size,
                "status": response.status,
                "worker_rss_before_mib": round(before / 1024, 1),
                "worker_rss_peak_mib": round(peak[0] / 1024, 1),
            }
    finally:
        server.stop()
    return out


def enrolment_count(app: Any) -> int:
    """How many (trainee, course) rows the report has."""
    from sqlalchemy import func, select

    from app.extensions import db
    from app.reports import queries

    with app.app_context():
        query = queries.rows_query(queries.Filters())
        return int(db.session.scalar(select(func.count()).select_from(query.subquery())))


def markdown(results: list[dict[str, Any]]) -> str:
    """One table for the in-process figures, one for the exports over HTTP."""
    lines = [
        "| size | trainees | enrolments | page | time ms | first chunk ms | SQL queries | Python peak MiB |",
        "|---|---:|---:|---|---:|---:|---:|---:|",
    ]
    for r in results:
        for name, m in r["in_process"].items():
            lines.append(
                f"| {r['size']} | {r['trainees']:,} | {r['enrolments']:,} | {name} | {m['ms']:,.1f} | "
                f"{m['first_chunk_ms']:,.1f} | {m['queries']} | {m['python_peak_mib']} |"
            )
    lines += [
        "",
        "| size | export | first byte ms | total ms | MiB sent | worker RSS before → peak MiB |",
        "|---|---|---:|---:|---:|---|",
    ]
    for r in results:
        for name, m in r["http"].items():
            lines.append(
                f"| {r['size']} | {name} | {m['first_byte_ms']:,.1f} | {m['total_ms']:,.1f} | "
                f"{m['bytes'] / 2**20:.1f} | {m['worker_rss_before_mib']} → {m['worker_rss_peak_mib']} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Measure every size and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument("--sizes", nargs="+", choices=list(common.SIZES), default=["S", "M", "L"])
    args = parser.parse_args(argv)
    results = []
    for size in args.sizes:
        url = common.prepare(args.db, size)
        app = common.app_for(url)
        prefix = size.lower()
        results.append(
            {
                "size": size,
                "trainees": common.SIZES[size],
                "enrolments": enrolment_count(app),
                "in_process": in_process(app, prefix),
                "http": over_http(url, prefix),
            }
        )
        print(f"[report] {size} done", flush=True)
    text = markdown(results)
    print(f"\n{args.db}\n\n{text}")
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    path = common.OUT / f"report-queries-{args.db}-{stamp}"
    path.with_suffix(".json").write_text(
        json.dumps({"db": args.db, "machine": common.machine(), "results": results}, indent=2, ensure_ascii=False)
    )
    path.with_suffix(".md").write_text(text + "\n")
    print(f"\nSaved {path}.json and .md")


if __name__ == "__main__":
    main()
