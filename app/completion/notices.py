"""Completion's notification kinds, registered with the notifications room."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.notifications.services import register_kinds

DUE_SOON = "completion.due_soon"
OVERDUE = "completion.overdue"
COMPLETED = "completion.completed"
CERTIFICATE_REVOKED = "completion.certificate_revoked"
CERTIFICATE_EXPIRING = "completion.certificate_expiring"

register_kinds(
    {
        DUE_SOON: _l("课程「%(course)s」将于 %(due)s 截止，请尽快完成。"),
        OVERDUE: _l("课程「%(course)s」已于 %(due)s 截止，你还没有完成，请尽快补上。"),
        COMPLETED: _l("恭喜！你已完成课程「%(course)s」，结业证书已生成。"),
        CERTIFICATE_REVOKED: _l("你的课程「%(course)s」结业证书已被撤销。"),
        CERTIFICATE_EXPIRING: _l("你的课程「%(course)s」结业证书将于 %(date)s 到期，请及时重新学习并完成考核。"),
    }
)

# Reminders by hand ("remind now") and the weekly overdue digests (app/completion/reminders.py, digests.py).
REMINDED = "completion.reminded"
DIGEST_HR = "completion.digest_hr"
DIGEST_MANAGER = "completion.digest_manager"

register_kinds(
    {
        REMINDED: _l("%(by)s 提醒你：课程「%(course)s」%(due)s 截止，请尽快完成。"),
        DIGEST_HR: _l("本周逾期汇总：%(departments)d 个部门共 %(people)d 人有 %(courses)d 项课程逾期未完成。"),
        DIGEST_MANAGER: _l("本周逾期汇总：你负责的部门有 %(people)d 人的 %(courses)d 项课程逾期未完成。"),
    }
)
