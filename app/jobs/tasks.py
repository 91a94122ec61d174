"""The kinds of background job, each a handler over the rooms' own functions, and the schedule that replaces cron.

| kind                     | started by                       | does                                              |
|--------------------------|----------------------------------|---------------------------------------------------|
| `staff.import`           | HR confirming an import          | accounts' importer, in journaled chunks           |
| `reports.export`         | HR or a manager, above the threshold | the completion export (CSV/XLSX) to a file    |
| `certificates.archive`   | HR or an admin                   | the register's filtered certificates as one ZIP   |
| `completion.recompute`   | a content load that changed something | recompute everyone's completion              |
| `completion.reminders`   | the schedule (hourly)            | due-soon/overdue reminders, digests, expiry       |

Each is idempotent: a second run of the same job (a worker killed and the job taken over) changes
nothing twice — the import skips the rows already written (and its chunks undo as one), reminders are
recorded in ReminderLog before they are sent, an export rewrites its file.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from huey import crontab
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.accounts import importer, invitations, services, staff
from app.accounts.models import User
from app.completion import digests, expiry, reminders
from app.completion import services as completion_services
from app.core import jobs
from app.core.jobs import JobContext, JobFailed, JobJournal
from app.core.time import utcnow
from app.core.urls import path_for
from app.extensions import db
from app.reports import exports, queries, register
from app.reports.certificates import write_archive

log = logging.getLogger(__name__)

IMPORT = "staff.import"
EXPORT = "reports.export"
CERTIFICATES = "certificates.archive"
RECOMPUTE = "completion.recompute"
SCHEDULE = "completion.reminders"
SHOWN = 1000  # new accounts and role changes listed on an import's job page (the sheet has them all)


# Staff import ---------------------------------------------------------------------------------------


def _journaled_ids(job_id: int, table: str, op: str = "insert") -> set[int]:
    """The ids of rows of ``table`` this job's earlier chunks inserted (or changed)."""
    rows = db.session.scalars(
        select(JobJournal.pk).where(JobJournal.job_id == job_id, JobJournal.table_name == table, JobJournal.op == op)
    )
    return {int(pk[0]) for pk in rows}


@jobs.register(IMPORT, _l("导入员工"))
def staff_import(ctx: JobContext) -> None:
    """Apply a previewed staff file in chunks of short transactions; all of it, or (undone) none of it."""
    actor = db.session.get(User, ctx.started_by_id) if ctx.started_by_id else None
    path = staff.upload_path(str(ctx.params.get("token", "")))
    if actor is None or path is None:
        raise JobFailed(str(_l("找不到待导入的文件，请重新上传。")))
    data = path.read_bytes()
    checked = importer.preview(data, actor=actor)  # again: the data may have changed since the preview
    if not checked.ok:
        raise JobFailed(str(_l("文件中有 %(n)d 行存在问题，未导入任何数据。", n=len(checked.bad_rows))))
    rows = checked.rows
    ctx.progress(0, len(rows))
    invite = bool(ctx.params.get("invite"))
    applied = importer.Applied()
    earlier = _journaled_ids(ctx.job_id, "users")  # accounts a killed run created: their passwords were lost
    try:
        for user_id in sorted(earlier):
            user = db.session.get(User, user_id)
            if user is not None:
                importer.renew_account(user, actor=actor, invite=invite, into=applied)
        if earlier:
            db.session.commit()  # the new passwords replace ones nobody has seen
        ctx.chunks(rows, lambda chunk: importer.apply_rows(chunk, actor=actor, invite=invite, into=applied))
    except services.AccountError as error:  # the data changed since the check: undone by the engine
        raise JobFailed(str(_l("导入失败，未写入任何数据：%(error)s", error=error))) from error
    except IntegrityError as error:  # someone created the same people meanwhile
        raise JobFailed(str(_l("有人同时导入了相同的人员，未写入任何数据，请重新上传预览。"))) from error
    created = _journaled_ids(ctx.job_id, "users")
    changed = _journaled_ids(ctx.job_id, "users", "update") - created
    counts = {
        "created": len(created),
        "updated": len(changed),
        "unchanged": len(rows) - len(created) - len(changed),
        **applied.status_changes,
        "invited": len(applied.issued),
    }
    db.session.commit()  # nothing pending: the sheet is built outside any write transaction
    services.record_as(actor, "staff.imported", None, counts)
    result = importer.ImportResult(
        applied.created,
        counts["updated"],
        counts["unchanged"],
        applied.role_changes,
        invited=invite,
        **applied.status_changes,
    )
    sent = invitations.send(applied.issued, actor=actor)  # once for all of them
    emailed = {i.username for i in applied.issued if i.user_id in sent}
    for account in result.created:  # links that went out by e-mail are not repeated on the sheet
        account.emailed = account.username in emailed
    sheet = importer.store_credentials(result, owner=actor) if result.created else None  # commits (with the audit row)
    db.session.commit()
    ctx.summary = {
        **counts,
        "invite": invite,
        "sheet": sheet.id if sheet else None,
        "accounts": [[a.employee_no, a.name, a.username] for a in applied.created[:SHOWN]],
        "role_changes": [
            [c.employee_no, c.name, importer.role_changes_text(c.added, c.removed)]
            for c in applied.role_changes[:SHOWN]
        ],
    }
    path.unlink(missing_ok=True)
    log.info("staff imported", extra={"actor_id": actor.id, "job_id": ctx.job_id, "counts": counts})


# Exports ----------------------------------------------------------------------------------------------


def export_rows(filters: queries.Filters, user: User) -> int:
    """How many rows the completion export of ``filters`` holds for ``user`` (HR: everyone; a manager: theirs)."""
    scope = None if user.has_role("hr") else queries.managed_people(user.id)
    query = queries.rows_query(filters, scope).order_by(None)
    return int(db.session.scalar(select(func.count()).select_from(query.subquery())) or 0)


class _Counted:
    """Iterate rows, reporting progress every few hundred (each report its own short transaction)."""

    def __init__(self, rows: Any, ctx: JobContext, total: int) -> None:
        self.rows, self.ctx, self.total = rows, ctx, total

    def __iter__(self) -> Any:
        for number, row in enumerate(self.rows, start=1):
            if number % 1000 == 0:
                self.ctx.progress(number, self.total)
            yield row


@jobs.register(EXPORT, _l("导出完成情况"))
def export(ctx: JobContext) -> None:
    """Write the filtered completion export (CSV or XLSX) to the job's result file."""
    user = db.session.get(User, ctx.started_by_id) if ctx.started_by_id else None
    if user is None or not user.has_role("hr", "manager"):
        raise JobFailed(str(_l("你没有权限导出这份报表。")))
    fmt = "xlsx" if ctx.params.get("format") == "xlsx" else "csv"
    filters = queries.Filters.from_args(ctx.params.get("args") or {})
    total = export_rows(filters, user)
    ctx.progress(0, total)
    scope = None if user.has_role("hr") else queries.managed_people(user.id)
    catalogue = queries.catalogue()
    # Read first (one query, batched), then write: a progress report commits, which would end a streaming cursor.
    source = list(queries.iter_rows(filters, scope))
    target = ctx.result_file(f"completion-{utcnow():%Y%m%d}.{fmt}")
    partial = target.with_suffix(target.suffix + ".part")
    with partial.open("wb") as handle:
        if fmt == "xlsx":
            exports.write_completion_xlsx(_Counted(source, ctx, total), handle, catalogue)
        else:
            exports.write_completion_csv(_Counted(source, ctx, total), handle, catalogue)
    partial.replace(target)  # whole, or not there
    ctx.summary = {"rows": total, "format": fmt}


@jobs.register(CERTIFICATES, _l("打包证书 PDF"))
def certificates(ctx: JobContext) -> None:
    """The register's filtered certificates as one ZIP archive of PDFs."""
    user = db.session.get(User, ctx.started_by_id) if ctx.started_by_id else None
    if user is None or not user.has_role(*register.REGISTER_ROLES):
        raise JobFailed(str(_l("你没有权限下载这些证书。")))
    filters = register.Filters.from_args(ctx.params.get("args") or {})
    certs = [cert for cert, _department in db.session.execute(register.register_query(filters, register.today()))]
    ctx.progress(0, len(certs))
    base = current_app.config.get("PUBLIC_URL", "").rstrip("/")
    target = ctx.result_file(f"certificates-{utcnow():%Y%m%d}.zip")
    partial = target.with_suffix(".zip.part")
    with partial.open("wb") as handle:
        count = write_archive(certs, lambda code: base + path_for("reports.verify", code=code), handle)
    partial.replace(target)
    ctx.summary = {"certificates": count}


# Completion -------------------------------------------------------------------------------------------


@jobs.register(RECOMPUTE, _l("重新计算完成情况"))
def recompute(ctx: JobContext) -> None:
    """Recompute everyone's completion after a content load (each person in their own short transaction)."""
    people = completion_services.recompute_all()
    ctx.summary = {"people": people}


@jobs.register(SCHEDULE, _l("定时提醒与摘要"))
def scheduled(ctx: JobContext) -> None:
    """Reminders, the weekly digests, certificate expiry and its reminders for one day (each idempotent)."""
    today = date.fromisoformat(ctx.params["day"])
    ctx.progress(0, 4)
    sent = reminders.send(today)
    ctx.progress(1, 4)
    digest = digests.send_digests(today)
    ctx.progress(2, 4)
    expired = completion_services.expire_certificates(today)
    ctx.progress(3, 4)
    expiring = expiry.expiry_reminders(today)
    ctx.summary = {
        "reminders": sent.notifications,
        "digests": getattr(digest, "notifications", 0),
        "expired": expired,
        "expiry_reminders": getattr(expiring, "notifications", 0),
    }


def start_scheduled(today: date | None = None, hour: int | None = None) -> jobs.Job:
    """The scheduled job of this hour (one per hour, whoever asks: every worker's scheduler may)."""
    now = utcnow()
    today = today or date.today()
    hour = now.hour if hour is None else hour
    key = f"{SCHEDULE}:{today.isoformat()}T{hour:02d}"
    return jobs.submit(SCHEDULE, key=key, params={"day": today.isoformat()}, audience_role="hr")


@jobs.huey.periodic_task(crontab(minute="5"))
def hourly() -> None:
    """Every hour at :05: the reminders job of the hour (no cron entry needed)."""
    app = jobs._app()
    with app.app_context():
        start_scheduled()


@jobs.huey.periodic_task(crontab(minute="*/1"))
def watchdog() -> None:
    """Every minute: queue again the jobs of workers that died, and drop old result files."""
    app = jobs._app()
    with app.app_context():
        jobs.recover()
        jobs.purge(utcnow() - timedelta(days=int(app.config.get("JOBS_KEEP_DAYS", 7))))
