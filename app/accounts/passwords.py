"""Password policy: length, not the username, not a common or published password, not a few characters repeated."""

from __future__ import annotations

import string
from functools import lru_cache
from pathlib import Path

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l

MIN_LENGTH = 8
MAX_LENGTH = 128
MIN_DISTINCT = 4
# About 30,000 common passwords (zxcvbn's list, MIT; scripts/common_passwords.py regenerates it).
COMMON_FILE = Path(__file__).parent / "data" / "common-passwords.txt"
# Published in the README (demo accounts) and docs/benchmarks.md (generated data): anyone can read them, so
# they are refused unless DEMO_PASSWORDS_ALLOWED (development and testing, where `flask demo` uses them).
DEMO_PASSWORDS = (
    "admin-pass-2024",
    "hr-pass-2024",
    "teach-pass-2024",
    "manage-pass-2024",
    "learn-pass-2024",
    "bench-pass-2024",
)
# What people put around a weak password to get it past a rule: digits, punctuation, spaces.
DECORATION = string.digits + string.punctuation + string.whitespace


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The common passwords, lower case (read from the data file once)."""
    with COMMON_FILE.open(encoding="utf-8") as handle:
        return frozenset(word for line in handle if (word := line.strip()) and not word.startswith("#"))


def bare(text: str) -> str:
    """Lower case, without the digits, punctuation and spaces at either end (``Passw0rd!`` → ``passw0rd``)."""
    return text.lower().strip(DECORATION)


def _variants(text: str) -> set[str]:
    """The lower-case text and its bare core (the empty core of ``12345678`` left out)."""
    return {text.lower(), bare(text)} - {""}


def password_problem(password: str, username: str | None = None) -> str | None:
    """Return why ``password`` is not acceptable (for the account ``username``), or None."""
    if len(password) < MIN_LENGTH:
        return str(_l("密码至少需要 %(n)d 个字符。", n=MIN_LENGTH))
    if len(password) > MAX_LENGTH:
        return str(_l("密码不能超过 %(n)d 个字符。", n=MAX_LENGTH))
    lowered, core = password.lower(), bare(password)
    name = "".join((username or "").split()).lower()
    if name and {lowered, core} & (_variants(name) | {name[::-1]}):
        return str(_l("密码不能是用户名，也不能只是用户名加上数字或符号。"))
    allowed = has_app_context() and current_app.config.get("DEMO_PASSWORDS_ALLOWED", False)
    if not allowed and {lowered, core} & {v for demo in DEMO_PASSWORDS for v in _variants(demo)}:
        return str(_l("这是公开的演示密码，只能在开发和测试环境中使用，请换一个。"))
    common = common_passwords()
    if lowered in common:
        return str(_l("这个密码太常见，请换一个。"))
    if core and core in common:
        return str(_l("这个密码只是常见密码加上数字或符号，请换一个。"))
    if len(set(password)) < MIN_DISTINCT:
        return str(_l("密码太简单：请至少使用 %(n)d 个不同的字符。", n=MIN_DISTINCT))
    return None
