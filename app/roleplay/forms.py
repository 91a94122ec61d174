"""Role-play forms. Rubric levels and comments are named per criterion (level-<key>, comment-<key>)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, HiddenField, SelectField, StringField, SubmitField, TextAreaField
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


class AnchorForm(BaseForm):
    """An admin's reference grade of a calibration anchor (levels read from level-<key> fields) and a note."""

    note = TextAreaField(
        _l("说明（可选）"),
        description=_l("例如这份练习为什么适合做校准样本、参考评分的理由。"),
        validators=[Length(max=1000, message=_l("说明不能超过 %(max)d 个字。"))],
    )
    submit = SubmitField(_l("保存校准样本"))


class CalibrationForm(BaseForm):
    """An instructor's grade of a calibration anchor (levels read from level-<key> fields)."""

    submit = SubmitField(_l("提交并对照参考评分"))


class LiveForm(BaseForm):
    """Start a live classroom role-play."""

    card_id = SelectField(_l("场景卡片"), coerce=int, validators=[DataRequired(_l("请选择场景卡片。"))])
    trainee_id = SelectField(_l("扮演服务人员的学员"), coerce=int, validators=[DataRequired(_l("请选择学员。"))])
    partner = StringField(
        _l("搭档（扮演客户）"), validators=[Optional(), Length(max=80, message=_l("搭档姓名不能超过 80 个字。"))]
    )
    observer = BooleanField(
        _l("另一位讲师也在现场观察评分（双评）"),
        description=_l("勾选后两位讲师各自盲评，差距过大时由第三位讲师裁定。"),
    )
    submit = SubmitField(_l("开始现场评分"))


class LiveSessionForm(BaseForm):
    """The next pair of a live class session: who plays the service role, who the customer, an observer."""

    trainee_id = SelectField(_l("扮演服务人员的学员"), coerce=int, validators=[DataRequired(_l("请选择学员。"))])
    partner_id = SelectField(
        _l("扮演客户的同学"),
        coerce=int,
        description=_l("从本班选择的搭档会被记录（计入搭档的练习）；外部搭档请选“外部搭档”并填写姓名。"),
    )
    partner = StringField(
        _l("外部搭档姓名"), validators=[Optional(), Length(max=80, message=_l("搭档姓名不能超过 80 个字。"))]
    )
    observer = BooleanField(_l("另一位讲师也在现场观察评分（双评）"))
    submit = SubmitField(_l("开始这一组的评分"))


def criterion_values(data: MultiDict | dict[str, Any], definition: dict[str, Any], prefix: str) -> dict[str, Any]:
    """Collect the per-criterion values named <prefix>-<key> from form data."""
    return {c["key"]: data.get(f"{prefix}-{c['key']}") for c in definition.get("criteria", [])}
