"""Learning forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, SubmitField
from wtforms.validators import DataRequired, Optional

from app.core.forms import BaseForm


class AssignForm(BaseForm):
    """Assign a course to a cohort with an optional due date."""

    course_id = SelectField(_l("课程"), coerce=int, validators=[DataRequired(_l("请选择课程。"))])
    due_date = DateField(_l("截止日期"), validators=[Optional()])
    submit = SubmitField(_l("分配课程"))
