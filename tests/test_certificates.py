"""Certificates: issued on completion, a one-page PDF with Chinese text, and public verification."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app.accounts.models import User
from app.completion.codes import new_code, normalise_code
from app.completion.models import Certificate
from app.extensions import db
from tests import factories
from tests.test_completion import finish_course


@pytest.fixture
def certificate(app, make_user):
    """A trainee who finished demo-course, and their certificate."""
    trainee = make_user("t1", roles=["trainee"], cohort="c1", name="张小红")
    grader = make_user("teacher", roles=["instructor"], cohort="c1")
    factories.assign(cohort="c1")
    finish_course(app, trainee, grader)
    return db.session.scalar(select(Certificate).where(Certificate.user_id == trainee.id))


def test_codes_are_random_and_forgiving_to_type():
    codes = {new_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(re.fullmatch(r"([A-HJ-NP-Z2-9]{4}-){3}[A-HJ-NP-Z2-9]{4}", c) for c in codes)
    assert normalise_code(" k7qm 3xtr-9hwa plc2 ") == "K7QM-3XTR-9HWA-PLC2"


def pdf_text(pdf: bytes) -> str:
    """The text of every page, as a PDF reader extracts it (through the embedded font's ToUnicode map)."""
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_pdf_is_one_page_with_chinese_text(client, login_as, certificate):
    login_as(db.session.get(User, certificate.user_id))
    response = client.get(f"/certificates/{certificate.id}.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    pdf = response.get_data()
    assert pdf.startswith(b"%PDF-")
    assert b"/Count 1" in pdf and len(re.findall(rb"/Type /Page\b(?!s)", pdf)) == 1
    assert b"/FontFile2" in pdf and b"STSong" not in pdf  # the TrueType font is embedded (a subset)
    text = pdf_text(pdf)
    assert "结 业 证 书" in text and "张小红" in text and "《测试课程》" in text
    assert f"证书编号：{certificate.code}" in text
    assert f"/verify/{certificate.code}" in text


def test_verification_shows_only_name_course_and_date(client, certificate):
    page = client.get(f"/verify/{certificate.code.lower().replace('-', '')}").get_data(as_text=True)
    assert "这是一张有效的结业证书" in page
    assert "张小红" in page and "测试课程" in page
    assert "t1" not in page  # no username, department, scores
    by_form = client.get("/verify", query_string={"code": certificate.code})
    assert by_form.status_code == 200 and "张小红" in by_form.get_data(as_text=True)


def test_unknown_code_is_404_and_says_so(client, certificate):
    response = client.get("/verify/ZZZZ-ZZZZ-ZZZZ-ZZZZ")
    assert response.status_code == 404
    assert "没有找到编号为 ZZZZ-ZZZZ-ZZZZ-ZZZZ 的证书" in response.get_data(as_text=True)


def test_certificate_keeps_the_name_it_was_issued_with(client, certificate):
    user = db.session.get(User, certificate.user_id)
    user.name = "改名后"
    db.session.commit()
    assert "张小红" in client.get(f"/verify/{certificate.code}").get_data(as_text=True)
