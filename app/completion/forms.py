"""Completion forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
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
