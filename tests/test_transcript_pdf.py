"""The printable transcript: an A4 PDF with the person, their courses, results, certificates and waivers,
page numbers and a header row repeated on every page a table runs onto; the HTML transcript's access."""

from __future__ import annotations

import base64
import re
import zlib
from datetime import timedelta
from urllib.parse import unquote

import pytest
from sqlalchemy import select

from app.accounts.models import User, UserRole
from app.completion import services
from app.completion.models import Certificate
from app.core.time import utcnow
from app.extensions import db
from tests import factories
from tests.test_reports import YESTERDAY, people, progressed  # noqa: F401  (fixtures)

# Text extraction with the standard library (no PDF library in the project): decode each content stream
# and its strings with the font's ToUnicode map (an embedded TrueType subset) or as UTF-16BE (a CID font
# with a UCS-2 encoding), whichever cjk_font() gives.

OBJECT = re.compile(rb"(\d+) 0 obj\s*(.*?)endobj", re.S)
STREAM = re.compile(rb"stream\r?\n(.*?)\r?\n?endstream", re.S)
STRING = rb"\((?:\\.|[^\\)])*\)|<[0-9A-Fa-f\s]*>"
TEXT = re.compile(rb"/([A-Za-z0-9+_.-]+)\s+[\d.]+\s+Tf|(" + STRING + rb")\s*Tj|\[((?:" + STRING + rb"|[^\]])*)\]\s*TJ")


def _stream(body: bytes) -> bytes:
    match = STREAM.search(body)
    if match is None:
        return b""
    data, head = match.group(1), body[: match.start()]
    if b"/ASCII85Decode" in head:
        data = base64.a85decode(data.strip(), adobe=True)
    return zlib.decompress(data) if b"/FlateDecode" in head else data


def _cmap(data: bytes) -> dict[int, str]:
    out: dict[int, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", data, re.S):
        for src, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            out[int(src, 16)] = bytes.fromhex(dst.decode()).decode("utf-16-be")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", data, re.S):
        for low, high, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            start = int(dst, 16)
            for offset, code in enumerate(range(int(low, 16), int(high, 16) + 1)):
                out[code] = chr(start + offset)
    return out


def _bytes(token: bytes) -> bytes:
    if token.startswith(b"<"):
        return bytes.fromhex(re.sub(rb"\s", b"", token[1:-1]).decode())
    escapes = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}
    return re.sub(
        rb"\\([0-7]{1,3}|.)",
        lambda m: bytes([int(m.group(1), 8)]) if m.group(1).isdigit() else escapes.get(m.group(1), m.group(1)),
        token[1:-1],
        flags=re.S,
    )


def pdf_pages(pdf: bytes) -> list[str]:
    """The text of each page (one line per text operator), in page order."""
    objects = {int(number): body for number, body in OBJECT.findall(pdf)}
    fonts = {}
    for body in objects.values():
        for name, ref in re.findall(rb"/(F[0-9+]+)\s+(\d+) 0 R", body):
            font = objects.get(int(ref), b"")
            to_unicode = re.search(rb"/ToUnicode\s+(\d+) 0 R", font)
            if to_unicode:
                fonts[name.decode()] = _cmap(_stream(objects[int(to_unicode.group(1))]))
            else:
                fonts[name.decode()] = "utf-16-be" if b"UCS2" in font else "latin-1"
    kids = re.search(rb"/Kids \[([^\]]*)\]", pdf)
    assert kids is not None
    pages = []
    for page_ref in re.findall(rb"(\d+) 0 R", kids.group(1)):
        contents = re.search(rb"/Contents (\d+) 0 R", objects[int(page_ref)])
        assert contents is not None
        font, lines = None, []
        for match in TEXT.finditer(_stream(objects[int(contents.group(1))])):
            if match.group(1):
                font = fonts.get(match.group(1).decode())
                continue
            raw = b"".join(map(_bytes, [match.group(2)] if match.group(2) else re.findall(STRING, match.group(3))))
            lines.append(raw.decode(font) if isinstance(font, str) else "".join(font.get(b, "?") for b in raw))
        pages.append("\n".join(lines))
    return pages


def get_pdf(client, user_id: int):
    return client.get(f"/reports/trainees/{user_id}/transcript.pdf")


def test_pdf_holds_the_person_courses_results_and_certificate(client, login_as, progressed):  # noqa: F811
    login_as("hr")
    done = progressed["done"]
    done.position = "门店顾问"
    db.session.commit()
    response = get_pdf(client, done.id)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pdf = response.get_data()
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    assert b"/MediaBox [ 0 0 595.2756 841.8898 ]" in pdf  # A4 portrait
    pages = pdf_pages(pdf)
    assert len(pages) == 1
    text = pages[0]
    for expected in ("张小红 的成绩单", "工号", "A001", "门店销售部", "门店顾问", "测试课程", "已完成", "4 / 4"):
        assert expected in text, expected
    assert "测试知识检测\n100%\n通过" in text
    assert "测试角色扮演\n7 / 10 分\n通过" in text
    cert = db.session.scalar(select(Certificate).where(Certificate.user_id == done.id))
    assert f"{cert.code}\n{cert.issued_at.date().isoformat()}" in text and "有效" in text
    assert YESTERDAY.isoformat() in text  # the due date
    assert f"生成日期：{utcnow().date().isoformat()}" in text and "第 1 页，共 1 页" in text


def test_filename_is_utf8_with_an_ascii_fallback(client, login_as, progressed):  # noqa: F811
    login_as("hr")
    done = progressed["done"]
    disposition = get_pdf(client, done.id).headers["Content-Disposition"]
    assert disposition.startswith(f'attachment; filename="transcript-{done.id}-')
    encoded = re.search(r"filename\*=UTF-8''(\S+)$", disposition)
    assert encoded is not None and unquote(encoded.group(1)).startswith("成绩单-张小红-")
    assert re.fullmatch(r"[A-Za-z0-9%._~-]+", encoded.group(1))  # RFC 5987: only attr-chars and escapes


def test_in_progress_person_shows_overdue_failed_quiz_and_waivers(client, login_as, progressed):  # noqa: F811
    hr = login_as("hr")
    busy = progressed["busy"]
    services.waive(busy, factories.course(), "roleplay", "demo-card", "线下已考核 <b>&</b>", hr)
    text = "\n".join(pdf_pages(get_pdf(client, busy.id).get_data()))
    assert "已逾期" in text and "测试知识检测\n33%\n未通过" in text
    assert "测试角色扮演\n—\n已豁免" in text
    assert "线下已考核 <b>&</b>" in text  # shown as typed, not read as markup
    assert "没有结业证书。" in text


def test_long_tables_repeat_their_header_and_number_the_pages(client, login_as, progressed):  # noqa: F811
    login_as("hr")
    done = progressed["done"]
    course = factories.course()
    for n in range(80):
        db.session.add(
            Certificate(
                code=f"OLD{n:05d}",
                user_id=done.id,
                course_id=course.id,
                recipient_name=done.name,
                course_title=course.title,
                issued_at=utcnow() - timedelta(days=400 + n),
                status="revoked",
            )
        )
    db.session.commit()
    pages = pdf_pages(get_pdf(client, done.id).get_data())
    assert len(pages) >= 3
    for number, page in enumerate(pages, start=1):
        assert f"第 {number} 页，共 {len(pages)} 页" in page
        assert "张小红 · A001" in page
    spanned = [page for page in pages if "OLD" in page]
    assert len(spanned) >= 2 and all("证书编号" in page for page in spanned)  # the header row on each page
    text = "\n".join(pages)
    assert text.count("已撤销") == 80 and all(f"OLD{n:05d}" in text for n in range(80))


def test_query_count_does_not_grow_with_the_records(client, login_as, count_queries, progressed):  # noqa: F811
    hr = login_as("hr")
    done, busy = progressed["done"], progressed["busy"]

    def measure(user) -> int:
        get_pdf(client, user.id)  # warm up: the same session state before each measured call
        with count_queries() as counted:
            assert get_pdf(client, user.id).status_code == 200
        return counted()

    services.waive(busy, factories.course(), "quiz", "demo-check", "补考", hr)
    before = measure(done), measure(busy)  # one certificate; one waiver (its author's roles: one more query)
    course = factories.course()
    for n in range(30):
        db.session.add(
            Certificate(
                code=f"MORE{n:04d}",
                user_id=done.id,
                course_id=course.id,
                recipient_name=done.name,
                course_title=course.title,
                status="revoked",
            )
        )
    db.session.commit()
    services.waive(busy, course, "roleplay", "demo-card", "线下", login_as("hr"))  # by another person
    login_as(hr)
    assert 0 < before[0] == measure(done)
    assert 0 < before[1] == measure(busy)


@pytest.mark.parametrize("viewer", ["anon", "self", "other-trainee", "instructor", "outside-instructor", "hr", "admin"])
def test_same_access_as_the_html_transcript(client, login_as, make_user, progressed, viewer):  # noqa: F811
    done = progressed["done"]
    expected = {
        "anon": 302,
        "self": 200,
        "other-trainee": 403,
        "instructor": 200,
        "outside-instructor": 403,
        "hr": 200,
        "admin": 403,
    }[viewer]
    if viewer == "self":
        login_as(done)
    elif viewer == "other-trainee":
        login_as(progressed["busy"])
    elif viewer == "instructor":
        login_as(progressed["grader"])
    elif viewer == "outside-instructor":
        login_as(make_user("elsewhere", roles=["instructor"], cohort="c2"))
    elif viewer in ("hr", "admin"):
        login_as(viewer)
    html = client.get(f"/reports/trainees/{done.id}")
    pdf = get_pdf(client, done.id)
    assert html.status_code == pdf.status_code == expected
    assert get_pdf(client, 999999).status_code in (302, 404)


def test_transcript_page_links_to_the_pdf(client, login_as, progressed):  # noqa: F811
    login_as("hr")
    done = progressed["done"]
    page = client.get(f"/reports/trainees/{done.id}").get_data(as_text=True)
    assert f'href="/reports/trainees/{done.id}/transcript.pdf"' in page
    trainee = db.session.scalar(select(User).join(UserRole).where(UserRole.role == "trainee", User.id == done.id))
    login_as(trainee)
    assert f"/reports/trainees/{done.id}/transcript.pdf" in client.get(f"/reports/trainees/{done.id}").get_data(
        as_text=True
    )
