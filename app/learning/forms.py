"""Learning forms: assigning courses (an admin's cohort page, HR's bulk assignment page), assignment rules."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, IntegerField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

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


class RuleForm(BaseForm):
    """An assignment rule: department and/or position → course, due N days after joining."""

    department_id = SelectField(_l("部门"), coerce=int, validators=[Optional()])
    position = StringField(
        _l("岗位"),
        validators=[Optional(), Length(max=80, message=_l("岗位最多 80 个字符。"))],
        description=_l("与人员资料中的岗位完全一致才算匹配（忽略首尾空格）；留空表示不限岗位。"),
    )
    course_id = SelectField(_l("课程"), coerce=int, validators=[DataRequired(_l("请选择课程。"))])
    due_days = IntegerField(
        _l("期限（天）"),
        default=30,
        validators=[
            InputRequired(_l("请填写期限天数。")),
            NumberRange(min=0, max=3650, message=_l("期限必须是 0 到 3650 之间的天数。")),
        ],
        description=_l("加入部门或岗位（或规则开始）后多少天内完成。"),
    )
    submit = SubmitField(_l("保存规则"))


class DeleteRuleForm(BaseForm):
    """Delete a rule, keeping or removing the assignments it made."""

    keep = RadioField(
        _l("这条规则已分配的课程"),
        choices=[("keep", _l("保留，改为个人分配")), ("remove", _l("一并取消"))],
        default="keep",
        validators=[DataRequired(_l("请选择如何处理已分配的课程。"))],
    )
    submit = SubmitField(_l("删除规则"))
