"""Background jobs on Huey: pages and rights (jobs run inline), and the real engine — a separate worker process
on an SQLite queue file or on a real redis-server, killed mid-import and replaced, and other users' requests
during an import."""

from __future__ import annotations

import io
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from app import create_app
from app.accounts import services
from app.accounts.models import User
from app.completion.models import ReminderLog
from app.core import jobs
from app.core.audit import AuditEvent
from app.core.jobs import Job, JobJournal, JobState
from app.extensions import db
from app.jobs import notices, tasks
from app.learning.models import Module
from app.notifications.models import Notification
from tests import factories
from tests.conftest import PASSWORD, TEST_CONTENT, make_config

ROOT = Path(__file__).resolve().parent.parent
FLASK = str(Path(sys.executable).parent / "flask")


def staff_csv(rows: int, *, prefix: str = "J", start: int = 1) -> bytes:
    """A staff file of ``rows`` new trainees in two departments and two cohorts."""
    lines = ["工号,姓名,部门,角色,班组"]
    lines += [f"{prefix}{n:05d},员工{n},门店{n % 2}部,学员,新员工{n % 2}期" for n in range(start, start + rows)]
    return ("\ufeff" + "\n".join(lines) + "\n").encode()


def upload(client, data: bytes):
    return client.post("/hr/import", data={"file": (io.BytesIO(data), "staff.csv")}, content_type="multipart/form-data")


def people(prefix: str = "J") -> int:
    return db.session.scalar(select(func.count()).select_from(User).where(User.employee_no.like(f"{prefix}%"))) or 0


# Jobs started from pages (inline: JOBS_IMMEDIATE) -----------------------------------------------------


def test_import_confirm_starts_a_job_whose_page_shows_progress_result_and_notifies(client, login_as, app):
    hr = login_as("hr")
    assert "确认导入" in upload(client, staff_csv(30)).get_data(as_text=True)
    response = client.post("/hr/import/confirm")
    assert response.status_code == 303
    job_id = int(re.search(r"/jobs/(\d+)$", response.headers["Location"]).group(1))
    job = db.session.get(Job, job_id)
    assert (job.kind, job.state, job.started_by_id) == ("staff.import", JobState.DONE, hr.id)
    assert job.progress == job.total == 30 and job.attempts == 1
    assert people() == 30
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "新建 30 人" in page and 'id="download-passwords"' in page and 'role="status"' in page
    assert "<progress" in page and 'aria-live="polite"' in page
    status = client.get(f"/jobs/{job_id}.json").get_json()
    assert status["state"] == "done" and status["percent"] == 100 and status["progress"] == 30
    notice = db.session.scalar(select(Notification).where(Notification.user_id == hr.id))
    assert notice.kind == notices.DONE and notice.url == f"/jobs/{job_id}"
    assert not db.session.scalar(select(func.count()).select_from(JobJournal))  # the journal ends with the job
    # The same upload confirmed again is the same job, not a second import
    assert client.post("/hr/import/confirm", follow_redirects=True).status_code == 200
    imports = db.session.scalar(select(func.count()).select_from(Job).where(Job.kind == tasks.IMPORT))
    assert people() == 30 and imports == 1


def test_someone_elses_job_is_not_found(client, login_as, app, make_user):
    owner = make_user("owner", roles=["hr"])
    job = jobs.submit(tasks.SCHEDULE, key="x", params={"day": date.today().isoformat()}, started_by_id=owner.id)
    login_as("hr")
    for path in (f"/jobs/{job.id}", f"/jobs/{job.id}.json", f"/jobs/{job.id}/download"):
        assert client.get(path).status_code == 404
    assert client.get("/jobs/999999.json").status_code == 404


def test_a_bad_row_late_in_the_file_fails_the_job_and_writes_nothing(client, login_as, app):
    login_as("hr")
    upload(client, staff_csv(40))  # previewed fine; the stored upload is then changed (as if replaced)
    with client.session_transaction() as session:
        stored = Path(app.config["UPLOAD_DIR"]) / "staff-imports" / f"{session['staff_import']}.upload"
    stored.write_bytes(staff_csv(39) + "J00040,,门店1部,老板,\n".encode())
    audit_before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    job_id = int(client.post("/hr/import/confirm").headers["Location"].rsplit("/", 1)[1])
    job = db.session.get(Job, job_id)
    assert job.state == JobState.FAILED and "未导入任何数据" in job.message
    assert people() == 0
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == audit_before
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "未导入任何数据" in page and 'role="alert"' in page
    english = client.get(f"/jobs/{job_id}.json", headers={"Accept-Language": "en"}).get_json()
    assert english["state"] == "failed" and english["message"]


def test_a_failure_mid_job_undoes_every_chunk_already_committed(app, make_user):
    """The engine's journal: chunks committed, then a failure: each row inserted or changed is put back."""
    hr = make_user("hr-undo", roles=["hr", "admin"])
    keep = make_user("keep", roles=["trainee"], name="原名", department="原部门", employee_no="K1")
    app.config["JOBS_CHUNK_ROWS"] = 3

    @jobs.register("test.fails_late", "test")
    def fails_late(ctx: jobs.JobContext) -> None:
        rows = list(range(10))

        def apply(chunk):
            for n in chunk:
                if n == 8:
                    raise jobs.JobFailed("第 8 行失败")
                user = services.create_user(
                    f"u{n}", f"新人{n}", PASSWORD, ["trainee"], department="新部门", commit=False
                )
                services.add_member(services.get_or_create_cohort("新班组"), user, "trainee", commit=False)
                if n == 4:  # after a chunk's commit expired the loaded objects
                    person = db.session.get(User, keep.id)
                    person.name = "改名"
                    person.department = services.get_or_create_department("另一个部门")

        ctx.chunks(rows, apply)

    try:
        before = {
            t.name: db.session.execute(select(func.count()).select_from(t)).scalar() for t in db.metadata.sorted_tables
        }
        job = jobs.submit("test.fails_late", started_by_id=hr.id)
        assert job.state == JobState.FAILED and job.message == "第 8 行失败"
        assert job.progress >= 3  # chunks were committed before the failure
        after = {
            t.name: db.session.execute(select(func.count()).select_from(t)).scalar() for t in db.metadata.sorted_tables
        }
        changed = {name for name in before if before[name] != after[name]}
        assert changed <= {"jobs", "notifications"}, changed  # the job row and its starter's notice only
        db.session.expire_all()
        person = db.session.get(User, keep.id)
        assert (person.name, person.department.name) == ("原名", "原部门")
    finally:
        jobs.KINDS.pop("test.fails_late", None)


def test_reminders_job_run_twice_sends_once(app, make_user):
    user = make_user("soon", roles=["trainee"], email="soon@example.com")
    factories.assign(user=user, due_date=date.today() + timedelta(days=1))
    first = tasks.start_scheduled(date.today(), hour=3)
    assert first.state == JobState.DONE and first.summary["reminders"] == 1
    assert tasks.start_scheduled(date.today(), hour=3).id == first.id  # the same hour: the same job
    # A retried run of the same job (its worker was killed after sending): queued again and run again
    db.session.execute(update(Job).where(Job.id == first.id).values(state=JobState.QUEUED))
    db.session.commit()
    jobs.enqueue(first.id)
    second = tasks.start_scheduled(date.today(), hour=4)
    assert second.state == JobState.DONE and second.summary["reminders"] == 0
    sent = db.session.scalar(select(func.count()).select_from(Notification).where(Notification.user_id == user.id))
    assert sent == 1
    assert db.session.scalar(select(func.count()).select_from(ReminderLog)) == 1
    assert db.session.get(Job, first.id).attempts == 2


def test_export_above_the_threshold_runs_as_a_job_downloadable_only_by_its_starter(client, login_as, app, make_user):
    learner = make_user("learner", roles=["trainee"], cohort="c1", department="门店销售部")
    factories.assign(cohort="c1")
    hr = login_as("hr")
    app.config["EXPORT_JOB_THRESHOLD"] = 0
    try:
        answer = client.get("/reports/export.csv")
        assert answer.status_code == 302 and "/jobs/exports/csv" in answer.headers["Location"]
        page = client.get(answer.headers["Location"]).get_data(as_text=True)
        assert 'id="start-export"' in page and "1 行" in page
        started = client.post("/jobs/exports/csv")
        assert started.status_code == 303
        job_id = int(started.headers["Location"].rsplit("/", 1)[1])
        job = db.session.get(Job, job_id)
        assert job.state == JobState.DONE and job.started_by_id == hr.id and job.result_name.endswith(".csv")
        download = client.get(f"/jobs/{job_id}/download")
        assert download.status_code == 200
        body = download.get_data()
        assert body.startswith("\ufeff工号,".encode()) and learner.name.encode() in body
        login_as("hr")  # another HR person
        assert client.get(f"/jobs/{job_id}/download").status_code == 404
        assert client.post("/jobs/exports/pdf").status_code == 404
        login_as("trainee")
        assert client.get("/jobs/exports/csv").status_code == 403
    finally:
        app.config["EXPORT_JOB_THRESHOLD"] = 5000


def test_certificate_pdfs_as_a_zip_job(client, login_as, app, make_user):
    from tests.test_completion import finish_course

    trainee = make_user("cert-t", roles=["trainee"], cohort="c1", name="张小红")
    grader = make_user("cert-g", roles=["instructor"], cohort="c1")
    factories.assign(cohort="c1")
    finish_course(app, trainee, grader)
    login_as("hr")
    started = client.post("/jobs/certificates")
    assert started.status_code == 303
    job = db.session.get(Job, int(started.headers["Location"].rsplit("/", 1)[1]))
    assert job.state == JobState.DONE and job.summary["certificates"] == 1
    archive = client.get(f"/jobs/{job.id}/download")
    assert archive.status_code == 200 and archive.get_data().startswith(b"PK")
    login_as("trainee")
    assert client.post("/jobs/certificates").status_code == 403


def test_a_content_load_recomputes_through_a_job(app):
    jobs_before = db.session.scalar(select(func.count()).select_from(Job).where(Job.kind == tasks.RECOMPUTE))
    module = db.session.scalar(select(Module))
    module.title = module.title + "（旧）"  # the files differ from the database: the load changes something
    db.session.commit()
    factories.load_content(TEST_CONTENT)
    recomputes = db.session.scalars(select(Job).where(Job.kind == tasks.RECOMPUTE)).all()
    assert len(recomputes) == jobs_before + 1 and recomputes[-1].state == JobState.DONE


# The real engine: a separate worker process ---------------------------------------------------------


@pytest.fixture
def engine_app(tmp_path, request) -> Iterator[Flask]:
    """An app whose jobs go to a real queue (an SQLite file), on a database a worker process can open too."""
    url = os.environ.get("TEST_DATABASE_URL", "")
    if url.startswith("postgresql"):
        request.getfixturevalue("app")  # tables emptied, content loaded
    else:
        url = f"sqlite:///{tmp_path / 'academy.sqlite'}"
    config = make_config(
        SQLALCHEMY_DATABASE_URI=url,
        JOBS_IMMEDIATE=False,
        JOBS_FILE=str(tmp_path / "jobs.sqlite3"),
        UPLOAD_DIR=str(tmp_path / "uploads"),
        JOBS_STALE_SECONDS=2,
        JOBS_CHUNK_ROWS=20,
    )
    app = create_app(config)
    with app.app_context():
        if not url.startswith("postgresql"):
            db.create_all()
            factories.load_content(TEST_CONTENT)
        yield app
        db.session.remove()
        db.engine.dispose()


def worker_env(app: Flask, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        APP_ENV="testing",
        TEST_DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        JOBS_IMMEDIATE="0",
        JOBS_FILE=app.config["JOBS_FILE"],
        UPLOAD_DIR=app.config["UPLOAD_DIR"],
        JOBS_STALE_SECONDS=str(app.config["JOBS_STALE_SECONDS"]),
        JOBS_CHUNK_ROWS=str(app.config["JOBS_CHUNK_ROWS"]),
        CONTENT_DIR=str(TEST_CONTENT),
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    """A real worker: ``flask jobs worker`` in its own process group."""
    return subprocess.Popen(  # noqa: S603  (the project's own command)
        [FLASK, "--app", "wsgi", "jobs", "worker", "--workers", "1", "--no-periodic"],
        cwd=ROOT,
        env=env,
        stdout=log.open("a"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        os.killpg(process.pid, sig)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def wait_for(job_id: int, done, timeout: float = 240.0) -> Job:
    deadline = time.monotonic() + timeout
    while True:
        db.session.rollback()
        db.session.expire_all()
        job = db.session.get(Job, job_id)
        if done(job) or time.monotonic() > deadline:
            return job
        time.sleep(0.05)


def hr_user(prefix: str = "hr") -> User:
    user = services.create_user(f"{prefix}-{secrets.token_hex(3)}", "人事", PASSWORD, ["hr", "admin"])
    return user


def stage_import(app: Flask, data: bytes) -> str:
    token = secrets.token_hex(16)
    folder = Path(app.config["UPLOAD_DIR"]) / "staff-imports"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{token}.upload").write_bytes(data)
    return token


def test_a_worker_process_runs_an_enqueued_import(engine_app, tmp_path):
    hr = hr_user()
    token = stage_import(engine_app, staff_csv(40, prefix="W"))
    job = jobs.submit(tasks.IMPORT, key=f"staff.import:{token}", params={"token": token}, started_by_id=hr.id)
    assert job.state == JobState.QUEUED  # nothing runs in this process
    worker = start_worker(worker_env(engine_app), tmp_path / "worker.log")
    try:
        job = wait_for(job.id, lambda j: j.finished)
    finally:
        stop(worker)
    assert job.state == JobState.DONE, (job.message, (tmp_path / "worker.log").read_text()[-3000:])
    assert job.progress == job.total == 40 and people("W") == 40
    assert db.session.scalar(select(Notification.kind).where(Notification.user_id == hr.id)) == notices.DONE


def test_a_worker_killed_mid_import_is_replaced_and_each_person_exists_once(engine_app, tmp_path):
    hr = hr_user()
    rows = 160
    token = stage_import(engine_app, staff_csv(rows, prefix="K"))
    job = jobs.submit(tasks.IMPORT, key=f"staff.import:{token}", params={"token": token}, started_by_id=hr.id)
    log = tmp_path / "worker.log"
    first = start_worker(worker_env(engine_app, JOBS_CHUNK_SECONDS="0.05"), log)
    try:
        running = wait_for(job.id, lambda j: j.progress >= 40 or j.finished)
        stop(first, signal.SIGKILL)  # mid-job: no chance to clean up
    finally:
        stop(first, signal.SIGKILL)
    assert running.state == JobState.RUNNING and 0 < running.progress < rows, log.read_text()[-3000:]
    stalled = wait_for(job.id, lambda j: False, timeout=0)
    assert stalled.state == JobState.RUNNING and 0 < people("K") < rows  # the chunks written so far stay, journaled
    second = start_worker(worker_env(engine_app), log)
    try:
        job = wait_for(job.id, lambda j: j.finished)
    finally:
        stop(second)
    assert job.state == JobState.DONE, (job.message, log.read_text()[-3000:])
    assert job.attempts == 2 and job.progress == rows
    numbers = db.session.scalars(select(User.employee_no).where(User.employee_no.like("K%"))).all()
    assert len(numbers) == len(set(numbers)) == rows  # each person once
    assert job.summary["created"] == rows and job.summary["sheet"]  # the sheet lists everyone (renewed passwords)


def test_other_users_sign_in_and_complete_modules_during_an_import(engine_app, tmp_path):
    hr = hr_user()
    learners = [services.create_user(f"busy{n}", f"忙碌{n}", PASSWORD, ["instructor"]) for n in range(3)]
    db.session.commit()
    names = [u.username for u in learners]
    modules = [(m.course.slug, m.slug) for m in db.session.scalars(select(Module).where(Module.archived.is_(False)))]
    token = stage_import(engine_app, staff_csv(120, prefix="L"))
    job = jobs.submit(tasks.IMPORT, key=f"staff.import:{token}", params={"token": token}, started_by_id=hr.id)
    worker = start_worker(worker_env(engine_app), tmp_path / "worker.log")
    errors: list[str] = []
    done = {"sign-in": 0, "completion": 0}
    stop_load = threading.Event()

    def load(username: str) -> None:
        client = engine_app.test_client()
        n = 0
        while not stop_load.is_set():
            answer = client.post("/login", data={"username": username, "password": PASSWORD})
            if answer.status_code != 302:
                errors.append(f"sign-in {answer.status_code}")
                continue
            done["sign-in"] += 1
            course, module = modules[n % len(modules)]
            n += 1
            answer = client.post(f"/courses/{course}/{module}/complete")
            if answer.status_code not in (302, 303):
                errors.append(f"completion {answer.status_code}")
            else:
                done["completion"] += 1
            client.post("/logout")

    threads = [threading.Thread(target=load, args=(name,)) for name in names]
    try:
        for thread in threads:
            thread.start()
        job = wait_for(job.id, lambda j: j.finished)
    finally:
        stop_load.set()
        for thread in threads:
            thread.join(timeout=60)
        stop(worker)
    assert job.state == JobState.DONE, (job.message, (tmp_path / "worker.log").read_text()[-3000:])
    assert people("L") == 120
    assert errors == [] and done["sign-in"] > 0 and done["completion"] > 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_redis_broker_with_a_real_redis_server(engine_app, tmp_path):
    server = shutil.which("redis-server")
    assert server, "redis-server is required (scripts/install.sh --dev installs Debian's package)"
    port = free_port()
    redis = subprocess.Popen(  # noqa: S603
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"redis://127.0.0.1:{port}/0"
    worker = None
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.1)
        engine_app.config["JOBS_BROKER_URL"] = url
        user = factories.make_user("due-redis", roles=["trainee"])
        factories.assign(user=user, due_date=date.today())
        job = tasks.start_scheduled(date.today(), hour=5)
        assert job.state == JobState.QUEUED and type(jobs.huey.storage).__name__ == "RedisStorage"
        assert jobs.huey.storage.conn.llen(jobs.huey.storage.queue_key) == 1  # the message is in Redis
        worker = start_worker(worker_env(engine_app, JOBS_BROKER_URL=url), tmp_path / "worker.log")
        job = wait_for(job.id, lambda j: j.finished, timeout=120)
        assert job.state == JobState.DONE, (tmp_path / "worker.log").read_text()[-3000:]
        assert job.summary["reminders"] == 1
    finally:
        if worker is not None:
            stop(worker)
        stop(redis)
        engine_app.config["JOBS_BROKER_URL"] = None
        jobs.configure(engine_app)


def test_the_benchmark_script_reports_no_errors_on_a_tiny_import(tmp_path):
    from bench import jobs_import

    report = jobs_import.run(
        "sqlite",
        f"sqlite:///{tmp_path / 'bench.sqlite'}",
        rows=20,
        users=1,
        port=free_port(),
        baseline=0.5,
        out_dir=tmp_path,
        content=TEST_CONTENT,
        log=lambda *_: None,
    )
    assert report.job_state == "done" and report.people_imported == 20
    assert report.during.errors == 0 and report.baseline.errors == 0 and report.ok


def test_a_job_started_while_the_broker_is_down_is_stored_queued_not_an_error(app, make_user):
    owner = make_user("owner", roles=["hr"])
    saved = {key: app.config.get(key) for key in ("JOBS_BROKER_URL", "JOBS_IMMEDIATE")}
    app.config.update(JOBS_BROKER_URL="redis://127.0.0.1:1/0", JOBS_IMMEDIATE=False)  # nothing listens on port 1
    try:
        jobs.configure(app)
        job = jobs.submit(tasks.SCHEDULE, key="down", params={"day": date.today().isoformat()}, started_by_id=owner.id)
    finally:
        app.config.update(saved)
        jobs.configure(app)
    stored = db.session.get(Job, job.id)
    assert stored.state == jobs.JobState.QUEUED  # the watchdog sends it on once the broker is back
