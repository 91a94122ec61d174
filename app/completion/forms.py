"""Completion forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import HiddenField, SubmitField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length, Optional

from app.completion.models import ITEM_KINDS
from app.core.forms import BaseForm


class WaiverForm(BaseForm):
    """Waive one checklist item with a reason."""

    kind = HiddenField(validators=[AnyOf(ITEM_KINDS)])
    slug = HiddenField(validators=[DataRequired(), Length(max=80)])
    reason = TextAreaField(
        _l("豁免原因"),
        validators=[DataRequired(_l("请填写豁免原因。")), Length(max=500, message=_l("豁免原因不能超过 500 个字。"))],
    )
    submit = SubmitField(_l("豁免此项"))


class RevokeWaiverForm(BaseForm):
    """Revoke a waiver, with an optional reason."""

    reason = TextAreaField(
        _l("撤销原因（选填）"),
        validators=[Optional(), Length(max=500, message=_l("撤销原因不能超过 500 个字。"))],
    )
    submit = SubmitField(_l("撤销豁免"))


class RevokeCertificateForm(BaseForm):
    """Revoke a certificate by hand, with a reason (required; private: never shown on /verify)."""

    reason = TextAreaField(
        _l("撤销原因"),
        validators=[DataRequired(_l("请填写撤销原因。")), Length(max=500, message=_l("撤销原因不能超过 500 个字。"))],
    )
    submit = SubmitField(_l("撤销证书"))


class CourseWaiverForm(BaseForm):
    """Waive a whole course (免修) with a reason and an optional evidence file."""

    reason = TextAreaField(
        _l("免修原因"),
        validators=[DataRequired(_l("请填写免修原因。")), Length(max=500, message=_l("免修原因不能超过 500 个字。"))],
    )
    evidence = FileField(_l("证明材料（选填，PDF、JPG 或 PNG）"))
    submit = SubmitField(_l("整门课程免修"))


class RevokeCourseWaiverForm(BaseForm):
    """Revoke a whole-course waiver, with an optional reason."""

    reason = TextAreaField(
        _l("撤销原因（选填）"),
        validators=[Optional(), Length(max=500, message=_l("撤销原因不能超过 500 个字。"))],
    )
    submit = SubmitField(_l("撤销免修"))
