"""HR's staff import pages (under /hr): import staff from CSV/XLSX (preview, then all-or-nothing).

The uploaded file waits between preview and confirmation in UPLOAD_DIR/staff-imports under a random
name kept in the session; confirming checks it again, applies it and deletes it. The one-time passwords
(or invitation links) of new accounts are never shown on a page nor stored in clear: the result page
offers them as one XLSX download, once, to the person who ran the import (``credentials.py``).
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts import credentials, importer
from app.accounts import people as people_list
from app.accounts.forms import ROLE_LABELS, ConfirmImportForm, ImportForm
from app.accounts.routes import people_deactivate, people_export, people_page, person_invite
from app.core import jobs
from app.core.decorators import role_required
from app.core.domain import DomainError, http_status
from app.core.forms import EmptyForm
from app.core.pagination import paginate

bp = Blueprint("staff", __name__, url_prefix="/hr")

SESSION_KEY = "staff_import"
KEEP_SECONDS = 24 * 3600


def _import_dir() -> Path:
    folder = Path(current_app.config["UPLOAD_DIR"]) / "staff-imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _stored_path() -> Path | None:
    token = session.get(SESSION_KEY)
    return upload_path(token) if isinstance(token, str) else None


def upload_path(token: str) -> Path | None:
    """The stored upload named by ``token`` (the import job reads it), or None."""
    if not token or not token.isalnum():
        return None
    path = _import_dir() / f"{token}.upload"
    return path if path.exists() else None


def _store(data: bytes) -> None:
    """Keep the uploaded bytes for the confirmation; drop this session's previous file and stale ones."""
    old = _stored_path()
    if old:
        old.unlink(missing_ok=True)
    cutoff = time.time() - KEEP_SECONDS
    for path in _import_dir().glob("*.upload"):
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
    token = secrets.token_hex(16)
    (_import_dir() / f"{token}.upload").write_bytes(data)
    session[SESSION_KEY] = token


@bp.route("/import", methods=["GET", "POST"])
@role_required("hr")
def staff_import():
    """Upload a staff file and preview every row's problems and changes (nothing is written)."""
    form = ImportForm()
    if form.validate_on_submit():
        data = form.file.data.read()
        try:
            result = importer.preview(data, actor=current_user._get_current_object())
        except importer.StaffFileError as error:  # unreadable, too big once unpacked, ...: refused, nothing kept
            flash(str(error), "danger")
            return render_template("hr/import.html", form=form, columns=importer.COLUMNS), http_status(error)
        else:
            _store(data)
            page = render_template(
                "hr/import_preview.html",
                preview=result,
                form=ConfirmImportForm(),
                upload=ImportForm(),
                role_labels=ROLE_LABELS,
                filename=form.file.data.filename,
            )
            return page, 200 if result.ok else 422  # rows with problems: the file cannot be imported as it is
    return render_template("hr/import.html", form=form, columns=importer.COLUMNS)


@bp.post("/import/confirm")
@role_required("hr")
def staff_import_confirm():
    """Apply the previewed file in one transaction; offer the new accounts' passwords or links as one download."""
    confirm = ConfirmImportForm()
    if not confirm.validate_on_submit():
        abort(400)
    path = _stored_path()
    if path is None:
        flash(_("找不到待导入的文件，请重新上传。"), "warning")
        return redirect(url_for("staff.staff_import"))
    # A background job applies it in short transactions (app/jobs/tasks.py): the job page shows its progress,
    # then the counts and the one-time download. The same upload confirmed twice is one job.
    job = jobs.submit(
        "staff.import",
        key=f"staff.import:{path.stem}",
        params={"token": path.stem, "invite": bool(confirm.invite.data)},
        started_by_id=current_user.id,
        locale=str(get_locale() or "zh_CN"),
    )
    session.pop(SESSION_KEY, None)
    return redirect(url_for("jobs.job", job_id=job.id), code=303)


@bp.post("/import/credentials/<sheet_id>")
@role_required("hr")
def staff_import_credentials(sheet_id: str):
    """Download an import's initial passwords (or invitation links) as XLSX: once, only by who ran the import."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        data = credentials.take(sheet_id, actor=current_user._get_current_object())
    except credentials.SheetGone as error:
        status = 404 if error.state is credentials.SheetState.UNKNOWN else 410
        page = render_template("hr/import_credentials_gone.html", message=str(error), downloaded_at=error.downloaded_at)
        return page, status
    except DomainError as error:  # someone else's sheet
        page = render_template("hr/import_credentials_gone.html", message=str(error), downloaded_at=None)
        return page, http_status(error)
    filename = "initial-passwords.xlsx"
    return current_app.response_class(
        data,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


@bp.get("/import/sample.csv")
@role_required("hr")
def staff_import_sample():
    """A sample file with the expected columns."""
    return current_app.response_class(
        "\ufeff" + importer.sample_csv(),
        mimetype="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="staff-sample.csv"'},
    )


# --- HR's people list: the admins' user list, for the people HR manages ------------------------------

HR_PEOPLE = {"list": "staff.people", "export": "staff.people_export_file"}
HR_PEOPLE |= {"deactivate": "staff.people_deactivate_chosen", "invite": "staff.people_invite_one"}


@bp.get("/people")
@role_required("hr")
def people():
    """HR's list of everybody, filtered and paginated; bulk deactivation and invitations for trainees and instructors."""
    wanted = people_list.PeopleFilter.from_args(request.args)
    page = paginate(people_list.people_query(wanted))
    return people_page(page, wanted, HR_PEOPLE, can_edit=current_user.has_role("admin"))


@bp.get("/people/export.<fmt>")
@role_required("hr")
def people_export_file(fmt: str):
    """Export the filtered list (CSV with BOM, or XLSX)."""
    return people_export(fmt)


@bp.post("/people/deactivate")
@role_required("hr")
def people_deactivate_chosen():
    """Deactivate the ticked leavers (after a confirmation page); only people whose roles HR could grant."""
    return people_deactivate(HR_PEOPLE)


@bp.post("/people/<int:user_id>/invite")
@role_required("hr")
def people_invite_one(user_id: int):
    """Send a person an invitation link; only people whose roles HR could grant."""
    return person_invite(user_id, HR_PEOPLE)
