"""HR's staff import pages (under /hr): import staff from CSV/XLSX (preview, then all-or-nothing).

The uploaded file waits between preview and confirmation in UPLOAD_DIR/staff-imports under a random
name kept in the session; confirming checks it again, applies it and deletes it. One-time passwords
of new accounts are shown once, on the result page, and never stored in clear.
"""

from __future__ import annotations

import base64
import csv
import io
import secrets
import time
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts import importer
from app.accounts.forms import ROLE_LABELS, ConfirmImportForm, ImportForm
from app.core.decorators import role_required
from app.core.domain import http_status

bp = Blueprint("staff", __name__, url_prefix="/hr")

SESSION_KEY = "staff_import"
KEEP_SECONDS = 24 * 3600


def _import_dir() -> Path:
    folder = Path(current_app.config["UPLOAD_DIR"]) / "staff-imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _stored_path() -> Path | None:
    token = session.get(SESSION_KEY)
    if not isinstance(token, str) or not token.isalnum():
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
    """Apply the previewed file in one transaction and show the one-time passwords once."""
    if not ConfirmImportForm().validate_on_submit():
        abort(400)
    path = _stored_path()
    if path is None:
        flash(_("找不到待导入的文件，请重新上传。"), "warning")
        return redirect(url_for("staff.staff_import"))
    data = path.read_bytes()
    actor = current_user._get_current_object()  # the importer grants only the roles this user may grant
    try:
        result = importer.apply(data, actor=actor)
    except importer.StaffFileError as error:
        flash(str(error), "danger")
        page = render_template(
            "hr/import_preview.html",
            preview=importer.preview(data, actor=actor),
            form=ConfirmImportForm(),
            upload=ImportForm(),
            role_labels=ROLE_LABELS,
            filename="",
        )
        return page, http_status(error)
    path.unlink(missing_ok=True)
    session.pop(SESSION_KEY, None)
    return render_template(
        "hr/import_result.html",
        result=result,
        passwords_csv=_passwords_csv(result),
        role_changes_text=importer.role_changes_text,
    )


def _passwords_csv(result: importer.ImportResult) -> str:
    """A data: URL of the new accounts' one-time passwords as CSV (UTF-8 with BOM), for download."""
    if not result.created:
        return ""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_("工号"), _("姓名"), _("用户名"), _("初始密码")])
    for account in result.created:
        writer.writerow([account.employee_no, account.name, account.username, account.password])
    encoded = base64.b64encode(("\ufeff" + buffer.getvalue()).encode()).decode()
    return "data:text/csv;charset=utf-8;base64," + encoded


@bp.get("/import/sample.csv")
@role_required("hr")
def staff_import_sample():
    """A sample file with the expected columns."""
    return current_app.response_class(
        "\ufeff" + importer.sample_csv(),
        mimetype="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="staff-sample.csv"'},
    )
