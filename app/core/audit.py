"""Audit log of administrative actions: who did what to which record, when and from where."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import g, has_request_context, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.time import utcnow
from app.extensions import db

# Every action that may be recorded, with its label on the audit page.
ACTIONS = {
    "user.created": _l("创建账号"),
    "user.roles_changed": _l("修改角色"),
    "user.deactivated": _l("停用账号"),
    "user.reactivated": _l("重新启用账号"),
    "user.password_set": _l("管理员设置密码"),
    "user.password_changed": _l("本人修改密码"),
    "user.invited": _l("发送邀请链接"),
    "user.invitation_accepted": _l("通过邀请链接设置密码"),
    "staff.credentials_downloaded": _l("下载导入的初始密码表"),
    "login.throttle_cleared": _l("清除登录限制"),
    "department.created": _l("创建部门"),
    "department.renamed": _l("重命名部门"),
    "department.deleted": _l("删除部门"),
    "cohort.created": _l("创建班组"),
    "cohort.member_added": _l("加入班组"),
    "cohort.member_removed": _l("移出班组"),
    "staff.imported": _l("导入人员"),
    "course.assigned": _l("分配课程"),
    "course.unassigned": _l("取消分配"),
    "assignments.changed": _l("批量修改分配"),
    "rule.created": _l("创建分配规则"),
    "rule.changed": _l("修改分配规则"),
    "rule.paused": _l("暂停分配规则"),
    "rule.resumed": _l("恢复分配规则"),
    "rule.deleted": _l("删除分配规则"),
    "completion.waived": _l("豁免要求"),
    "completion.waiver_revoked": _l("撤销豁免"),
    "completion.reminded": _l("发送学习提醒"),
    "completion.reminded_overdue": _l("批量提醒逾期学员"),
    "manager.departments_set": _l("设置经理负责的部门"),
    "completion.course_waived": _l("课程免修"),
    "completion.course_waiver_revoked": _l("撤销课程免修"),
    "completion.certificate_revoked": _l("撤销证书"),
    "roleplay.graded": _l("评分"),
    "roleplay.regraded": _l("修改评分"),
    "roleplay.returned": _l("退回修改"),
    "quiz.regraded": _l("测验重新评分"),
}

# Names of the tables that events point at, for people.
TARGETS = {
    "users": _l("账号"),
    "departments": _l("部门"),
    "cohorts": _l("班组"),
    "assignments": _l("课程分配"),
    "assignment_rules": _l("分配规则"),
    "roleplay_submissions": _l("角色扮演提交"),
    "quizzes": _l("测验"),
}


class AuditEvent(db.Model):
    """One administrative action; written in the same transaction as the change it describes."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_created", "created_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(40), index=True)
    target_type: Mapped[str | None] = mapped_column(String(40))
    target_id: Mapped[int | None]
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    address: Mapped[str | None] = mapped_column(String(64))

    @property
    def label(self) -> str:
        """The action's name for people."""
        return str(ACTIONS.get(self.action, self.action))

    @property
    def target_label(self) -> str:
        """The target for people, such as ``账号 #12``; empty when the event has none."""
        if self.target_type is None:
            return ""
        return f"{TARGETS.get(self.target_type, self.target_type)} #{self.target_id}"


def _actor_id() -> int | None:
    """Who is acting: the API token's user, the signed-in user, or nobody (command line)."""
    if not has_request_context():
        return None
    api_user = g.get("api_user")  # set by the API's token check
    if api_user is not None:
        return api_user.id
    return current_user.id if current_user.is_authenticated else None


def record(action: str, target: Any = None, details: dict[str, Any] | None = None) -> AuditEvent:
    """Add an audit event for ``target`` (a model row) to the current transaction; the caller commits."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    if target is not None and target.id is None:
        db.session.flush()
    event = AuditEvent(
        action=action,
        actor_id=_actor_id(),
        target_type=target.__tablename__ if target is not None else None,
        target_id=target.id if target is not None else None,
        details=details or {},
        address=(request.remote_addr or "")[:64] if has_request_context() else None,
    )
    db.session.add(event)
    return event
