"""Sign-in, password and administration pages for accounts."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import select

from app.accounts import auth, invitations, people, services
from app.accounts.forms import (
    ROLE_LABELS,
    AcceptInvitationForm,
    CohortForm,
    LoginForm,
    MemberForm,
    NameForm,
    PasswordForm,
    ThrottleClearForm,
    UserForm,
)
from app.accounts.models import Cohort, CohortMember, Department, User
from app.accounts.panels import cohort_panels
from app.core.audit import ACTIONS, AuditEvent
from app.core.decorators import role_required
from app.core.forms import EmptyForm, flash_errors, keep_errors
from app.core.offline import CLEAR_SITE_DATA
from app.core.pagination import paginate, parse_ids
from app.core.routes import safe_next
from app.core.time import utcnow
from app.extensions import db

bp = Blueprint("accounts", __name__)
admin_bp = Blueprint("admin", __name__, url_prefix="/admin")


def client_address() -> str:
    """The client's address (set ProxyFix in front of a proxy)."""
    return request.remote_addr or "unknown"


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in with throttling of repeated failures."""
    if current_user.is_authenticated:
        return redirect(url_for("core.index"))
    form = LoginForm()
    headers: dict[str, str] = {}
    if form.validate_on_submit():
        user, error, wait = auth.authenticate(
            form.username.data, form.password.data, client_address(), interactive=True
        )
        if user:
            auth.start_session(user, client_address())
            if user.must_change_password:  # a password someone else chose: nothing else until it is replaced
                return redirect(url_for("accounts.change_password"))
            return redirect(safe_next(request.args.get("next"), url_for("core.index")))
        flash(error, "danger")
        if wait:
            headers["Retry-After"] = str(wait)
    return render_template("accounts/login.html", form=form), 429 if headers else 200, headers


@bp.post("/logout")
@login_required
def logout():
    """Sign out: revoke the server-side session and clear the cookie."""
    auth.end_session()
    flash(_("你已退出登录。"), "info")
    response = redirect(url_for("accounts.login"))
    response.headers["Clear-Site-Data"] = CLEAR_SITE_DATA  # a shared device keeps no pages kept for offline reading
    return response


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change one's own password; other sessions end."""
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current.data, form.new.data)
        except services.AccountError as error:
            getattr(form, error.field or "new").errors.append(str(error))
        else:
            auth.start_session(current_user._get_current_object(), client_address())
            flash(_("密码已修改。"), "success")
            return redirect(url_for("core.index"))
    return render_template("accounts/password.html", form=form, must_change=current_user.must_change_password)


@bp.route("/invite/<token>", methods=["GET", "POST"])
def invitation(token: str):
    """An invitation link: choose one's own password (the policy applies), then be signed in."""
    found, state = invitations.lookup(token)
    if found is None or state is not invitations.LinkState.OPEN:
        status = 404 if state is invitations.LinkState.UNKNOWN else 410
        message = invitations.GONE_MESSAGES[state]
        return render_template("accounts/invitation_gone.html", message=message, state=state), status
    form = AcceptInvitationForm()
    if form.validate_on_submit():
        try:
            user = invitations.accept(token, form.password.data or "")
        except invitations.InvitationGone as error:
            return render_template("accounts/invitation_gone.html", message=str(error), state=error.state), 410
        except services.AccountError as error:
            form.password.errors = [*form.password.errors, str(error)]
        else:
            if current_user.is_authenticated:
                auth.end_session()  # someone else signed in on this browser: sign them out first
            auth.start_session(user, client_address())
            flash(_("密码已设置，欢迎使用客服学院。"), "success")
            return redirect(url_for("core.index"))
    page = render_template("accounts/invitation.html", form=form, person=found.user, expires_at=found.expires_at)
    return page, 422 if any(f.errors for f in form) else 200


# --- administration ------------------------------------------------------------------------


def _field_or_flash(form: UserForm, error: services.AccountError) -> None:
    """Show a service's refusal under the field it is about (marked invalid), or as a message."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, str(error)]
    else:
        flash(str(error), "danger")


def _role_choices(form: UserForm) -> None:
    """Offer only the roles the signed-in user may grant (services.grantable_roles, the one rule for every path)."""
    allowed = services.grantable_roles(current_user)
    form.roles.choices = [(key, label) for key, label in ROLE_LABELS.items() if key in allowed]


def _department_choices() -> list[tuple[int, str]]:
    rows = db.session.scalars(select(Department).order_by(Department.name)).all()
    return [(0, _("（无）"))] + [(d.id, d.name) for d in rows]


# The people list is one page for two audiences: admins here (/admin/users, with the edit pages) and HR
# on their staff page (/hr/people in staff.py). Both show the same filters and exports; bulk deactivation
# and invitations reach only the people whose roles the signed-in person could grant (manage_problem).
ADMIN_PEOPLE = {"list": "admin.users", "export": "admin.users_export", "deactivate": "admin.users_deactivate"}
ADMIN_PEOPLE |= {"invite": "admin.user_invite"}


def people_page(page: Pagination, wanted: people.PeopleFilter, endpoints: dict[str, str], *, can_edit: bool):
    """Render one page of the filtered people list with its bulk and export actions."""
    actor = current_user._get_current_object()
    return render_template(
        "admin/users.html",
        page=page,
        wanted=wanted,
        q=wanted.q,
        departments=db.session.scalars(select(Department).order_by(Department.name)).all(),
        roles=ROLE_LABELS,
        statuses=people.STATUSES,
        manageable=people.manageable_ids(actor, page.items),
        endpoints=endpoints,
        can_edit=can_edit,
        form=EmptyForm(),
        role_labels=ROLE_LABELS,
    )


def people_export(fmt: str):
    """Every person the filters match, as CSV (UTF-8 with BOM) or XLSX."""
    if fmt not in ("csv", "xlsx"):
        abort(404)
    users = db.session.scalars(people.people_query(people.PeopleFilter.from_args(request.args))).all()
    if fmt == "csv":
        data, mimetype = people.export_csv(users), "text/csv; charset=utf-8"
    else:
        data, mimetype = people.export_xlsx(users), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    stamp = utcnow().strftime("%Y%m%d")
    disposition = f'attachment; filename="people-{stamp}.{fmt}"'
    return current_app.response_class(data, mimetype=mimetype, headers={"Content-Disposition": disposition})


def people_deactivate(endpoints: dict[str, str]):
    """Bulk deactivation: the first POST shows who would be deactivated, the confirmed one does it."""
    back = redirect(people.list_url(endpoints["list"], people.PeopleFilter.from_args(request.form)))
    form = EmptyForm()
    if not form.validate_on_submit():
        flash(_("请求已过期，请重试。"), "danger")
        return back
    ids = parse_ids(request.form.getlist("user_ids"))[: people.MAX_BULK + 1]
    if not ids:
        flash(_("请先勾选要停用的人员。"), "warning")
        return back
    if len(ids) > people.MAX_BULK:
        flash(_("一次最多停用 %(n)d 人。", n=people.MAX_BULK), "danger")
        return back
    chosen = db.session.scalars(select(User).where(User.id.in_(ids)).order_by(User.username)).all()
    if len(chosen) != len(set(ids)):
        flash(_("有些人员不存在，未停用任何人。"), "danger")
        return back
    actor = current_user._get_current_object()
    if request.form.get("confirmed") != "1":
        problems = {user.id: services.manage_problem(actor, user) for user in chosen}
        page = render_template(
            "admin/users_deactivate.html",
            chosen=chosen,
            problems=problems,
            endpoints=endpoints,
            wanted=people.PeopleFilter.from_args(request.form),
            form=form,
        )
        return page, 403 if any(problems.values()) else 200
    try:
        count = services.deactivate_users(list(chosen), actor=actor)
    except services.AccountError as error:
        db.session.rollback()
        flash(str(error), "danger")
    else:
        flash(_("已停用 %(n)d 人，他们的登录已结束。", n=count), "success")
    return back


def person_invite(user_id: int, endpoints: dict[str, str]):
    """Make an invitation link for one person: e-mail it when possible, else show it once to the sender."""
    user = db.get_or_404(User, user_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    actor = current_user._get_current_object()
    try:
        issued = invitations.issue(user, actor=actor)
    except services.AccountError as error:
        db.session.rollback()
        flash(str(error), "danger")
        return redirect(url_for(endpoints["list"]), 303)
    emailed = user.id in invitations.send([issued], actor=actor)
    page = render_template("admin/users_invited.html", issued=issued, emailed=emailed, endpoints=endpoints)
    return page, 200, {"Cache-Control": "no-store"}


@admin_bp.get("/users")
@role_required("admin")
def users():
    """List users with filters (text, department, role, status), pages, bulk deactivation and exports."""
    wanted = people.PeopleFilter.from_args(request.args)
    return people_page(paginate(people.people_query(wanted)), wanted, ADMIN_PEOPLE, can_edit=True)


@admin_bp.get("/users/export.<fmt>")
@role_required("admin")
def users_export(fmt: str):
    """Export the filtered user list (CSV with BOM, or XLSX)."""
    return people_export(fmt)


@admin_bp.post("/users/deactivate")
@role_required("admin")
def users_deactivate():
    """Deactivate the ticked people (after a confirmation page)."""
    return people_deactivate(ADMIN_PEOPLE)


@admin_bp.post("/users/<int:user_id>/invite")
@role_required("admin")
def user_invite(user_id: int):
    """Send a person an invitation link to choose their own password."""
    return person_invite(user_id, ADMIN_PEOPLE)


@admin_bp.route("/users/new", methods=["GET", "POST"])
@role_required("admin")
def user_new():
    """Create a user."""
    form = UserForm()
    form.department_id.choices = _department_choices()
    _role_choices(form)
    if request.method == "GET":
        form.roles.data = ["trainee"]
    if form.validate_on_submit():
        if not form.password.data:
            form.password.errors.append(_("请设置初始密码。"))
        else:
            try:
                dept = db.session.get(Department, form.department_id.data) if form.department_id.data else None
                user = services.create_user(
                    form.username.data,
                    form.name.data,
                    form.password.data,
                    form.roles.data,
                    department=dept.name if dept else None,
                    email=form.email.data,
                    employee_no=form.employee_no.data,
                    position=form.position.data,
                    must_change_password=True,  # chosen by the admin: the person sets their own at first sign-in
                    actor=current_user._get_current_object(),
                )
            except services.AccountError as error:
                db.session.rollback()
                _field_or_flash(form, error)
            else:
                flash(_("已创建用户 %(name)s。", name=user.name), "success")
                return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=None), 422 if any(f.errors for f in form) else 200


@admin_bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@role_required("admin")
def user_edit(user_id: int):
    """Edit a user's profile, roles and status."""
    user = db.get_or_404(User, user_id)
    form = UserForm(obj=user)
    form.username.data = user.username
    form.department_id.choices = _department_choices()
    _role_choices(form)
    if request.method == "GET":
        form.roles.data = sorted(user.roles)
        form.department_id.data = user.department_id or 0
    if form.validate_on_submit():
        try:
            if form.password.data:  # refuse a weak password before anything is saved
                services.check_new_password(user, form.password.data)
            services.update_user(
                user,
                name=form.name.data,
                email=form.email.data,
                employee_no=form.employee_no.data,
                position=form.position.data,
                department_id=form.department_id.data or None,
                roles=form.roles.data,
                active=form.active.data,
                actor=current_user._get_current_object(),
            )
            if form.password.data:  # for someone else it is one-time: they set their own at their next sign-in
                services.set_password(user, form.password.data, one_time=user.id != current_user.id)
                if user.id == current_user.id:  # one's own sessions end; keep this one signed in
                    auth.start_session(user, client_address())
        except services.AccountError as error:
            db.session.rollback()
            _field_or_flash(form, error)
        else:
            flash(_("已保存。"), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=user), 422 if any(f.errors for f in form) else 200


@admin_bp.post("/users/<int:user_id>/deactivate")
@role_required("admin")
def user_deactivate(user_id: int):
    """Deactivate a user."""
    user = db.get_or_404(User, user_id)
    if EmptyForm().validate_on_submit():
        try:
            services.deactivate_user(user, actor=current_user._get_current_object())
        except services.AccountError as error:
            flash(str(error), "danger")
        else:
            flash(_("已停用 %(name)s。", name=user.name), "success")
    return redirect(url_for("admin.users"))


@admin_bp.route("/departments", methods=["GET", "POST"])
@role_required("admin")
def departments():
    """List and create departments."""
    form = NameForm()
    if form.validate_on_submit():
        try:
            services.create_department(form.name.data)
        except services.AccountError as error:
            form.name.errors.append(str(error))
        else:
            flash(_("已创建部门。"), "success")
            return redirect(url_for("admin.departments"))
    page = paginate(select(Department).order_by(Department.name))
    return render_template("admin/departments.html", page=page, form=form, action_form=EmptyForm())


@admin_bp.post("/departments/<int:dept_id>/rename")
@role_required("admin")
def department_rename(dept_id: int):
    """Rename a department."""
    dept = db.get_or_404(Department, dept_id)
    form = NameForm()
    target = f"dept-{dept.id}"  # the name box of this department's row
    if form.validate_on_submit():
        try:
            services.rename_department(dept, form.name.data)
            flash(_("已保存。"), "success")
        except services.AccountError as error:
            keep_errors([(target, _("名称"), str(error))], {target: form.name.data})
    else:
        flash_errors(form, {"name": target})
    return redirect(url_for("admin.departments", page=request.args.get("page")))


@admin_bp.post("/departments/<int:dept_id>/delete")
@role_required("admin")
def department_delete(dept_id: int):
    """Delete an empty department."""
    dept = db.get_or_404(Department, dept_id)
    if EmptyForm().validate_on_submit():
        try:
            services.delete_department(dept)
            flash(_("已删除部门。"), "success")
        except services.AccountError as error:
            flash(str(error), "danger")
    return redirect(url_for("admin.departments"))


@admin_bp.route("/cohorts", methods=["GET", "POST"])
@role_required("admin")
def cohorts():
    """List and create cohorts."""
    form = CohortForm()
    if form.validate_on_submit():
        try:
            cohort = services.create_cohort(form.name.data, form.description.data)
        except services.AccountError as error:
            form.name.errors.append(str(error))
        else:
            flash(_("已创建班组。"), "success")
            return redirect(url_for("admin.cohort_detail", cohort_id=cohort.id))
    page = paginate(select(Cohort).order_by(Cohort.name))
    return render_template("admin/cohorts.html", page=page, form=form)


@admin_bp.get("/cohorts/<int:cohort_id>")
@role_required("admin")
def cohort_detail(cohort_id: int):
    """A cohort's members with the forms to change them, beside the other rooms' panels (its courses)."""
    cohort = db.get_or_404(Cohort, cohort_id)
    members = db.session.scalars(
        select(CohortMember).where(CohortMember.cohort_id == cohort.id).order_by(CohortMember.role, CohortMember.id)
    ).all()
    return render_template(
        "admin/cohort_detail.html",
        cohort=cohort,
        members=members,
        member_form=MemberForm(),
        panels=cohort_panels(cohort),
    )


@admin_bp.post("/cohorts/<int:cohort_id>/members")
@role_required("admin")
def cohort_add_member(cohort_id: int):
    """Add a trainee or instructor to a cohort."""
    cohort = db.get_or_404(Cohort, cohort_id)
    form = MemberForm()
    if form.validate_on_submit():
        user = db.session.scalar(select(User).where(User.username == auth.normalise_username(form.username.data)))
        typed = {form.username.id: form.username.data}
        if user is None:
            message = _("找不到用户 %(name)s。", name=form.username.data)
            keep_errors([(form.username.id, str(form.username.label.text), message)], typed)
        else:
            try:
                services.add_member(cohort, user, form.role.data)
                flash(_("已添加 %(name)s。", name=user.name), "success")
            except services.AccountError as error:
                keep_errors([(form.username.id, str(form.username.label.text), str(error))], typed)
    else:
        flash_errors(form)
    return redirect(url_for("admin.cohort_detail", cohort_id=cohort.id))


@admin_bp.post("/cohorts/<int:cohort_id>/members/<int:member_id>/remove")
@role_required("admin")
def cohort_remove_member(cohort_id: int, member_id: int):
    """Remove a member from a cohort."""
    member = db.get_or_404(CohortMember, member_id)
    if member.cohort_id != cohort_id:
        abort(404)
    if EmptyForm().validate_on_submit():
        services.remove_member(member)
        flash(_("已移除。"), "success")
    return redirect(url_for("admin.cohort_detail", cohort_id=cohort_id))


@admin_bp.get("/throttles")
@role_required("admin")
def throttles():
    """Sign-in throttling: the accounts, addresses and pairs with recent failures, and their waits."""
    return render_template(
        "admin/throttles.html",
        page=paginate(auth.throttled_pairs()),
        accounts=auth.failure_tallies("username"),
        addresses=auth.failure_tallies("address"),
        now=utcnow(),
    )


@admin_bp.post("/throttles/clear")
@role_required("admin")
def throttles_clear():
    """Forget the failures of an account, an address or a pair, so they may sign in without waiting."""
    form = ThrottleClearForm()
    if form.validate_on_submit() and (form.username.data or form.address.data):
        removed = auth.clear_throttles(form.username.data, form.address.data)
        flash(_("已清除 %(n)d 次失败记录。", n=removed), "success")
    else:
        flash(_("请选择要清除的账号或地址。"), "danger")
    return redirect(url_for("admin.throttles"))


@admin_bp.get("/audit")
@role_required("admin")
def audit_log():
    """The audit log of administrative actions, newest first, filtered by action and actor."""
    action = request.args.get("action", "")
    actor = request.args.get("actor", "").strip()[:64]
    query = select(AuditEvent).order_by(AuditEvent.id.desc())
    if action in ACTIONS:
        query = query.where(AuditEvent.action == action)
    if actor:
        query = query.join(User, User.id == AuditEvent.actor_id).where(User.username == auth.normalise_username(actor))
    page = paginate(query)
    ids = {event.actor_id for event in page.items if event.actor_id}
    actors = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    return render_template("admin/audit.html", page=page, actors=actors, actions=ACTIONS, action=action, actor=actor)
