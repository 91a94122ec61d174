"""The jobs' notification kinds, registered with the notifications room."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.notifications.services import register_kinds

DONE = "jobs.done"
FAILED = "jobs.failed"

register_kinds(
    {
        DONE: _l("后台任务「%(title)s」已完成。"),
        FAILED: _l("后台任务「%(title)s」失败，未更改任何数据。"),
    }
)
