"""Forms shared by every room: the base form that refuses control characters, shared widgets, route helpers.

Control characters (NUL, escape, backspace, …) have no place in anything a person types: PostgreSQL
refuses a NUL in text (a 500 if it got that far) and SQLite would store it. Two layers keep them out:

* :class:`BaseForm`, the base of every form, puts :class:`NoControlCharacters` first on each of its
  text fields (single-line fields also refuse line breaks; text areas keep newlines, CRLF and tabs).
  The form is shown again with the message under the field, and the page answers 422.
* :func:`refuse_control_characters` runs before every view, web and API, and refuses them everywhere
  else a request carries text: the path (404), the query string (400), form fields that no form
  declares (400) and JSON bodies (422, naming each field).

The widgets every room uses live here too: :class:`EmptyForm` (a button that POSTs) and
:class:`MultiCheckboxField` (a list of checkboxes).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, MutableMapping
from typing import Any, NamedTuple, TypeVar

from flask import Response, flash, g, has_request_context, jsonify, request, session
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest, NotFound
from wtforms import Field, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.fields.core import UnboundField
from wtforms.form import BaseForm as AnyForm
from wtforms.meta import DefaultMeta
from wtforms.validators import StopValidation
from wtforms.widgets import CheckboxInput, ListWidget

# C0 controls but tab, LF and CR; DEL; C1 controls; lone surrogates (only JSON escapes can make them).
_CONTROL = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff"
SINGLE_LINE = re.compile(f"[{_CONTROL}\n\r]")
MULTI_LINE = re.compile(f"[{_CONTROL}]|\r(?!\n)")  # newlines, CRLF and tabs are text

F = TypeVar("F", bound=Field)

# Names of the text fields some form declares: that form refuses them with its own labelled message.
FORM_TEXT_FIELDS: set[str] = set()


def refusal(field: object) -> str:
    """The message that refuses control characters in a field (its label, or its name)."""
    return _("「%(field)s」不能包含控制字符。", field=field)


def has_control_characters(text: str, multiline: bool = True) -> bool:
    """Whether ``text`` holds a control character (line breaks count only when not ``multiline``)."""
    return bool((MULTI_LINE if multiline else SINGLE_LINE).search(text))


class NoControlCharacters:
    """Validator: refuse control characters (text areas keep newlines and tabs, other fields keep tabs)."""

    def __init__(self, multiline: bool = False) -> None:
        self.multiline = multiline

    def __call__(self, form: FlaskForm, field: Field) -> None:
        if isinstance(field.data, str) and has_control_characters(field.data, self.multiline):
            if has_request_context():
                g.control_characters_refused = True
            raise StopValidation(refusal(field.label.text))


class BaseForm(FlaskForm):
    """The base of every form: each text field (text, text area, password, e-mail, hidden) refuses control characters."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        restore_kept(self)

    class Meta(DefaultMeta):
        def bind_field(self, form: AnyForm, unbound_field: UnboundField[F], options: MutableMapping[str, Any]) -> F:
            """Bind a field as usual; a text field gets the control-character check before its own validators."""
            field = super().bind_field(form, unbound_field, options)
            if isinstance(field, StringField):
                field.validators = [NoControlCharacters(isinstance(field, TextAreaField)), *field.validators]
            return field

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        FORM_TEXT_FIELDS.update(
            name
            for name, value in vars(cls).items()
            if isinstance(value, UnboundField) and issubclass(value.field_class, StringField)
        )


class EmptyForm(BaseForm):
    """A form with only the CSRF token (buttons that POST)."""

    submit = SubmitField(_l("确定"))


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


KEPT = "_kept_errors"
KEPT_VALUE_LIMIT = 2000  # characters of one typed value carried over (the session is a cookie)


class KeptError(NamedTuple):
    """A refused field of a form that redirected: the id of its control on the next page, its label, the message."""

    target: str
    label: str
    message: str


def keep_errors(errors: list[tuple[str, str, str]], values: Mapping[str, object] | None = None) -> None:
    """Keep field errors (target id, label, message) and typed values for the page the redirect shows.

    They live for exactly one request, like a flashed message: the next page marks each field invalid
    (``aria-invalid``, ``aria-describedby``), lists it in the error summary and shows what was typed.
    """
    kept = {key: value[:KEPT_VALUE_LIMIT] for key, value in (values or {}).items() if isinstance(value, str)}
    session[KEPT] = {"errors": [list(item) for item in errors], "values": kept}


def flash_errors(form: FlaskForm, targets: dict[str, str] | None = None) -> None:
    """Keep every validation error of a form that redirects instead of re-rendering, for the next page.

    ``targets`` maps a field name to the id of its control on that page when it is not the field's own id.
    """
    targets = targets or {}
    errors, values = [], {}
    for field in form:
        messages = [str(m) for m in field.errors if not isinstance(m, dict | list | tuple)]
        if not messages:
            continue
        target = targets.get(field.name, field.id)
        errors += [(target, str(field.label.text), message) for message in messages]
        if isinstance(field.data, str) and field.type not in ("PasswordField", "CSRFTokenField"):
            values[target] = field.data
    errors += [("", "", str(message)) for message in form.form_errors]
    keep_errors(errors, values)


def take_kept() -> None:
    """Before a page: move the errors kept by the previous request's redirect into ``g`` (one request only)."""
    if request.endpoint != "static" and KEPT in session:
        g.kept_errors = session.pop(KEPT)


def kept() -> dict:
    """The errors and values kept for this page: ``{"errors": [[target, label, message]…], "values": {…}}``."""
    found = g.get("kept_errors") if has_request_context() else None
    return found if isinstance(found, dict) else {"errors": [], "values": {}}


def kept_errors() -> list[KeptError]:
    """The kept field errors of this page."""
    return [KeptError(*map(str, item)) for item in kept().get("errors", []) if len(item) == 3]


def kept_messages(target: str) -> list[str]:
    """The kept messages of one control."""
    return [error.message for error in kept_errors() if error.target == target]


def kept_value(target: str, default: str = "") -> str:
    """What was typed into a control before the redirect (or ``default``)."""
    value = kept().get("values", {}).get(target)
    return value if isinstance(value, str) else default


def restore_kept(form: FlaskForm) -> None:
    """Give a form built on the page after a redirect the errors and typed values its fields were refused with."""
    if not has_request_context() or request.method != "GET" or not g.get("kept_errors"):
        return
    values = kept().get("values", {})
    for field in form:
        messages = kept_messages(field.id)
        if not messages:
            continue
        if field.id in values:
            field.process(MultiDict([(field.name, values[field.id])]))
        field.errors = messages


def json_fields_with_control_characters(data: Any) -> list[str]:
    """The paths (``response``, ``answers.q1``, ``items[0]``) of JSON strings or keys holding control characters."""
    found, stack = set(), [("", data)]
    while stack:  # a loop, not recursion: the parser allows deeper nesting than Python's stack
        path, value = stack.pop()
        if isinstance(value, str):
            if has_control_characters(value):
                found.add(path or "body")
        elif isinstance(value, dict):
            for key, item in value.items():
                if has_control_characters(key, multiline=False):
                    found.add(path or "body")
                else:
                    stack.append((f"{path}.{key}" if path else key, item))
        elif isinstance(value, list):
            stack.extend((f"{path}[{i}]", item) for i, item in enumerate(value))
    return sorted(found)


def _with_control_characters(pairs: Any, multiline: bool = True) -> list[str]:
    return sorted({key for key, value in pairs if has_control_characters(key + value, multiline)})


def refuse_control_characters() -> Any:
    """Before every view: control characters in the path (404), query (400), raw form fields (400) or JSON (422)."""
    if any(isinstance(v, str) and has_control_characters(v, False) for v in (request.view_args or {}).values()):
        raise NotFound()
    json_reply = request.path.startswith("/api/") or request.is_json
    names = _with_control_characters(request.args.items(multi=True))
    if names:
        if json_reply:
            return jsonify(errors=[refusal(name) for name in names]), 400
        for name in names:
            flash(refusal(name), "danger")
        raise BadRequest(refusal(names[0]))
    if request.method not in ("POST", "PUT", "PATCH"):
        return None
    if request.is_json:
        try:
            fields = json_fields_with_control_characters(request.get_json(silent=True))
        except RecursionError:  # nested deeper than the JSON parser goes
            return jsonify(errors=[_("请求体不是有效的 JSON。")]), 400
        if fields:
            return jsonify(errors=[refusal(name) for name in fields]), 422
    raw = [(key, value) for key, value in request.form.items(multi=True) if key not in FORM_TEXT_FIELDS]
    fields = _with_control_characters(raw)
    if fields:
        if json_reply:
            return jsonify(errors=[refusal(name) for name in fields]), 422
        for name in fields:
            flash(refusal(name), "danger")
        raise BadRequest(refusal(fields[0]))
    return None


def refused_form_status(response: Response) -> Response:
    """After a view: a page that shows a form again because it held control characters answers 422, not 200."""
    if g.get("control_characters_refused") and response.status_code == 200:
        response.status_code = 422
    return response
