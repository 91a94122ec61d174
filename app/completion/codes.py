"""Certificate verification codes: pure functions (no Flask, no database), so reports' public check may use them."""

from __future__ import annotations

import secrets

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: codes are read aloud and typed


def new_code() -> str:
    """A random verification code such as ``K7QM-3XTR-9HWA-PLC2`` (80 bits)."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(16))
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def normalise_code(text: str) -> str:
    """Accept a code typed with spaces, lowercase letters or without dashes."""
    raw = "".join(ch for ch in text.upper() if ch.isascii() and ch.isalnum())[:16]
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))
