"""Role-play forms. Rubric levels and comments are named per criterion (level-<key>, comment-<key>)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from werkzeug.datastructures import MultiDict
from wtforms import HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from app.core.forms import BaseForm
from app.roleplay.services import MAX_OVERALL, MAX_RESPONSE


class ResponseForm(BaseForm):
    """The trainee's written response and optional recording."""

    response = TextAreaField(
        _l("书面回应"),
        description=_l("写下你会说的话和会做的事，按对话的形式，例如：“客户：……”“我：……”。"),
        validators=[Length(max=MAX_RESPONSE, message=_l("书面回应不能超过 %(max)d 个字。"))],
    )
    audio = FileField(_l("录音（可选）"), description=_l("webm、ogg、m4a、mp3 或 wav，最大 25 MB。"))
    save = SubmitField(_l("保存草稿"))
    submit = SubmitField(_l("提交给讲师"))


class RubricForm(BaseForm):
    """CSRF and the rubric's level choices (read from level-<key> fields)."""

    submit = SubmitField(_l("计算我的得分"))


class GradeForm(BaseForm):
    """The grader's form: the version it was loaded at, overall comment, per-criterion fields."""

    version = HiddenField(validators=[InputRequired()])
    overall = TextAreaField(
        _l("总体评语"), validators=[Length(max=MAX_OVERALL, message=_l("总体评语不能超过 %(max)d 个字。"))]
    )


class LiveForm(BaseForm):
    """Start a live classroom role-play."""

    card_id = SelectField(_l("场景卡片"), coerce=int, validators=[DataRequired(_l("请选择场景卡片。"))])
    trainee_id = SelectField(_l("扮演服务人员的学员"), coerce=int, validators=[DataRequired(_l("请选择学员。"))])
    partner = StringField(
        _l("搭档（扮演客户）"), validators=[Optional(), Length(max=80, message=_l("搭档姓名不能超过 80 个字。"))]
    )
    submit = SubmitField(_l("开始现场评分"))


def criterion_values(data: MultiDict | dict[str, Any], definition: dict[str, Any], prefix: str) -> dict[str, Any]:
    """Collect the per-criterion values named <prefix>-<key> from form data."""
    return {c["key"]: data.get(f"{prefix}-{c['key']}") for c in definition.get("criteria", [])}
