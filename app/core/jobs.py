"""Background jobs: the Huey engine, the Job table, progress in short transactions, and an undo journal.

A job is a row of :class:`Job` (what, whose, how far, the result file) and one Huey message that
names it. Every kind of job is a handler registered with :func:`register` (``app/jobs/tasks.py``);
:func:`submit` stores the row (once per idempotency key) and enqueues :func:`execute`, which a worker
(``flask jobs worker``, a Huey consumer) runs: it *claims* the job with one conditional UPDATE, so two
copies of a message, or a retry beside a live worker, never run a job twice at the same time.

Huey keeps its queue in an SQLite file under ``instance/`` by default and in Redis when
``JOBS_BROKER_URL=redis://…`` is set; the Job rows, progress and journal live in the application's
database, the result files under ``UPLOAD_DIR/jobs/<id>/`` (see docs/operations.md).

A worker killed mid-job stops sending heartbeats (each progress report is one); every worker looks
for jobs silent for ``JOBS_STALE_SECONDS`` (:func:`recover`) and enqueues them again; the new claim
takes them over and the handler resumes. Long writes are cut into short transactions with
:meth:`JobContext.chunks`: each chunk writes its rows, the *journal* of what it inserted, changed or
deleted (prior values) and the job's progress in one transaction. A failure undoes the journal
newest-first (:func:`undo`), so the job leaves no trace; a retry after a kill resumes.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any

from flask import Flask, current_app, has_app_context
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from huey import Huey
from huey.exceptions import HueyException
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage
from redis.exceptions import RedisError
from sqlalchemy import JSON, ForeignKey, Index, String, Text, and_, delete, event, inspect, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.core import signals
from app.core.domain import DomainError
from app.core.time import utcnow
from app.extensions import db

log = logging.getLogger(__name__)


class JobState(StrEnum):
    """Where a job is: waiting, running, finished well, or failed (having changed nothing)."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


STATE_LABELS = {
    JobState.QUEUED: _l("排队中"),
    JobState.RUNNING: _l("进行中"),
    JobState.DONE: _l("已完成"),
    JobState.FAILED: _l("失败"),
}
GENERIC_FAILURE = _l("任务出错，未更改任何数据。请稍后重试；如果仍然失败，请联系管理员。")


class Job(db.Model):  # type: ignore[name-defined]  # db.Model is built at runtime (mypy-baseline.txt)
    """One background job: its kind, who started it, its progress and its result."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_started_by_created", "started_by_id", "created_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(10), default=JobState.QUEUED, index=True)
    progress: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    message: Mapped[str | None] = mapped_column(Text)  # what went wrong, or a summary, in the starter's language
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the handler's input (plain values)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the handler's counts, for the job page
    result_path: Mapped[str | None] = mapped_column(String(255))  # relative to UPLOAD_DIR
    result_name: Mapped[str | None] = mapped_column(String(120))  # the download's file name
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    audience_role: Mapped[str | None] = mapped_column(String(20))  # besides the starter, who may see it
    locale: Mapped[str] = mapped_column(String(10), default="zh_CN")
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    worker: Mapped[str | None] = mapped_column(String(64))  # the claim of the run that owns it
    attempts: Mapped[int] = mapped_column(default=0)
    heartbeat_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    @property
    def finished(self) -> bool:
        """Whether the job is over (done or failed)."""
        return self.state in (JobState.DONE, JobState.FAILED)

    @property
    def percent(self) -> int:
        """Progress in whole percent (100 when done)."""
        if self.state == JobState.DONE:
            return 100
        return min(99, self.progress * 100 // self.total) if self.total else 0

    @property
    def title(self) -> str:
        """The kind's name for people."""
        kind = KINDS.get(self.kind)
        return str(kind.title) if kind else self.kind

    @property
    def state_label(self) -> str:
        """The state's name for people."""
        return str(STATE_LABELS.get(JobState(self.state), self.state))


class JobJournal(db.Model):  # type: ignore[name-defined]  # db.Model is built at runtime (mypy-baseline.txt)
    """One row a job's chunk inserted, changed or deleted (with its prior values), until the job ends."""

    __tablename__ = "job_journal"
    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    op: Mapped[str] = mapped_column(String(10))  # insert / update / delete
    table_name: Mapped[str] = mapped_column(String(64))
    pk: Mapped[list[Any]] = mapped_column(JSON)
    prior: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # update/delete: the row as it was


class JobFailed(DomainError):
    """A handler's refusal: the message (already in the starter's language) is shown on the job page."""


class Lost(Exception):  # noqa: N818 (a signal to stop, not a failure)
    """Another run took the job over (this one was thought dead): stop without writing more."""


# The engine ---------------------------------------------------------------------------------------

huey = Huey("academy", immediate=True)  # configured from the app by :func:`configure`
_configured: dict[str, Any] = {"key": None, "app": None}
_lock = threading.Lock()


def _settings(app: Flask) -> tuple[Any, ...]:
    url = app.config.get("JOBS_BROKER_URL")
    immediate = bool(app.config.get("JOBS_IMMEDIATE"))
    filename = app.config.get("JOBS_FILE") or str(Path(app.instance_path) / "jobs.sqlite3")
    return (url, filename, immediate)


def configure(app: Flask) -> Huey:
    """Point the Huey instance at the app's broker: Redis (JOBS_BROKER_URL), else an SQLite file; or run inline."""
    key = _settings(app)
    with _lock:
        _configured["app"] = app
        if _configured["key"] == key:
            return huey
        url, filename, immediate = key
        huey._immediate = immediate
        if immediate:
            huey.storage = MemoryStorage(huey.name)
        elif url:
            if not url.startswith(("redis://", "rediss://", "unix://")):
                raise RuntimeError("JOBS_BROKER_URL must be a redis:// URL (or unset for the SQLite file).")
            huey.storage_class = RedisStorage
            huey.storage_kwargs = {"url": url}
            huey.storage = RedisStorage(huey.name, url=url)
        else:
            Path(filename).parent.mkdir(parents=True, exist_ok=True)
            huey.storage_class = SqliteStorage
            huey.storage_kwargs = {"filename": filename}
            huey.storage = SqliteStorage(huey.name, filename=filename)
        _configured["key"] = key
    return huey


def init_app(app: Flask) -> None:
    """Configure the engine for this app (the factory calls it)."""
    configure(app)


def _app() -> Flask:
    if has_app_context():
        return current_app._get_current_object()  # type: ignore[attr-defined]
    app = _configured["app"]
    if app is None:
        raise RuntimeError("app.core.jobs is not configured: create the app first")
    return app


# Kinds ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class JobKind:
    """A kind of job: its handler and its name for people."""

    name: str
    title: Any  # lazy text
    handler: Callable[[JobContext], None]


KINDS: dict[str, JobKind] = {}


def register(name: str, title: Any) -> Callable[[Callable[[JobContext], None]], Callable[[JobContext], None]]:
    """Decorator: register ``handler(ctx)`` as the job kind ``name``."""

    def decorate(handler: Callable[[JobContext], None]) -> Callable[[JobContext], None]:
        KINDS[name] = JobKind(name, title, handler)
        return handler

    return decorate


# Starting jobs ------------------------------------------------------------------------------------


def submit(
    kind: str,
    *,
    key: str | None = None,
    params: dict[str, Any] | None = None,
    started_by_id: int | None = None,
    audience_role: str | None = None,
    locale: str | None = None,
    total: int = 0,
) -> Job:
    """Store a job (once per idempotency ``key``: the existing one is returned) and enqueue it after the commit."""
    if kind not in KINDS:
        raise KeyError(f"unknown job kind {kind!r}")
    key = key or f"{kind}:{uuid.uuid4().hex}"
    existing = db.session.scalar(select(Job).where(Job.idempotency_key == key))
    if existing is not None:
        return existing
    job = Job(
        kind=kind,
        idempotency_key=key,
        params=params or {},
        started_by_id=started_by_id,
        audience_role=audience_role,
        locale=locale or "zh_CN",
        total=total,
    )
    db.session.add(job)
    try:
        db.session.commit()
    except Exception:  # the same key, stored a moment ago by another request
        db.session.rollback()
        existing = db.session.scalar(select(Job).where(Job.idempotency_key == key))
        if existing is None:
            raise
        return existing
    try:
        enqueue(job.id)
    except (OSError, RedisError, HueyException):  # the broker is down: the job is stored, the watchdog sends it on
        log.warning("job queued without the broker", extra={"job_id": job.id, "kind": kind})
    db.session.expire(job)  # run inline (JOBS_IMMEDIATE) by another session: read it again
    return job


def enqueue(job_id: int) -> None:
    """Put a message for the job on the queue (in immediate mode: run it now)."""
    configure(_app())
    execute(job_id)


@huey.task()
def execute(job_id: int) -> None:
    """The one Huey task: run the job ``job_id`` inside an app context."""
    app = _app()
    with app.app_context():
        run(job_id)


# Running jobs -------------------------------------------------------------------------------------


def _stale_before() -> datetime:
    return utcnow() - timedelta(seconds=int(current_app.config.get("JOBS_STALE_SECONDS", 120)))


def claim(job_id: int) -> str | None:
    """Take the queued job for this run (a stale run is queued again by :func:`recover`); return the claim or None."""
    token = secrets.token_hex(8)
    now = utcnow()
    result = db.session.execute(
        update(Job)
        .where(Job.id == job_id, Job.state == JobState.QUEUED)
        .values(state=JobState.RUNNING, worker=token, heartbeat_at=now, attempts=Job.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if not result.rowcount:  # type: ignore[attr-defined]
        return None
    db.session.execute(
        update(Job).where(Job.id == job_id, Job.started_at.is_(None)).values(started_at=now),
    )
    db.session.commit()
    return token


def run(job_id: int) -> None:
    """Claim and run one job; on failure undo its journal and record what went wrong."""
    token = claim(job_id)
    if token is None:
        return  # running elsewhere, or over
    job = db.session.get(Job, job_id)
    assert job is not None
    kind_name = job.kind
    kind = KINDS.get(kind_name)
    ctx = JobContext(job_id, token, dict(job.params or {}), job.started_by_id, job.locale, job.progress)
    try:
        with force_locale(job.locale):
            if kind is None:
                raise JobFailed(str(GENERIC_FAILURE))
            kind.handler(ctx)
            _finish(ctx, JobState.DONE, ctx.message)
    except Lost:
        db.session.rollback()
        log.warning("job taken over by another run", extra={"job_id": job_id})
        return
    except Exception as error:
        db.session.rollback()
        with force_locale(job.locale):
            message = str(error) if isinstance(error, DomainError) else str(GENERIC_FAILURE)
        if not isinstance(error, DomainError):
            log.exception("job failed", extra={"job_id": job_id})
        try:
            undo(job_id, token)
            _finish(ctx, JobState.FAILED, message)
        except Lost:
            db.session.rollback()
            return
    state = db.session.scalar(select(Job.state).where(Job.id == job_id))
    signals.job_finished.send(job_id, kind=kind_name, state=state, started_by_id=ctx.started_by_id)


def _owned(job_id: int, token: str) -> Any:
    return update(Job).where(Job.id == job_id, Job.worker == token, Job.state == JobState.RUNNING)


def _finish(ctx: JobContext, state: JobState, message: str | None) -> None:
    values: dict[str, Any] = {"state": state, "message": message, "finished_at": utcnow(), "heartbeat_at": utcnow()}
    values["summary"] = ctx.summary
    if state == JobState.DONE:
        if ctx.total is not None:
            values["progress"] = ctx.total
        if ctx.result is not None:
            values["result_path"], values["result_name"] = ctx.result
    result = db.session.execute(_owned(ctx.job_id, ctx.token).values(**values))
    db.session.execute(delete(JobJournal).where(JobJournal.job_id == ctx.job_id))
    if not result.rowcount:  # type: ignore[attr-defined]
        db.session.rollback()
        raise Lost()
    db.session.commit()


class JobContext:
    """What a handler gets: its parameters, progress reports, journaled chunks and a result file."""

    def __init__(
        self, job_id: int, token: str, params: dict[str, Any], started_by_id: int | None, locale: str, done: int
    ) -> None:
        self.job_id = job_id
        self.token = token
        self.params = params
        self.started_by_id = started_by_id
        self.locale = locale
        self.resumed_at = done  # progress already committed by an earlier run (0 on the first)
        self.total: int | None = None
        self.summary: dict[str, Any] = {}
        self.message: str | None = None
        self.result: tuple[str, str] | None = None

    def progress(self, done: int, total: int | None = None) -> None:
        """Record progress (and the heartbeat) in its own short transaction; call it between writes."""
        if total is not None:
            self.total = total
        values: dict[str, Any] = {"progress": done, "heartbeat_at": utcnow()}
        if total is not None:
            values["total"] = total
        result = db.session.execute(_owned(self.job_id, self.token).values(**values))
        if not result.rowcount:  # type: ignore[attr-defined]
            db.session.rollback()
            raise Lost()
        db.session.commit()

    def chunks(
        self, items: Sequence[Any], apply: Callable[[Sequence[Any]], None], *, size: int | None = None, start: int = 0
    ) -> None:
        """Apply ``items`` in chunks, each one short transaction with its journal and progress; ``start``: done before.

        A chunk holds at most ``size`` (JOBS_CHUNK_ROWS) items and is sized to last about JOBS_CHUNK_SECONDS:
        on SQLite the one writer's lock is held that long, so other people's writes wait no longer.
        """
        limit = size or int(current_app.config.get("JOBS_CHUNK_ROWS", 200))
        budget = float(current_app.config.get("JOBS_CHUNK_SECONDS", 0.25))
        count = max(1, min(limit, 10))  # a first small chunk measures the pace
        first = 0
        while first < len(items):
            chunk = items[first : first + count]
            began = time.perf_counter()
            with journal(self.job_id):
                apply(chunk)
            first += len(chunk)
            result = db.session.execute(
                _owned(self.job_id, self.token).values(progress=start + first, heartbeat_at=utcnow())
            )
            if not result.rowcount:  # type: ignore[attr-defined]
                db.session.rollback()
                raise Lost()
            db.session.commit()
            elapsed = max(time.perf_counter() - began, 1e-3)
            count = max(1, min(limit, int(len(chunk) * budget / elapsed)))

    def result_file(self, name: str) -> Path:
        """A path for the job's result file (``UPLOAD_DIR/jobs/<id>/name``), offered for download when the job is done."""
        folder = jobs_dir() / str(self.job_id)
        folder.mkdir(parents=True, exist_ok=True)
        self.result = (f"jobs/{self.job_id}/{name}", name)
        return folder / name


def jobs_dir() -> Path:
    """Where result files live: UPLOAD_DIR/jobs (shared by every host)."""
    return Path(current_app.config["UPLOAD_DIR"]) / "jobs"


def result_file(job: Job) -> Path | None:
    """The job's result file on disk, when it has one that still exists."""
    if not job.result_path:
        return None
    path = (Path(current_app.config["UPLOAD_DIR"]) / job.result_path).resolve()
    if jobs_dir().resolve() not in path.parents or not path.is_file():
        return None
    return path


# The journal --------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A column value as JSON (dates and times tagged, so they come back as they were)."""
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, date):
        return {"$d": value.isoformat()}
    if isinstance(value, Decimal):
        return {"$dec": str(value)}
    if isinstance(value, StrEnum):
        return str(value)
    return value


def _unplain(value: Any) -> Any:
    if isinstance(value, dict):
        if "$dt" in value:
            return datetime.fromisoformat(value["$dt"])
        if "$d" in value:
            return date.fromisoformat(value["$d"])
        if "$dec" in value:
            return Decimal(value["$dec"])
    return value


def _stored_row(session: Session, obj: Any) -> dict[str, Any] | None:
    """The object's row as the database holds it before this flush (one SELECT; loaded attributes may be stale)."""
    state = inspect(obj)
    mapper, key = state.mapper, state.identity
    if key is None:
        return None
    table = mapper.local_table
    condition = and_(*[column == value for column, value in zip(mapper.primary_key, key, strict=True)])
    row = session.connection().execute(select(table).where(condition)).mappings().first()
    if row is None:
        return None
    return {attr.key: _plain(row[attr.columns[0].name]) for attr in mapper.column_attrs}


SKIPPED = ("jobs", "job_journal")


@contextmanager
def journal(job_id: int) -> Iterator[None]:
    """Record every row the session inserts, changes or deletes in the block, as JobJournal rows of the same transaction."""
    session: Session = db.session()
    entries: list[tuple[str, str, Any, dict[str, Any] | None]] = []
    priors: dict[int, dict[str, Any]] = {}

    def before_flush(session: Session, _context: Any, _instances: Any) -> None:
        for obj in (*session.dirty, *session.deleted):
            skipped = inspect(obj).mapper.local_table.name in SKIPPED or id(obj) in priors
            if not skipped and (obj in session.deleted or session.is_modified(obj, include_collections=False)):
                prior = _stored_row(session, obj)
                if prior is not None:
                    priors[id(obj)] = prior

    def after_flush(session: Session, _context: Any) -> None:
        order = _table_order()
        new = [obj for obj in session.new if inspect(obj).mapper.local_table.name not in SKIPPED]
        for obj in sorted(new, key=lambda o: order.get(inspect(o).mapper.local_table.name, 0)):  # parents first
            entries.append(("insert", inspect(obj).mapper.local_table.name, _pk(obj), None))
        for obj in session.dirty:
            if id(obj) in priors and obj not in session.deleted:
                mapper = inspect(obj).mapper
                entries.append(("update", mapper.local_table.name, _pk(obj), priors.pop(id(obj))))
        for obj in session.deleted:
            mapper = inspect(obj).mapper
            if mapper.local_table.name not in SKIPPED:
                prior = priors.pop(id(obj), None)
                if prior is not None:
                    entries.append(("delete", mapper.local_table.name, _pk(obj), prior))

    event.listen(session, "before_flush", before_flush)
    event.listen(session, "after_flush", after_flush)
    try:
        yield
        session.flush()
    except BaseException:
        event.remove(session, "before_flush", before_flush)
        event.remove(session, "after_flush", after_flush)
        raise
    event.remove(session, "before_flush", before_flush)
    event.remove(session, "after_flush", after_flush)
    if entries:
        session.execute(
            JobJournal.__table__.insert(),
            [{"job_id": job_id, "op": op, "table_name": t, "pk": pk, "prior": prior} for op, t, pk, prior in entries],
        )


def _table_order() -> dict[str, int]:
    return {table.name: index for index, table in enumerate(db.metadata.sorted_tables)}


def _pk(obj: Any) -> list[Any]:
    state = inspect(obj)
    key = state.identity if state.identity is not None else state.mapper.primary_key_from_instance(obj)
    return [_plain(v) for v in key]


def _model(table_name: str) -> Any:
    for mapper in db.Model.registry.mappers:  # type: ignore[attr-defined]
        if mapper.local_table.name == table_name:
            return mapper.class_
    raise KeyError(table_name)


def undo(job_id: int, token: str, *, batch: int = 200) -> int:
    """Undo the job's journal newest-first (children before parents), in short transactions; return the rows undone.

    Each row goes through the ORM, one flush at a time, so the rooms' flush listeners (the enrolment
    rows) follow; rows others added that point at a row being removed go as ON DELETE would have them.
    """
    undone = 0
    while True:
        entries = db.session.execute(
            select(JobJournal.id, JobJournal.op, JobJournal.table_name, JobJournal.pk, JobJournal.prior)
            .where(JobJournal.job_id == job_id)
            .order_by(JobJournal.id.desc())
            .limit(batch)
        ).all()
        if not entries:
            return undone
        began = time.perf_counter()
        budget = float(current_app.config.get("JOBS_CHUNK_SECONDS", 0.25))
        done_ids: list[int] = []
        for entry_id, op, table_name, pk, prior in entries:
            if done_ids and time.perf_counter() - began > budget:
                break  # a short transaction: commit what is undone, then go on
            done_ids.append(entry_id)
            db.session.expunge_all()  # nothing stale in the identity map beside the core statements
            model = _model(table_name)
            key = tuple(_unplain(v) for v in pk)
            key_arg = key[0] if len(key) == 1 else key
            obj = db.session.get(model, key_arg)
            if op == "insert" and obj is not None:
                _delete_dependents(model, key)
                db.session.delete(obj)
            elif op == "update" and obj is not None:
                for name, value in (prior or {}).items():
                    setattr(obj, name, _unplain(value))
            elif op == "delete" and obj is None:
                db.session.add(model(**{k: _unplain(v) for k, v in (prior or {}).items()}))
            db.session.flush()
        db.session.execute(delete(JobJournal).where(JobJournal.id.in_(done_ids)))
        result = db.session.execute(_owned(job_id, token).values(heartbeat_at=utcnow()))
        if not result.rowcount:  # type: ignore[attr-defined]
            db.session.rollback()
            raise Lost()
        db.session.commit()
        undone += len(done_ids)


def _delete_dependents(model: Any, key: tuple[Any, ...]) -> None:
    """Do what ON DELETE CASCADE / SET NULL would (SQLite does not enforce foreign keys here)."""
    table = model.__table__
    if len(table.primary_key.columns) != 1:
        return
    pk_column = next(iter(table.primary_key.columns))
    for other in db.metadata.sorted_tables:
        for fk in other.foreign_keys:
            if fk.column is not pk_column or other.name in SKIPPED:
                continue
            if fk.ondelete == "CASCADE":
                db.session.execute(delete(other).where(fk.parent == key[0]))
            elif fk.ondelete == "SET NULL":
                db.session.execute(update(other).where(fk.parent == key[0]).values({fk.parent.name: None}))


# Recovery and housekeeping ------------------------------------------------------------------------


def recover() -> list[int]:
    """Queue again the jobs whose run went silent (a killed worker, a lost message); return their ids."""
    cutoff = _stale_before()
    stale = db.session.scalars(
        select(Job.id).where(Job.state.in_((JobState.QUEUED, JobState.RUNNING)), Job.heartbeat_at < cutoff)
    ).all()
    recovered = []
    for job_id in stale:
        # Back to the queue (a live but slow run then finds it is no longer its own and stops), and a fresh
        # heartbeat, so the next look waits another period; the claim decides which message runs it.
        result = db.session.execute(
            update(Job)
            .where(Job.id == job_id, Job.state.in_((JobState.QUEUED, JobState.RUNNING)), Job.heartbeat_at < cutoff)
            .values(state=JobState.QUEUED, heartbeat_at=utcnow(), worker=None)
        )
        db.session.commit()
        if result.rowcount:  # type: ignore[attr-defined]
            log.warning("job queued again after a silent run", extra={"job_id": job_id})
            enqueue(job_id)
            recovered.append(job_id)
    return recovered


def purge(before: datetime) -> int:
    """Delete the result files of jobs finished before ``before``; return how many."""
    count = 0
    for job in db.session.scalars(select(Job).where(Job.finished_at < before, Job.result_path.is_not(None))):
        path = result_file(job)
        if path is not None:
            path.unlink(missing_ok=True)
        job.result_path = None
        count += 1
    db.session.commit()
    return count


def visible_to(job: Job, user: Any) -> bool:
    """The starter sees their job; a job started by the platform is seen by its audience role."""
    if job.started_by_id is not None:
        return bool(job.started_by_id == user.id)
    return bool(job.audience_role and user.has_role(job.audience_role))
