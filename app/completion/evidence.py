"""Evidence files of whole-course waivers: PDF, JPG or PNG by content, size-limited, server-made names under UPLOAD_DIR."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from flask import current_app
from flask_babel import lazy_gettext as _l

from app.core.domain import InvalidInput

TYPES = {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png"}
NAME_RE = re.compile(r"^[0-9a-f]{32}\.(?:pdf|jpg|png)$")
CHUNK = 1024 * 1024


class EvidenceError(InvalidInput):
    """An evidence file that is refused; the message is for the user."""


@dataclass(frozen=True)
class StoredEvidence:
    """A saved evidence file: its server-made name, content type and size."""

    name: str
    mime: str
    size: int


def sniff(head: bytes) -> str | None:
    """Name the format of a file from its first bytes (pdf, jpg, png) or None."""
    if head[:5] == b"%PDF-":
        return "pdf"
    if head[:3] == b"\xff\xd8\xff":
        return "jpg"
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    return None


def folder() -> Path:
    """The folder holding waiver evidence."""
    return Path(current_app.config["UPLOAD_DIR"]) / "waivers"


def evidence_path(name: str) -> Path:
    """The path of a stored evidence file; refuses any name the server did not make."""
    if not NAME_RE.match(name):
        raise ValueError(f"not a stored evidence name: {name!r}")
    return folder() / name


def max_bytes() -> int:
    """The largest evidence file accepted (``WAIVER_EVIDENCE_MAX_BYTES``)."""
    return int(current_app.config.get("WAIVER_EVIDENCE_MAX_BYTES", 10 * 1024 * 1024))


def store(stream: IO[bytes]) -> StoredEvidence:
    """Check and save an uploaded evidence stream under a random name; the client's name is never used for the path."""
    head = stream.read(16)
    kind = sniff(head)
    if kind is None:
        raise EvidenceError(str(_l("证明材料只能是 PDF、JPG 或 PNG 文件（按文件内容识别）。")))
    limit = max_bytes()
    target = folder()
    target.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(16)}.{kind}"
    path = target / name
    size = len(head)
    with path.open("xb") as out:
        out.write(head)
        while chunk := stream.read(CHUNK):
            size += len(chunk)
            if size > limit:
                break
            out.write(chunk)
    if size > limit:
        path.unlink(missing_ok=True)
        raise EvidenceError(str(_l("证明材料不能超过 %(mb)s MB。", mb=limit // (1024 * 1024) or 1)))
    return StoredEvidence(name, TYPES[kind], size)


def delete(name: str | None) -> None:
    """Remove a stored evidence file if it exists."""
    if name:
        evidence_path(name).unlink(missing_ok=True)


def safe_filename(name: str | None, kind_mime: str) -> str:
    """A download name: the uploader's name without path parts or odd characters, else ``evidence.<ext>``."""
    ext = next(k for k, v in TYPES.items() if v == kind_mime)
    base = Path(name or "").name
    base = re.sub(r"[^\w.\-\u4e00-\u9fff]+", "_", base)[:150].strip("._")
    if not base:
        return f"evidence.{ext}"
    return base if base.lower().endswith(f".{ext}") else f"{base}.{ext}"
