"""When a job ends, its starter gets a notification that links to the job page."""

from __future__ import annotations

from typing import Any

from flask_babel import force_locale

from app.core import jobs, signals
from app.core.jobs import Job, JobState
from app.core.urls import path_for
from app.extensions import db
from app.jobs import notices
from app.notifications.services import notify


def on_job_finished(job_id: Any, *, state: str, started_by_id: int | None, **_: Any) -> None:
    """Notify the person who started the job (a scheduled job has nobody to tell)."""
    if started_by_id is None:
        return
    job = db.session.get(Job, job_id)
    if job is None:
        return
    kind = notices.DONE if state == JobState.DONE else notices.FAILED
    title = jobs.KINDS[job.kind].title if job.kind in jobs.KINDS else job.kind
    with force_locale(job.locale):
        notify(started_by_id, kind, {"title": str(title)}, path_for("jobs.job", job_id=str(job_id)))
    db.session.commit()


def connect() -> None:
    """Connect the listener (idempotent)."""
    signals.job_finished.connect(on_job_finished)
