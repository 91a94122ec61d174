"""The assessments room's notification kinds, registered with the notifications room."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.notifications.services import register_kinds

REGRADED = "assessments.regraded"

register_kinds(
    {
        REGRADED: _l("你在「%(quiz)s」的一次作答已重新评分：%(old)s → %(new)s。原因：%(reason)s"),
    }
)
