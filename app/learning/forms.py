"""Learning forms: assigning courses (an admin's cohort page, HR's bulk assignment page)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.core.forms import BaseForm, MultiCheckboxField


class CohortAssignForm(BaseForm):
    """Assign a course to a cohort with an optional due date."""

    course_id = SelectField(_l("课程"), coerce=int, validators=[DataRequired(_l("请选择课程。"))])
    due_date = DateField(_l("截止日期"), validators=[Optional()])
    submit = SubmitField(_l("分配课程"))


class AssignForm(BaseForm):
    """Assign one course to departments, cohorts and people at once."""

    course_id = SelectField(_l("课程"), coerce=int, validators=[DataRequired(_l("请选择课程。"))])
    due_date = DateField(_l("截止日期"), validators=[Optional()])
    departments = MultiCheckboxField(_l("部门"), coerce=int, validators=[Optional()])
    cohorts = MultiCheckboxField(_l("班组"), coerce=int, validators=[Optional()])
    people = TextAreaField(
        _l("人员（工号或用户名，用空格、逗号或换行分隔）"), validators=[Optional(), Length(max=20_000)]
    )
    submit = SubmitField(_l("分配"))


class BulkForm(BaseForm):
    """An action on the selected assignments."""

    action = SelectField(
        _l("对选中的分配"),
        choices=[("due", _l("修改截止日期")), ("clear_due", _l("取消截止日期")), ("remove", _l("取消分配"))],
        validators=[DataRequired()],
    )
    due_date = DateField(_l("新的截止日期"), validators=[Optional()])
    submit = SubmitField(_l("执行"))
