"""Audio uploads: type by content, size limit, server-made names, safe serving."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import current_app
from sqlalchemy import func, select

from app.extensions import db
from app.roleplay.models import Submission
from app.roleplay.uploads import MAX_AUDIO_BYTES, NAME_RE, audio_path, sniff
from tests.test_roleplay import MP3, RESPONSE, hand_in, login, only_submission, people

WEBM = bytes.fromhex("1a45dfa39f4286810142f7810142f2810442f381084282847765626d42878104")
OGG = b"OggS\x00\x02" + b"\x00" * 40
M4A = b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00M4A mp42isom" + b"\x00" * 20
MP3_FRAME = bytes([0xFF, 0xFB, 0x90, 0x64]) + b"\x00" * 40
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 40


@pytest.mark.parametrize(
    ("head", "kind"),
    [(WEBM, "webm"), (OGG, "ogg"), (M4A, "m4a"), (MP3, "mp3"), (MP3_FRAME, "mp3"), (WAV, "wav")],
)
def test_sniff_recognises_each_audio_format(head, kind):
    assert sniff(head) == kind


@pytest.mark.parametrize(
    "head",
    [
        b"<html><script>alert(1)</script></html>",
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 20,
        b"%PDF-1.7\n",
        bytes([0xFF, 0xF1, 0x50, 0x80]) + b"\x00" * 20,  # AAC ADTS, not MP3
        b"\x1a\x45\xdf\xa3\x01\x00\x00\x00\x00\x00\x00\x1fB\x82\x88matroska",  # Matroska video, not WebM
        b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00",  # QuickTime
        b"RIFF\x24\x00\x00\x00AVI LIST",
        b"",
    ],
)
def test_sniff_refuses_everything_else(head):
    assert sniff(head) is None


def stored_files() -> set[str]:
    """Every file under the upload folder (recursive)."""
    root = Path(current_app.config["UPLOAD_DIR"])
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def test_upload_is_stored_under_a_server_made_name(client):
    trainee, _ = people()
    login(client, trainee)
    before = stored_files()
    assert hand_in(client, audio=(MP3, "我的录音.mp3")).status_code == 302
    submission = only_submission()
    assert NAME_RE.match(submission.audio_name) and submission.audio_name.endswith(".mp3")
    assert (submission.audio_mime, submission.audio_size) == ("audio/mpeg", len(MP3))
    assert stored_files() - before == {f"roleplay/{submission.audio_name}"}
    assert audio_path(submission.audio_name).read_bytes() == MP3


def test_type_is_checked_by_content_not_name(client):
    trainee, _ = people()
    login(client, trainee)
    before = stored_files()
    response = hand_in(client, audio=(b"<html><script>alert(1)</script></html>", "song.mp3"))
    assert response.status_code == 400
    assert "按文件内容识别" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Submission)) == 0
    assert stored_files() == before
    # A real WebM under a misleading name is accepted and named by its content.
    assert hand_in(client, audio=(WEBM, "notes.txt")).status_code == 302
    assert only_submission().audio_name.endswith(".webm")


def test_oversized_audio_is_refused_and_nothing_is_kept(client):
    trainee, _ = people()
    login(client, trainee)
    before = stored_files()
    response = hand_in(client, audio=(MP3 + b"\x00" * (MAX_AUDIO_BYTES + 1 - len(MP3)), "long.mp3"))
    assert response.status_code == 400
    assert "不能超过 25 MB" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Submission)) == 0
    assert stored_files() == before


def test_audio_at_exactly_the_limit_is_accepted(client):
    trainee, _ = people()
    login(client, trainee)
    assert hand_in(client, audio=(MP3 + b"\x00" * (MAX_AUDIO_BYTES - len(MP3)), "max.mp3")).status_code == 302
    assert only_submission().audio_size == MAX_AUDIO_BYTES


def test_request_over_the_content_limit_gets_413(client):
    trainee, _ = people()
    login(client, trainee)
    response = hand_in(client, audio=(MP3 + b"\x00" * (27 * 1024 * 1024), "huge.mp3"))
    assert response.status_code == 413
    assert db.session.scalar(select(func.count()).select_from(Submission)) == 0


@pytest.mark.parametrize(
    "name", ["../../../evil.mp3", "..\\..\\evil.mp3", "/etc/evil.mp3", "evil.mp3\x00.html", ".mp3"]
)
def test_path_tricks_in_names_are_ignored(client, name):
    trainee, _ = people()
    login(client, trainee)
    root = Path(current_app.config["UPLOAD_DIR"])
    assert hand_in(client, audio=(MP3, name)).status_code == 302
    submission = only_submission()
    assert "evil" not in submission.audio_name
    assert audio_path(submission.audio_name).parent == root / "roleplay"
    assert not any("evil" in p.name for p in root.parent.rglob("*"))


@pytest.mark.parametrize("name", ["../secret.mp3", "abc.mp3", "0" * 32 + ".html", "0" * 32 + ".mp3/../x"])
def test_audio_path_refuses_names_the_server_did_not_make(app, name):
    with pytest.raises(ValueError):
        audio_path(name)


def test_new_recording_replaces_and_deletes_the_old_one(client):
    trainee, _ = people()
    login(client, trainee)
    hand_in(client, "草稿", button="save", audio=(MP3, "a.mp3"))
    first = only_submission().audio_name
    hand_in(client, "草稿", button="save", audio=(WAV, "b.wav"))
    second = only_submission().audio_name
    assert first != second and second.endswith(".wav")
    assert not audio_path(first).exists() and audio_path(second).exists()
    hand_in(client, "草稿", button="save")  # no new file: the recording stays
    assert only_submission().audio_name == second


def test_audio_is_served_as_an_attachment_with_its_audio_type(client):
    trainee, _ = people()
    login(client, trainee)
    hand_in(client, RESPONSE, audio=(OGG, "x.ogg"))
    submission = only_submission()
    response = client.get(f"/submissions/{submission.id}/audio")
    assert response.status_code == 200
    assert response.data == OGG
    assert response.mimetype == "audio/ogg"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    partial = client.get(f"/submissions/{submission.id}/audio", headers={"Range": "bytes=0-3"})
    assert partial.status_code == 206 and partial.data == b"OggS"
