"""Assessment forms (answers are read per question through the question-type registry)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from app.core.forms import BaseForm


class AttemptForm(BaseForm):
    """The CSRF token of the start, save and submit buttons; answer fields are rendered per question."""


class ResultsFilterForm(BaseForm):
    """Filter results by cohort and quiz (a GET form: no state changes, no token)."""

    class Meta:
        csrf = False

    cohort = SelectField(_l("班组"), coerce=int, default=0)
    quiz = SelectField(_l("测验"), coerce=int, default=0)


class RegradeForm(BaseForm):
    """Regrade the attempts of one earlier version against the current one, with the reason."""

    version = HiddenField()
    reason = TextAreaField(
        _l("重新评分的原因"),
        validators=[
            DataRequired(_l("请写明重新评分的原因。")),
            Length(max=500, message=_l("原因不能超过 500 个字。")),
        ],
    )
