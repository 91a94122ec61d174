"""Completion's notification kinds, registered with the notifications room."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.notifications.services import register_kinds

DUE_SOON = "completion.due_soon"
OVERDUE = "completion.overdue"
COMPLETED = "completion.completed"

register_kinds(
    {
        DUE_SOON: _l("课程「%(course)s」将于 %(due)s 截止，请尽快完成。"),
        OVERDUE: _l("课程「%(course)s」已于 %(due)s 截止，你还没有完成，请尽快补上。"),
        COMPLETED: _l("恭喜！你已完成课程「%(course)s」，结业证书已生成。"),
    }
)
