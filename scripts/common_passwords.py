"""Regenerate app/accounts/data/common-passwords.txt, the password policy's list of common passwords.

The list is the "passwords" frequency list of the zxcvbn package on PyPI (version 4.5.0, MIT licence,
copyright 2016 Daniel Wolf; a port of Dropbox's zxcvbn, MIT, whose list was built from Mark Burnett's
corpus of ten million leaked passwords), most common first, followed by the project's own additions
(passwords common among Chinese users and alphabet runs that the list lacks). zxcvbn is not a
dependency of the platform: run this in a throw-away virtualenv.

    python3 -m venv /tmp/zxcvbn-venv && /tmp/zxcvbn-venv/bin/pip install zxcvbn==4.5.0
    /tmp/zxcvbn-venv/bin/python scripts/common_passwords.py
"""

from __future__ import annotations

import sys
from importlib.metadata import version
from pathlib import Path

TARGET = Path(__file__).resolve().parents[1] / "app" / "accounts" / "data" / "common-passwords.txt"

# Added by the project: common among Chinese users, or runs that the zxcvbn list lacks.
ADDITIONS = """
123456789 12345678 1q2w3e4r 11111111 00000000 88888888 66666666 12341234 a1234567 aa123456 123123123
987654321 5201314520 woaini1314 woaini520 5201314 1314520 aini1314 zxcvbnm1 passw0rd letmein1 welcome1
changeme abcd1234 11223344 asdfghjk 147258369 123qweasd q1w2e3r4 p@ssw0rd admin888 admin123 admin1234
qwer1234 1234qwer asdf1234 zxcv1234 qwerty12 qazwsxedc 1qaz2wsx3edc a123456789 qq123456 iloveyou1
12344321 789456123 147852369 159357456 password! welcome123 abcdefgh abcdefghi abcdefghij abcdefg1
abcdefgh1 abcdefg123 abc123456 abc12345678 zhang123 wang123456 li123456 woaiwojia 1234567890a
"""


def main() -> int:
    """Write the list file; print how many entries it has."""
    try:
        from zxcvbn.frequency_lists import FREQUENCY_LISTS
    except ImportError:
        print(__doc__, file=sys.stderr)
        return 1
    ranked = FREQUENCY_LISTS["passwords"]
    ranked = ranked.split(",") if isinstance(ranked, str) else list(ranked)
    seen: dict[str, None] = {}
    for word in [*ranked, *ADDITIONS.split()]:
        word = word.strip().lower()
        if word and not word.startswith("#"):
            seen.setdefault(word, None)
    header = [
        "# Common passwords, one a line, lower case, most common first; refused by app/accounts/passwords.py.",
        f"# Source: the 'passwords' frequency list of the zxcvbn package {version('zxcvbn')} (PyPI; MIT licence,",
        "# copyright 2016 Daniel Wolf; a port of Dropbox's zxcvbn, MIT), then the project's additions.",
        "# Regenerate with scripts/common_passwords.py; do not edit by hand.",
        f"# {len(seen)} entries.",
    ]
    TARGET.write_text("\n".join(header + list(seen)) + "\n", encoding="utf-8")
    print(f"wrote {len(seen)} entries to {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
