"""Account forms: sign-in, passwords, users, departments, cohorts, the staff import; the role labels."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp
from wtforms.validators import Email as EmailValidator

from app.core.forms import BaseForm, MultiCheckboxField

ROLE_LABELS = {
    "trainee": _l("学员"),
    "instructor": _l("讲师"),
    "hr": _l("人事"),
    "manager": _l("经理"),
    "admin": _l("管理员"),
}


class LoginForm(BaseForm):
    """Sign in."""

    username = StringField(_l("用户名"), validators=[DataRequired(_l("请输入用户名。")), Length(max=64)])
    password = PasswordField(_l("密码"), validators=[DataRequired(_l("请输入密码。")), Length(max=128)])
    submit = SubmitField(_l("登录"))


class PasswordForm(BaseForm):
    """Change one's own password."""

    current = PasswordField(_l("当前密码"), validators=[DataRequired(_l("请输入当前密码。"))])
    new = PasswordField(
        _l("新密码"),
        validators=[
            DataRequired(_l("请输入新密码。")),
            Length(min=8, max=128, message=_l("密码长度需为 8–128 个字符。")),
        ],
    )
    confirm = PasswordField(
        _l("确认新密码"),
        validators=[DataRequired(_l("请再次输入新密码。")), EqualTo("new", _l("两次输入的新密码不一致。"))],
    )
    submit = SubmitField(_l("修改密码"))


class UserForm(BaseForm):
    """Create or edit a user."""

    username = StringField(
        _l("用户名"),
        validators=[
            DataRequired(_l("请输入用户名。")),
            Length(max=64),
            Regexp(r"^[A-Za-z0-9_.\-]+$", message=_l("用户名只能包含字母、数字、点、下划线和连字符。")),
        ],
    )
    name = StringField(_l("姓名"), validators=[DataRequired(_l("请输入姓名。")), Length(max=80)])
    employee_no = StringField(_l("工号"), validators=[Optional(), Length(max=32)])
    email = EmailField(_l("邮箱"), validators=[Optional(), Length(max=254), EmailValidator(_l("邮箱格式不正确。"))])
    position = StringField(_l("岗位"), validators=[Optional(), Length(max=80)])
    department_id = SelectField(_l("部门"), coerce=int, validators=[Optional()])
    roles = MultiCheckboxField(
        _l("角色"),
        choices=[(key, label) for key, label in ROLE_LABELS.items()],
        validators=[DataRequired(_l("至少选择一个角色。"))],
    )
    password = PasswordField(_l("初始密码"), validators=[Optional(), Length(max=128)])
    active = BooleanField(_l("启用"), default=True)
    submit = SubmitField(_l("保存"))


class NameForm(BaseForm):
    """A single name (departments)."""

    name = StringField(_l("名称"), validators=[DataRequired(_l("请输入名称。")), Length(max=80)])
    submit = SubmitField(_l("保存"))


class CohortForm(BaseForm):
    """Create a cohort."""

    name = StringField(_l("班组名称"), validators=[DataRequired(_l("请输入名称。")), Length(max=80)])
    description = TextAreaField(_l("说明"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("创建班组"))


class MemberForm(BaseForm):
    """Add a member to a cohort."""

    username = StringField(_l("用户名"), validators=[DataRequired(_l("请输入用户名。")), Length(max=64)])
    role = SelectField(
        _l("身份"), choices=[("trainee", _l("学员")), ("instructor", _l("讲师"))], validators=[DataRequired()]
    )
    submit = SubmitField(_l("添加成员"))


class ImportForm(BaseForm):
    """Upload a staff file for preview."""

    file = FileField(
        _l("人员名单文件（CSV 或 XLSX）"),
        validators=[
            FileRequired(_l("请选择要导入的文件。")),
            FileAllowed(["csv", "xlsx"], _l("只支持 .csv 和 .xlsx 文件。")),
        ],
    )
    submit = SubmitField(_l("上传并预览"))


class ConfirmImportForm(BaseForm):
    """Apply the previewed import (new accounts: one-time passwords, or invitation links)."""

    invite = BooleanField(_l("给新账号发送邀请链接（本人设置密码），而不是生成初始密码"))
    submit = SubmitField(_l("确认导入"))


class AcceptInvitationForm(BaseForm):
    """Choose one's own password through an invitation link."""

    password = PasswordField(
        _l("新密码"),
        validators=[
            DataRequired(_l("请输入新密码。")),
            Length(min=8, max=128, message=_l("密码长度需为 8–128 个字符。")),
        ],
    )
    confirm = PasswordField(
        _l("确认新密码"),
        validators=[DataRequired(_l("请再次输入新密码。")), EqualTo("password", _l("两次输入的新密码不一致。"))],
    )
    submit = SubmitField(_l("设置密码并登录"))


class ThrottleClearForm(BaseForm):
    """Forget the sign-in failures of an account, an address, or one pair of them."""

    username = HiddenField(validators=[Optional(), Length(max=64)])
    address = HiddenField(validators=[Optional(), Length(max=64)])
    submit = SubmitField(_l("清除"))
