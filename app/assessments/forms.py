"""Assessment forms (answers are read per question through the question-type registry)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField


class AttemptForm(FlaskForm):
    """The CSRF token of the start, save and submit buttons; answer fields are rendered per question."""


class ResultsFilterForm(FlaskForm):
    """Filter results by cohort and quiz (a GET form: no state changes, no token)."""

    class Meta:
        csrf = False

    cohort = SelectField(_l("班组"), coerce=int, default=0)
    quiz = SelectField(_l("测验"), coerce=int, default=0)
