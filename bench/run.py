"""Load benchmark: the platform and a hello-world app under the same gunicorn settings, driven by wrk.

    .venv/bin/python -m bench.run --db postgresql --size M            # prepare, start both, measure
    .venv/bin/python -m bench.run --db sqlite --size L --burst 1000   # and the exam burst afterwards
    .venv/bin/python -m bench.run --db sqlite --size L --floor --only "module page"  # and the no-op floor

Steps: build (or reuse) the database of the size with ``flask demo --size``; start
``gunicorn -c gunicorn.conf.py wsgi:app`` and ``gunicorn -c gunicorn.conf.py bench.hello:app`` with the
same WEB_CONCURRENCY and GUNICORN_THREADS; sign in once per role (login form for pages, bearer token
for the API); check that every scenario answers as expected; then, for each scenario, run wrk against
hello-world and right after against the scenario (each a short warm-up, then the measured run) and
print requests per second, p50/p95/p99, errors and the ratio to that hello-world run. With ``--floor``
a third server (``bench/floor.py``: the platform plus no-op routes) shows what the platform's hooks, the
sign-in check and the token check cost before any page work. Results go to instance/bench/ as JSON and
Markdown.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from bench import common

LUA = Path(__file__).parent / "wrk" / "scenario.lua"
SUBMIT_POOL = 200


@dataclass
class Scenario:
    """One request shape to load: method, path, headers, body, rotating bearer tokens."""

    name: str
    path: str
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    tokens: list[str] = field(default_factory=list)
    expect: int = 200
    connections: int | None = None
    timeout: str = "10s"
    server: str = "platform"


@dataclass
class Measure:
    """What wrk reported for one scenario."""

    scenario: str
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int
    requests: int
    ratio: float | None = None
    detail: dict[str, Any] = field(default_factory=dict)


def _content(app: Any, prefix: str) -> dict[str, Any]:
    """Slugs, ids and the trainee pool the scenarios use, read from the benchmark database."""
    from sqlalchemy import select

    from app.accounts.models import User
    from app.extensions import db
    from app.learning.models import Course

    with app.app_context():
        quiz = common.exam_quiz()
        course = db.session.get(Course, quiz.course_id)
        module = course.active_modules[0]
        questions = quiz.current_version.definition["questions"]
        answers = {
            q["id"]: [q["options"][0]["key"]] if q["type"] == "multiple" else q["options"][0]["key"] for q in questions
        }
        pool = list(
            db.session.scalars(
                select(User.id)
                .where(User.username.like(f"{prefix}-t%"), User.username != f"{prefix}-t00001")
                .order_by(User.id)
                .limit(SUBMIT_POOL)
            )
        )
        info = {"course": course.slug, "module": module.slug, "quiz": quiz.slug, "answers": answers}
        info["tokens"] = common.issue_tokens(pool)
    return info


def scenarios(base: str, app: Any, size: str, hr_connections: int) -> list[Scenario]:
    """Sign in once per role and describe every scenario (HR's with ``hr_connections`` at once)."""
    prefix = size.lower()
    info = _content(app, prefix)
    trainee = common.login(base, f"{prefix}-t00001")
    instructor = common.login(base, f"{prefix}-i0001")
    hr = common.login(base, f"{prefix}-hr01")
    hr_token = common.api_token(base, f"{prefix}-hr01")
    status, headers, _ = common.request(
        trainee.opener, f"{base}/quizzes/{info['quiz']}/start", {"csrf_token": trainee.csrf}
    )
    if status != 302:
        raise SystemExit(f"could not start an attempt at {info['quiz']} ({status})")
    take = headers["Location"].replace(base, "")

    def page(name: str, session: common.Session, path: str, **kwargs: Any) -> Scenario:
        return Scenario(name, path, headers={"Cookie": session.cookie}, **kwargs)

    api = {"Authorization": f"Bearer {hr_token}"}
    return [
        page("dashboard", trainee, "/dashboard"),
        page("module page", trainee, f"/courses/{info['course']}/{info['module']}"),
        page("quiz page", trainee, take),
        Scenario(
            "quiz submit",
            f"/api/v1/quizzes/{info['quiz']}/attempts",
            "POST",
            {"Content-Type": "application/json"},
            json.dumps({"answers": info["answers"]}).encode(),
            info["tokens"],
            expect=201,
        ),
        page("grading queue", instructor, "/grading"),
        page("HR dashboard", hr, "/reports", connections=hr_connections),
        Scenario("report API", "/api/v1/reports/completion?per_page=100", headers=api, connections=hr_connections),
        page("CSV export", hr, "/reports/export.csv", connections=min(2, hr_connections), timeout="120s"),
        Scenario("floor: no check", "/bench/floor/anonymous", server="floor"),
        page("floor: signed in", trainee, "/bench/floor/signed-in", server="floor"),
        page("floor: raw SQL", trainee, "/bench/floor/raw-signed-in", server="floor"),
        Scenario("floor: token", "/bench/floor/token", tokens=info["tokens"], server="floor"),
    ]


def preflight(base: str, scenario: Scenario) -> None:
    """One request by hand: the scenario must answer with its expected status, not a redirect."""
    headers = {"User-Agent": common.USER_AGENT, **scenario.headers}
    if scenario.tokens:
        headers["Authorization"] = f"Bearer {scenario.tokens[0]}"
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", int(base.rsplit(":", 1)[1]), timeout=300)
    conn.request(scenario.method, scenario.path, scenario.body, headers)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    if response.status != scenario.expect:
        raise SystemExit(
            f"{scenario.name}: {scenario.method} {scenario.path} answered {response.status}, "
            f"expected {scenario.expect}: {body[:300]!r}"
        )


def wrk(base: str, scenario: Scenario, seconds: int, connections: int, threads: int) -> dict[str, Any]:
    """Run wrk once for a scenario and return its JSON summary."""
    work = common.OUT / "wrk"
    work.mkdir(parents=True, exist_ok=True)
    slug = scenario.name.replace(" ", "-")
    headers = work / f"{slug}.headers"
    headers.write_text("".join(f"{k}: {v}\n" for k, v in {"User-Agent": common.USER_AGENT, **scenario.headers}.items()))
    body, tokens = "-", "-"
    if scenario.body is not None:
        (work / f"{slug}.body").write_bytes(scenario.body)
        body = str(work / f"{slug}.body")
    if scenario.tokens:
        (work / f"{slug}.tokens").write_text("\n".join(scenario.tokens) + "\n")
        tokens = str(work / f"{slug}.tokens")
    conns = scenario.connections or connections
    command = [
        common.ensure_wrk(),
        f"-t{min(threads, conns)}",
        f"-c{conns}",
        f"-d{seconds}s",
        f"--timeout={scenario.timeout}",
        "-s",
        str(LUA),
        base + scenario.path,
        "--",
        scenario.method,
        str(headers),
        body,
        tokens,
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=True)  # noqa: S603  (fixed arguments)
    line = [x for x in done.stdout.splitlines() if x.startswith("{")][-1]
    return json.loads(line)


def measure(base: str, scenario: Scenario, args: argparse.Namespace) -> Measure:
    """Warm up, then measure one scenario."""
    wrk(base, scenario, args.warmup, args.connections, args.wrk_threads)
    raw = wrk(base, scenario, args.duration, args.connections, args.wrk_threads)
    raw["connections"] = scenario.connections or args.connections
    raw["load_average"] = os.getloadavg()[0]
    seconds = raw["duration_us"] / 1e6
    return Measure(
        scenario.name,
        raw["requests"] / seconds,
        raw["p50_us"] / 1000,
        raw["p95_us"] / 1000,
        raw["p99_us"] / 1000,
        sum(raw["errors"].values()),
        raw["requests"],
        detail=raw,
    )


def table(rows: list[Measure]) -> str:
    """The results as a Markdown table."""
    out = [
        "| scenario | conns | req/s | p50 ms | p95 ms | p99 ms | errors | requests | hello-world req/s | "
        "× hello-world | load |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for m in rows:
        ratio = f"{m.ratio:.1%}" if m.ratio is not None else "—"
        paired = f"{m.detail['hello_rps']:,.0f}" if "hello_rps" in m.detail else "(median)"
        out.append(
            f"| {m.scenario} | {m.detail['connections']} | {m.rps:,.1f} | {m.p50_ms:.1f} | {m.p95_ms:.1f} | "
            f"{m.p99_ms:.1f} | {m.errors} | {m.requests:,} | {paired} | {ratio} | "
            f"{m.detail['load_average']:.1f} |"
        )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> None:
    """Parse the options and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--size", choices=list(common.SIZES), default="M")
    parser.add_argument(
        "--workers",
        type=int,
        default=(os.cpu_count() or 1) * 2 + 1,
        help="gunicorn workers for both apps (default: gunicorn.conf.py's 2 × cores + 1)",
    )
    parser.add_argument("--threads", type=int, default=2, help="gunicorn threads per worker (default 2)")
    parser.add_argument("--duration", type=int, default=10, help="seconds measured per scenario")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per scenario")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections for trainee and instructor pages")
    parser.add_argument(
        "--hr-connections",
        type=int,
        default=2,
        help="wrk connections for the HR dashboard and report API (a few HR staff; export: at most 2)",
    )
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--only", nargs="*", help="scenario names to run (default: all)")
    parser.add_argument("--burst", type=int, default=0, help="also run the exam burst with N trainees")
    parser.add_argument(
        "--floor",
        action="store_true",
        help="also measure the no-op routes of bench/floor.py (the cost of the checks alone)",
    )
    args = parser.parse_args(argv)

    url = common.prepare(args.db, args.size)
    env = common.gunicorn_env(common.app_env(url), args.workers, args.threads)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    platform = common.Server("platform", "wsgi:app", 8101, env, common.OUT / "logs" / f"platform-{stamp}.log")
    hello = common.Server("hello", "bench.hello:app", 8102, env, common.OUT / "logs" / f"hello-{stamp}.log")
    floor = common.Server("floor", "bench.floor:create_app()", 8103, env, common.OUT / "logs" / f"floor-{stamp}.log")
    bases = {"platform": platform.base, "floor": floor.base}
    results: list[Measure] = []
    burst: dict[str, Any] | None = None
    try:
        platform.start()
        hello.start()
        if args.floor:
            floor.start()
        app = common.app_for(url)
        plan = scenarios(platform.base, app, args.size, args.hr_connections)
        if args.only:
            plan = [s for s in plan if s.name in args.only or (args.floor and s.server == "floor")]
        if not args.floor:
            plan = [s for s in plan if s.server != "floor"]
        for scenario in plan:
            preflight(bases[scenario.server], scenario)
        hellos = []
        for scenario in plan:
            # hello-world right before each scenario: on a shared machine the ratio compares like with like
            hellos.append(measure(hello.base, Scenario("hello-world", "/"), args))
            result = measure(bases[scenario.server], scenario, args)
            result.ratio = result.rps / hellos[-1].rps
            result.detail["hello_rps"] = round(hellos[-1].rps, 1)
            results.append(result)
            print(
                f"[run] {scenario.name}: {result.rps:,.1f} req/s ({result.ratio:.1%} of hello-world's "
                f"{hellos[-1].rps:,.0f}), p95 {result.p95_ms:.0f} ms, {result.errors} errors",
                flush=True,
            )
        results.insert(0, sorted(hellos, key=lambda m: m.rps)[len(hellos) // 2])  # the median hello-world run
        if args.burst:
            from bench import burst as exam

            burst = exam.run(platform.base, app, args.burst, log=print).as_dict()
    finally:
        platform.stop()
        hello.stop()
        floor.stop()
    header = (
        f"{args.db}, size {args.size} ({common.SIZES[args.size]:,} trainees), gunicorn {args.workers} workers × "
        f"{args.threads} threads (gthread), wrk {args.duration} s per scenario after {args.warmup} s of warm-up; "
        "load = 1-minute load average after the scenario"
    )
    print("\n" + header + "\n\n" + table(results))
    if burst:
        print("\nExam burst:\n" + json.dumps(burst, indent=2, ensure_ascii=False))
    report = {
        "when": stamp,
        "db": args.db,
        "size": args.size,
        "workers": args.workers,
        "threads": args.threads,
        "duration": args.duration,
        "connections": args.connections,
        "machine": common.machine(),
        "load_average_after": os.getloadavg(),
        "results": [asdict(r) for r in results],
        "burst": burst,
    }
    path = common.OUT / f"run-{args.db}-{args.size}-{stamp}"
    path.with_suffix(".json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    path.with_suffix(".md").write_text(header + "\n\n" + table(results) + "\n")
    print(f"\nSaved {path}.json and .md ({time.strftime('%H:%M:%S')})")


if __name__ == "__main__":
    main()
