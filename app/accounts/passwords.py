"""Password policy: length, a list of the commonest passwords, and not one or two characters repeated."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

MIN_LENGTH = 8
MAX_LENGTH = 128
COMMON = frozenset(
    [
        "123456",
        "123456789",
        "12345678",
        "password",
        "qwerty123",
        "qwerty",
        "1q2w3e4r",
        "11111111",
        "00000000",
        "1234567890",
        "password1",
        "password123",
        "abc12345",
        "iloveyou",
        "admin123",
        "admin1234",
        "88888888",
        "66666666",
        "12341234",
        "qwertyuiop",
        "a1234567",
        "aa123456",
        "123123123",
        "987654321",
        "5201314520",
        "woaini1314",
        "1qaz2wsx",
        "zxcvbnm1",
        "passw0rd",
        "letmein1",
        "welcome1",
        "changeme",
        "abcd1234",
        "11223344",
        "asdfghjk",
        "147258369",
        "123qweasd",
        "q1w2e3r4",
        "p@ssw0rd",
        "admin888",
        "qwer1234",
        "1234qwer",
        "asdf1234",
        "zxcv1234",
        "qwerty12",
        "qazwsxedc",
        "1qaz2wsx3edc",
        "a123456789",
        "qq123456",
        "woaini520",
        "iloveyou1",
        "12344321",
        "789456123",
        "147852369",
        "159357456",
        "sunshine",
        "football",
        "superman",
        "princess",
        "trustno1",
        "password!",
        "welcome123",
    ]
)
MIN_DISTINCT = 4


def password_problem(password: str) -> str | None:
    """Return why a password is not acceptable, or None."""
    if len(password) < MIN_LENGTH:
        return str(_l("密码至少需要 %(n)d 个字符。", n=MIN_LENGTH))
    if len(password) > MAX_LENGTH:
        return str(_l("密码不能超过 %(n)d 个字符。", n=MAX_LENGTH))
    if password.lower() in COMMON:
        return str(_l("这个密码太常见，请换一个。"))
    if len(set(password)) < MIN_DISTINCT:
        return str(_l("密码太简单：请至少使用 %(n)d 个不同的字符。", n=MIN_DISTINCT))
    return None
