"""Audio uploads: type by content (magic bytes), size limit, server-made names under UPLOAD_DIR."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from flask import current_app
from flask_babel import lazy_gettext as _l

from app.core.domain import InvalidInput

MAX_AUDIO_BYTES = 25 * 1024 * 1024
AUDIO_TYPES = {
    "webm": "audio/webm",
    "ogg": "audio/ogg",
    "m4a": "audio/mp4",
    "mp3": "audio/mpeg",
    "wav": "audio/wav",
}
MP4_BRANDS = {b"M4A ", b"M4B ", b"mp41", b"mp42", b"isom", b"iso2", b"iso5", b"iso6", b"dash"}
NAME_RE = re.compile(r"^[0-9a-f]{32}\.(?:webm|ogg|m4a|mp3|wav)$")
CHUNK = 1024 * 1024


class UploadError(InvalidInput):
    """An upload that is refused; the message is for the user."""


@dataclass(frozen=True)
class StoredAudio:
    """A saved audio file: its server-made name, content type and size."""

    name: str
    mime: str
    size: int


def _mp3_frame(head: bytes) -> bool:
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return False
    version, layer = (head[1] >> 3) & 3, (head[1] >> 1) & 3
    bitrate, rate = head[2] >> 4, (head[2] >> 2) & 3
    return version != 1 and layer == 1 and bitrate not in (0, 15) and rate != 3


def sniff(head: bytes) -> str | None:
    """Name the audio format of a file from its first bytes (webm, ogg, m4a, mp3, wav) or None."""
    if head[:4] == b"\x1a\x45\xdf\xa3" and b"webm" in head[:64]:
        return "webm"
    if head[:4] == b"OggS":
        return "ogg"
    if head[4:8] == b"ftyp" and head[8:12] in MP4_BRANDS:
        return "m4a"
    if head[:3] == b"ID3" or _mp3_frame(head):
        return "mp3"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    return None


def upload_dir() -> Path:
    """The folder holding role-play audio."""
    return Path(current_app.config["UPLOAD_DIR"]) / "roleplay"


def audio_path(name: str) -> Path:
    """The path of a stored audio file; refuses any name the server did not make."""
    if not NAME_RE.match(name):
        raise ValueError(f"not a stored audio name: {name!r}")
    return upload_dir() / name


def store_audio(stream: IO[bytes]) -> StoredAudio:
    """Check and save an uploaded audio stream under a random name; the client's name is never used."""
    head = stream.read(64)
    kind = sniff(head)
    if kind is None:
        raise UploadError(str(_l("只能上传 webm、ogg、m4a、mp3 或 wav 格式的音频文件（按文件内容识别）。")))
    folder = upload_dir()
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(16)}.{kind}"
    path = folder / name
    size = len(head)
    with path.open("xb") as out:
        out.write(head)
        while chunk := stream.read(CHUNK):
            size += len(chunk)
            if size > MAX_AUDIO_BYTES:
                break
            out.write(chunk)
    if size > MAX_AUDIO_BYTES:
        path.unlink(missing_ok=True)
        raise UploadError(str(_l("音频文件不能超过 25 MB。")))
    return StoredAudio(name, AUDIO_TYPES[kind], size)


def delete_audio(name: str | None) -> None:
    """Remove a stored audio file if it exists."""
    if name:
        audio_path(name).unlink(missing_ok=True)
