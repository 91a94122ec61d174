"""The exam burst: N trainees released in the same instant each open the same quiz and submit it.

    .venv/bin/python -m bench.burst --db postgresql --size L -n 1000

Each trainee is a thread with its own bearer token (issued beforehand, see ``common.issue_tokens``);
a barrier releases them together; each sends GET /api/v1/quizzes/<slug>, picks an answer for every
question from what the API returned, and POSTs it to /api/v1/quizzes/<slug>/attempts. The report
gives errors, latency percentiles, and the time from the release until the last answer was stored
(as the clients saw it, and from the stored ``submitted_at``); afterwards the database is counted:
every acknowledged attempt must be stored with one answer per question, and nothing else.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from bench import common

TIMEOUT = 180


@dataclass
class Outcome:
    """What one trainee's client saw."""

    user_id: int
    get_status: int | None = None
    post_status: int | None = None
    attempt_id: int | None = None
    get_ms: float = 0.0
    post_ms: float = 0.0
    finished_s: float = 0.0  # seconds after the release when the answer to the POST arrived
    error: str = ""

    @property
    def ok(self) -> bool:
        """The quiz was shown and the attempt acknowledged as stored."""
        return self.get_status == 200 and self.post_status == 201 and self.attempt_id is not None


@dataclass
class Accounting:
    """Submitted versus stored, after the burst."""

    submitted: int
    acknowledged: int
    stored_attempts: int
    stored_answers: int
    expected_answers: int
    lost: list[int] = field(default_factory=list)  # acknowledged, but not in the database
    incomplete: list[int] = field(default_factory=list)  # stored without one answer per question
    unacknowledged: list[int] = field(default_factory=list)  # stored, but the client got an error

    @property
    def consistent(self) -> bool:
        """Every submission acknowledged and stored whole, and nothing stored that was not acknowledged."""
        return (
            self.acknowledged == self.submitted == self.stored_attempts
            and self.stored_answers == self.expected_answers
            and not (self.lost or self.incomplete or self.unacknowledged)
        )


def account(outcomes: list[Outcome], stored: dict[int, int], questions: int) -> Accounting:
    """Compare the acknowledged attempts with the stored ones (attempt id -> number of stored answers)."""
    acknowledged = {o.attempt_id for o in outcomes if o.ok}
    return Accounting(
        submitted=len(outcomes),
        acknowledged=len(acknowledged),
        stored_attempts=len(stored),
        stored_answers=sum(stored.values()),
        expected_answers=len(outcomes) * questions,
        lost=sorted(a for a in acknowledged if a not in stored),
        incomplete=sorted(a for a, n in stored.items() if n != questions),
        unacknowledged=sorted(a for a in stored if a not in acknowledged),
    )


@dataclass
class Report:
    """The burst's figures."""

    trainees: int
    quiz: str
    questions: int
    errors: int
    error_kinds: dict[str, int]
    get_p50_ms: float
    get_p95_ms: float
    post_p50_ms: float
    post_p95_ms: float
    post_p99_ms: float
    total_p95_ms: float
    last_answer_client_s: float
    last_answer_stored_s: float | None
    accounting: Accounting

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON, with the accounting verdict."""
        out = asdict(self)
        out["accounting"]["consistent"] = self.accounting.consistent
        return out


def summarise(
    outcomes: list[Outcome], accounting: Accounting, quiz: str, questions: int, stored_s: float | None
) -> Report:
    """Errors, percentiles and the time until the last answer was stored."""
    kinds = Counter(o.error or f"GET {o.get_status} / POST {o.post_status}" for o in outcomes if not o.ok)
    gets = [o.get_ms for o in outcomes if o.get_status == 200]
    posts = [o.post_ms for o in outcomes if o.post_status == 201]
    totals = [o.get_ms + o.post_ms for o in outcomes if o.ok]
    return Report(
        trainees=len(outcomes),
        quiz=quiz,
        questions=questions,
        errors=sum(kinds.values()),
        error_kinds=dict(kinds),
        get_p50_ms=round(common.percentile(gets, 50), 1),
        get_p95_ms=round(common.percentile(gets, 95), 1),
        post_p50_ms=round(common.percentile(posts, 50), 1),
        post_p95_ms=round(common.percentile(posts, 95), 1),
        post_p99_ms=round(common.percentile(posts, 99), 1),
        total_p95_ms=round(common.percentile(totals, 95), 1),
        last_answer_client_s=round(max((o.finished_s for o in outcomes if o.ok), default=0.0), 2),
        last_answer_stored_s=None if stored_s is None else round(stored_s, 2),
        accounting=accounting,
    )


def choose(questions: list[dict[str, Any]], rng: random.Random) -> dict[str, Any]:
    """An answer for every question, picked from the options the API showed."""
    answers: dict[str, Any] = {}
    for question in questions:
        key = rng.choice([o["key"] for o in question["options"]])
        answers[question["id"]] = [key] if question["type"] == "multiple" else key
    return answers


def _send(port: int, method: str, path: str, token: str, body: Any = None) -> tuple[int, Any, float]:
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    try:
        headers = {
            "Authorization": f"Bearer {token}",
            "User-Agent": common.USER_AGENT,
            "Content-Type": "application/json",
        }
        conn.request(method, path, json.dumps(body) if body is not None else None, headers)
        response = conn.getresponse()
        raw = response.read()
    finally:
        conn.close()
    elapsed = (time.perf_counter() - started) * 1000
    try:
        return response.status, json.loads(raw or b"null"), elapsed
    except ValueError:
        return response.status, None, elapsed


def _trainee(
    port: int,
    slug: str,
    user_id: int,
    token: str,
    barrier: threading.Barrier,
    clock: dict[str, float],
    out: list[Outcome],
) -> None:
    outcome = Outcome(user_id)
    out.append(outcome)
    barrier.wait()
    try:
        outcome.get_status, quiz, outcome.get_ms = _send(port, "GET", f"/api/v1/quizzes/{slug}", token)
        if outcome.get_status != 200:
            return
        answers = choose(quiz["questions"], random.Random(user_id))
        outcome.post_status, result, outcome.post_ms = _send(
            port, "POST", f"/api/v1/quizzes/{slug}/attempts", token, {"answers": answers}
        )
        if outcome.post_status == 201 and isinstance(result, dict):
            outcome.attempt_id = result.get("id")
        outcome.finished_s = time.perf_counter() - clock["release"]
    except Exception as error:  # noqa: BLE001  (every client failure is counted, none stops the burst)
        outcome.error = type(error).__name__


def participants(app: Any, n: int) -> tuple[str, int, int, list[int]]:
    """The exam quiz (slug, id, question count) and N enrolled trainees (extra ``burst-…`` ones when short)."""
    from sqlalchemy import select

    from app.accounts.models import User, UserRole
    from app.extensions import db
    from app.learning.enrolments import enrolments

    with app.app_context():
        quiz = common.exam_quiz()
        e = enrolments()
        ids = list(
            db.session.scalars(
                select(e.c.user_id)
                .join(User, User.id == e.c.user_id)
                .join(UserRole, (UserRole.user_id == User.id) & (UserRole.role == "trainee"))
                .where(e.c.course_id == quiz.course_id, User.active.is_(True), ~User.username.like("burst-%"))
                .order_by(e.c.user_id)
                .limit(n)
            )
        )
        if len(ids) < n:
            ids += _extra_trainees(quiz.course_id, n - len(ids))
        return quiz.slug, quiz.id, len(quiz.current_version.definition["questions"]), ids


def _extra_trainees(course_id: int, count: int) -> list[int]:
    """Trainees ``burst-00001…`` in a cohort ``burst`` that is assigned the course (created once, then reused)."""
    from flask import current_app
    from sqlalchemy import insert, select
    from werkzeug.security import generate_password_hash

    from app.accounts import services as accounts
    from app.accounts.models import CohortMember, User, UserRole
    from app.extensions import db
    from app.learning import enrolments
    from app.learning import services as learning
    from app.learning.models import Course

    names = [f"burst-{k:05d}" for k in range(1, count + 1)]
    have = dict(db.session.execute(select(User.username, User.id).where(User.username.in_(names))).all())
    digest = generate_password_hash(common.PASSWORD, method=current_app.config["PASSWORD_HASH_METHOD"])
    missing = [name for name in names if name not in have]
    if missing:
        db.session.execute(
            insert(User), [{"username": name, "name": f"考生{name[-5:]}", "password_hash": digest} for name in missing]
        )
        new = dict(db.session.execute(select(User.username, User.id).where(User.username.in_(missing))).all())
        cohort = accounts.get_or_create_cohort("burst")
        db.session.execute(insert(UserRole), [{"user_id": uid, "role": "trainee"} for uid in new.values()])
        db.session.execute(
            insert(CohortMember), [{"cohort_id": cohort.id, "user_id": uid, "role": "trainee"} for uid in new.values()]
        )
        learning.assign_course(db.session.get(Course, course_id), cohort=cohort, commit=False)
        enrolments.refresh(db.session, new.values())  # the bulk inserts above bypass the unit of work
        db.session.commit()
        have.update(new)
    return [have[name] for name in names]


def stored_attempts(
    app: Any, quiz_id: int, user_ids: list[int], after_id: int
) -> tuple[dict[int, int], datetime | None]:
    """Attempts stored by these trainees since ``after_id``: answers per attempt, and the last submitted_at."""
    from sqlalchemy import func, select

    from app.assessments.models import Attempt, AttemptAnswer
    from app.extensions import db

    with app.app_context():
        mine = (Attempt.quiz_id == quiz_id) & (Attempt.id > after_id) & Attempt.user_id.in_(user_ids)
        rows = db.session.execute(
            select(Attempt.id, func.count(AttemptAnswer.id))
            .outerjoin(AttemptAnswer, AttemptAnswer.attempt_id == Attempt.id)
            .where(mine)
            .group_by(Attempt.id)
        ).all()
        last = db.session.scalar(select(func.max(Attempt.submitted_at)).where(mine))
        return {attempt_id: count for attempt_id, count in rows}, last


def run(base: str, app: Any, n: int, log=print) -> Report:
    """Run one burst of N trainees against a running platform and count what was stored."""
    from sqlalchemy import func, select

    from app.assessments.models import Attempt
    from app.extensions import db

    slug, quiz_id, questions, user_ids = participants(app, n)
    with app.app_context():
        tokens = common.issue_tokens(user_ids)
        marker = db.session.scalar(select(func.max(Attempt.id))) or 0
    clock: dict[str, float] = {}
    released: dict[str, datetime] = {}

    def release() -> None:
        clock["release"] = time.perf_counter()
        released["at"] = datetime.now(UTC).replace(tzinfo=None)

    barrier = threading.Barrier(n, action=release)
    outcomes: list[Outcome] = []
    port = int(base.rsplit(":", 1)[1])
    threading.stack_size(512 * 1024)
    threads = [
        threading.Thread(target=_trainee, args=(port, slug, uid, token, barrier, clock, outcomes), daemon=True)
        for uid, token in zip(user_ids, tokens, strict=True)
    ]
    log(f"[burst] {n} trainees ready for {slug} ({questions} questions); releasing them together")
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT * 2 + 10)
    stored, last = stored_attempts(app, quiz_id, user_ids, marker)
    stored_s = (last - released["at"]).total_seconds() if last is not None else None
    report = summarise(outcomes, account(outcomes, stored, questions), slug, questions, stored_s)
    log(
        f"[burst] errors {report.errors}, POST p95 {report.post_p95_ms:.0f} ms, last answer stored after "
        f"{report.last_answer_stored_s} s, stored {report.accounting.stored_attempts} attempts / "
        f"{report.accounting.stored_answers} answers, consistent: {report.accounting.consistent}"
    )
    return report


def main(argv: list[str] | None = None) -> None:
    """Prepare the database, start the platform under gunicorn, run the burst, print and save the report."""
    import os

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument("--size", choices=list(common.SIZES), default="M")
    parser.add_argument("-n", "--trainees", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) * 2 + 1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=1, help="bursts in a row against the same server")
    args = parser.parse_args(argv)

    url = common.prepare(args.db, args.size)
    env = common.gunicorn_env(common.app_env(url), args.workers, args.threads)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    platform = common.Server("platform", "wsgi:app", 8103, env, common.OUT / "logs" / f"burst-{stamp}.log")
    reports = []
    try:
        platform.start()
        app = common.app_for(url)
        for _ in range(args.repeat):
            reports.append(run(platform.base, app, args.trainees).as_dict())
    finally:
        platform.stop()
    result = {
        "when": stamp,
        "db": args.db,
        "size": args.size,
        "workers": args.workers,
        "threads": args.threads,
        "machine": common.machine(),
        "bursts": reports,
    }
    print(json.dumps(result, indent=2, ensure_ascii=False))
    path = common.OUT / f"burst-{args.db}-{args.size}-{args.trainees}-{stamp}.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print(f"Saved {path}")


if __name__ == "__main__":
    main()
