"""Demo accounts and the demo cohort (idempotent)."""

from __future__ import annotations

from sqlalchemy import select

from app.accounts import managers
from app.accounts import services as accounts
from app.accounts.models import User
from app.extensions import db
from app.learning import services as learning
from app.learning.models import Course

DEMO_USERS = [
    ("admin", "admin-pass-2024", ["admin"], "系统管理员", "信息部"),
    ("hr", "hr-pass-2024", ["hr"], "李人事", "人力资源部"),
    ("instructor", "teach-pass-2024", ["instructor"], "王老师", "培训部"),
    ("manager", "manage-pass-2024", ["manager"], "周店长", "门店销售部"),  # follows 门店销售部
] + [
    (f"trainee{i}", "learn-pass-2024", ["trainee"], name, dept)
    for i, (name, dept) in enumerate(
        [
            ("张小红", "门店销售部"),
            ("刘明", "门店销售部"),
            ("陈静", "呼叫中心"),
            ("赵磊", "售后服务部"),
            ("孙悦", "呼叫中心"),
        ],
        start=1,
    )
]


def ensure_demo() -> list[tuple[str, str, str]]:
    """Create the demo accounts, the cohort 'demo' and its assignments; return the logins."""
    cohort = accounts.get_or_create_cohort("demo")
    out = []
    for username, password, roles, name, dept in DEMO_USERS:
        user = db.session.scalar(select(User).where(User.username == username))
        if user is None:
            user = accounts.create_user(username, name, password, roles, department=dept, commit=False)
            db.session.flush()
        for role in ("instructor", "trainee"):
            if user.has_role(role):
                accounts.add_member(cohort, user, role, commit=False)
        out.append((username, password, ", ".join(roles)))
    db.session.flush()
    for course in db.session.scalars(select(Course).where(Course.archived.is_(False))):
        learning.assign_course(course, cohort=cohort, commit=False)
    db.session.commit()
    manager = db.session.scalar(select(User).where(User.username == "manager"))
    if manager is not None and manager.has_role("manager") and not managers.departments(manager.id):
        managers.set_departments(manager, [manager.department_id] if manager.department_id else [], actor=None)
    return out
