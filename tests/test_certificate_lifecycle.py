"""Certificates follow completion: revoked when it is lost, issued anew when regained, revoked by HR,
whole-course waivers (免修), the register, the PDF's embedded font, and recertification (expiry)."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import func, select

from app.accounts.models import User
from app.completion import services
from app.completion.expiry import expiry_reminders
from app.completion.models import Certificate, CertificateReminderLog, CourseWaiver
from app.content.loader.common import Problem
from app.content.loader.courses import load_course
from app.core.audit import AuditEvent
from app.extensions import db
from app.learning.models import Assignment, Module
from app.notifications.models import Notification
from app.reports.certificates import certificate_pdf, certificates_archive, study_hours
from app.roleplay import services as roleplay
from tests import factories
from tests.test_completion import finish_course, grade_roleplay, read_all, record, take_quiz

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n" + b"1 0 obj\n<<>>\nendobj\n" * 4


@pytest.fixture
def hr(app, make_user):
    """An HR user."""
    return make_user("hr1", roles=["hr"], name="人事甲")


@pytest.fixture
def learner(app, make_user):
    """A trainee with a 工号, department and e-mail, assigned demo-course."""
    user = make_user(
        "t1",
        roles=["trainee"],
        cohort="c1",
        department="门店销售部",
        name="张小红",
        employee_no="E1001",
        email="t1@example.com",
    )
    factories.assign(cohort="c1")
    return user


@pytest.fixture
def grader(app, make_user):
    """An instructor of c1."""
    return make_user("teacher", roles=["instructor"], cohort="c1")


def certs(user) -> list[Certificate]:
    """The person's certificates, oldest first, fresh from the database."""
    db.session.expire_all()
    return list(db.session.scalars(select(Certificate).where(Certificate.user_id == user.id).order_by(Certificate.id)))


def pdf_text(pdf: bytes) -> str:
    """The text a PDF reader extracts."""
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def waive_all_items(user, hr) -> None:
    """Waive every checklist item of demo-course one by one."""
    course = factories.course()
    for kind, slug in (
        ("module", "first-steps"),
        ("module", "second-steps"),
        ("quiz", "demo-check"),
        ("roleplay", "demo-card"),
    ):
        services.waive(user, course, kind, slug, "线下已培训", hr)


# Waivers -------------------------------------------------------------------------------------------


def test_waivers_alone_never_complete_a_course_nor_issue_a_certificate(learner, hr):
    waive_all_items(learner, hr)
    assert record(learner).status == "in_progress"
    assert certs(learner) == []


def test_one_real_item_and_waivers_complete(learner, hr):
    read_all(learner)
    services.waive(learner, factories.course(), "quiz", "demo-check", "外部考试已通过", hr)
    services.waive(learner, factories.course(), "roleplay", "demo-card", "线下演练", hr)
    assert record(learner).status == "complete"
    (cert,) = certs(learner)
    assert cert.status == "valid" and not cert.waived


def test_whole_course_waiver_issues_a_certificate_marked_mianxiu_and_revoking_it_revokes(client, learner, hr):
    waiver = services.waive_course(learner, factories.course(), "已取得同等资质证书", hr)
    assert record(learner).status == "complete"
    (cert,) = certs(learner)
    assert cert.waived and cert.status == "valid"
    page = client.get(f"/verify/{cert.code}").get_data(as_text=True)
    assert "这是一张有效的结业证书" in page and "免修" in page
    assert "免修" in pdf_text(certificate_pdf(cert, "https://example.com/verify/x"))

    services.revoke_course_waiver(waiver, hr, "资质证书已过期")
    assert record(learner).status != "complete"
    (cert,) = certs(learner)
    assert cert.status == "revoked" and "免修被撤销" in cert.revoked_reason
    assert db.session.scalar(select(func.count()).select_from(CourseWaiver)) == 0
    page = client.get(f"/verify/{cert.code}").get_data(as_text=True)
    assert "被撤销" in page and "资质证书已过期" not in page


def test_course_waiver_through_the_form_with_evidence_downloadable_by_hr_only(client, login_as, learner, hr, app):
    login_as(hr)
    course = factories.course()
    url = f"/reports/trainees/{learner.id}/courses/{course.id}/course-waiver"
    response = client.post(
        url,
        data={"reason": "外部培训合格", "evidence": (io.BytesIO(PNG), "证明.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    waiver = db.session.scalar(select(CourseWaiver))
    assert waiver.evidence_mime == "image/png" and waiver.evidence_filename == "证明.png"
    assert (Path(app.config["UPLOAD_DIR"]) / "waivers" / waiver.evidence_name).is_file()
    evidence = f"{url}/{waiver.id}/evidence"
    download = client.get(evidence)
    assert download.status_code == 200 and download.data == PNG
    assert "attachment" in download.headers["Content-Disposition"]
    assert (
        client.get(
            f"/reports/trainees/{learner.id}/courses/{course.id}/course-waiver/{waiver.id + 1}/evidence"
        ).status_code
        == 404
    )
    page = client.get(f"/reports/trainees/{learner.id}").get_data(as_text=True)
    assert "整门课程免修" in page and "下载证明材料" in page
    login_as(learner)
    assert client.get(evidence).status_code == 403
    login_as("instructor")
    assert client.get(evidence).status_code == 403


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"reason": ""}, "请填写免修原因"),
        ({"reason": "长" * 501}, "不能超过 500 个字"),
        ({"reason": "合格", "evidence": (io.BytesIO(b"MZ\x90\x00 not a pdf"), "virus.pdf")}, "PDF、JPG 或 PNG"),
    ],
)
def test_bad_course_waivers_store_nothing(client, login_as, learner, hr, payload, message):
    login_as(hr)
    course = factories.course()
    response = client.post(
        f"/reports/trainees/{learner.id}/courses/{course.id}/course-waiver",
        data=payload,
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(CourseWaiver)) == 0
    assert certs(learner) == []


def test_evidence_over_the_size_limit_is_refused(app, learner, hr, monkeypatch):
    monkeypatch.setitem(app.config, "WAIVER_EVIDENCE_MAX_BYTES", 1024)
    folder = Path(app.config["UPLOAD_DIR"]) / "waivers"
    before = set(folder.glob("*"))
    with pytest.raises(services.InvalidInput, match="不能超过"):
        services.waive_course(learner, factories.course(), "合格", hr, io.BytesIO(PDF * 100), "big.pdf")
    assert db.session.scalar(select(func.count()).select_from(CourseWaiver)) == 0
    assert set(folder.glob("*")) == before  # the partial file is removed


def test_only_hr_waives_a_whole_course(client, login_as, learner):
    for role in ("trainee", "instructor", "admin", "manager"):
        login_as(role)
        course = factories.course()
        response = client.post(
            f"/reports/trainees/{learner.id}/courses/{course.id}/course-waiver", data={"reason": "合格"}
        )
        assert response.status_code == 403
    assert db.session.scalar(select(func.count()).select_from(CourseWaiver)) == 0


# Completion lost and regained -------------------------------------------------------------------


def test_regrade_to_fail_revokes_and_a_new_pass_issues_a_new_certificate(app, client, learner, grader):
    read_all(learner)
    take_quiz(learner)
    submission = grade_roleplay(app, learner, grader)
    (first,) = certs(learner)
    with app.test_request_context():
        db.session.refresh(submission)
        roleplay.save_grading(
            grader,
            submission,
            action="grade",
            expected_version=submission.version_id,
            levels={"calm-first": 0, "solution": 0},
            comments={},
            overall="重新评分：未达标",
        )
    assert record(learner).status == "in_progress"
    (first,) = certs(learner)
    assert first.status == "revoked" and "不再满足" in first.revoked_reason

    grade_roleplay(app, learner, grader)  # a new submission passes: completion regained
    old, new = certs(learner)
    assert old.code == first.code and old.status == "revoked"
    assert new.status == "valid" and new.code != old.code
    assert "这是一张有效的结业证书" in client.get(f"/verify/{new.code}").get_data(as_text=True)
    old_page = client.get(f"/verify/{old.code}").get_data(as_text=True)
    assert "被撤销" in old_page and "这是一张有效的结业证书" not in old_page


def test_content_change_adding_a_requirement_revokes(app, learner, grader):
    finish_course(app, learner, grader)
    course = factories.course()
    db.session.add(Module(course_id=course.id, slug="third-steps", position=3, title="第三步", minutes=5))
    db.session.commit()
    services.recompute_all()  # as after a content load that changed something
    assert record(learner).status == "in_progress"
    (cert,) = certs(learner)
    assert cert.status == "revoked" and "不再满足" in cert.revoked_reason


# Manual revocation ----------------------------------------------------------------------------------


@pytest.fixture
def issued(app, learner, grader) -> Certificate:
    """The learner finished demo-course: their valid certificate."""
    finish_course(app, learner, grader)
    (cert,) = certs(learner)
    return cert


def revoke_url(cert: Certificate, user_id: int | None = None) -> str:
    """The manual revoke route of a certificate under a person."""
    return f"/reports/trainees/{user_id or cert.user_id}/certificates/{cert.id}/revoke"


def test_hr_revokes_by_hand_with_a_reason_audited(client, login_as, hr, issued):
    login_as(hr)
    response = client.post(revoke_url(issued), data={"reason": "  发现代考  "})
    assert response.status_code == 302
    (cert,) = certs(db.session.get(User, issued.user_id))
    assert cert.status == "revoked" and cert.revoked_reason == "发现代考" and cert.revoked_by_id == hr.id
    (event,) = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "completion.certificate_revoked"))
    assert event.actor_id == hr.id and event.details["reason"] == "发现代考" and event.details["code"] == cert.code
    assert record(db.session.get(User, issued.user_id)).status == "complete"  # completion itself stands
    page = client.get(f"/verify/{cert.code}").get_data(as_text=True)
    assert "被撤销" in page and "发现代考" not in page
    again = client.post(revoke_url(issued), data={"reason": "再次"}, follow_redirects=True)
    assert "已被撤销或已过期" in again.get_data(as_text=True)


def test_an_admin_may_revoke(client, login_as, issued):
    login_as("admin")
    assert client.post(revoke_url(issued), data={"reason": "数据清理"}).status_code == 302
    assert certs(db.session.get(User, issued.user_id))[0].status == "revoked"


@pytest.mark.parametrize("role", ["trainee", "instructor", "manager"])
def test_other_roles_may_not_revoke(client, login_as, issued, role):
    login_as(role)
    assert client.post(revoke_url(issued), data={"reason": "我想撤销"}).status_code == 403
    assert certs(db.session.get(User, issued.user_id))[0].status == "valid"


def test_the_owner_may_not_revoke_their_own(client, login_as, issued):
    login_as(db.session.get(User, issued.user_id))
    assert client.post(revoke_url(issued), data={"reason": "不想要了"}).status_code == 403


def test_someone_elses_id_is_404(client, login_as, hr, issued, make_user):
    other = make_user("other", roles=["trainee"])
    login_as(hr)
    assert client.post(revoke_url(issued, other.id), data={"reason": "错人"}).status_code == 404
    assert (
        client.post(
            f"/reports/trainees/{issued.user_id}/certificates/{issued.id + 99}/revoke", data={"reason": "x"}
        ).status_code
        == 404
    )
    assert certs(db.session.get(User, issued.user_id))[0].status == "valid"


@pytest.mark.parametrize(
    ("reason", "status", "message"),
    [
        ("", 302, "请填写撤销原因"),
        ("   ", 302, "请填写撤销原因"),
        ("长" * 501, 302, "不能超过 500 个字"),
        ("a\x00b", 302, "控制字符"),
    ],
)
def test_bad_reasons_are_refused_and_nothing_changes(client, login_as, hr, issued, reason, status, message):
    login_as(hr)
    response = client.post(revoke_url(issued), data={"reason": reason})
    assert response.status_code == status
    if message:
        assert message in client.get(response.headers["Location"]).get_data(as_text=True)
    assert certs(db.session.get(User, issued.user_id))[0].status == "valid"


def test_service_refuses_control_characters(hr, issued):
    with pytest.raises(services.ReasonError, match="控制字符"):
        services.revoke_certificate(issued, hr, "bad\x07reason")
    assert certs(db.session.get(User, issued.user_id))[0].status == "valid"


def test_revoke_without_csrf_token_fails(app, client, login_as, hr, issued):
    login_as(hr)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post(revoke_url(issued), data={"reason": "发现代考"})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code in (302, 400)
    assert certs(db.session.get(User, issued.user_id))[0].status == "valid"


# Verification page --------------------------------------------------------------------------------


def test_verify_shows_no_personal_data_beyond_name_course_and_dates(client, learner, issued):
    page = client.get(f"/verify/{issued.code}").get_data(as_text=True)
    assert "张小红" in page and "测试课程" in page
    for private in ("E1001", "门店销售部", "t1@example.com", ">t1<"):
        assert private not in page


def test_unknown_code_is_a_404_in_the_users_language(client):
    client.set_cookie("locale", "en")
    response = client.get("/verify/ZZZZ-ZZZZ-ZZZZ-ZZZZ")
    assert response.status_code == 404
    text = response.get_data(as_text=True)
    assert "ZZZZ-ZZZZ-ZZZZ-ZZZZ" in text and "没有找到" not in text
    assert "No certificate" in text
    client.delete_cookie("locale")
    assert "没有找到" in client.get("/verify/ZZZZ-ZZZZ-ZZZZ-ZZZZ").get_data(as_text=True)


# The PDF ---------------------------------------------------------------------------------------------


def test_pdf_embeds_a_font_subset_and_carries_company_hours_employee_no(app, client, login_as, issued, monkeypatch):
    monkeypatch.setitem(app.config, "COMPANY_NAME", "星辰科技有限公司")
    login_as(db.session.get(User, issued.user_id))
    pdf = client.get(f"/certificates/{issued.id}.pdf").get_data()
    assert b"/FontFile2" in pdf and b"STSong" not in pdf
    assert re.search(rb"/BaseFont /[A-Z]{6}\+WenQuanYiMicroHei", pdf)  # a subset: named XXXXXX+<font>
    text = pdf_text(pdf)
    minutes = sum(m.minutes for m in factories.course().active_modules)
    assert issued.minutes == minutes
    assert f"学时：{study_hours(minutes)} 学时" in text
    assert "工号：E1001" in text and "星辰科技有限公司" in text and "张小红" in text
    assert f"证书编号：{issued.code}" in text and "有效期至" not in text  # not renewable


def test_pdf_draws_the_logo_when_configured(app, issued, tmp_path, monkeypatch):
    from PIL import Image

    logo = tmp_path / "logo.png"
    Image.new("RGB", (200, 80), "navy").save(logo)
    plain = certificate_pdf(issued, "https://example.com/verify/x")
    monkeypatch.setitem(app.config, "COMPANY_LOGO", str(logo))
    with_logo = certificate_pdf(issued, "https://example.com/verify/x")
    assert b"/Subtype /Image" in with_logo and b"/Subtype /Image" not in plain


def test_missing_font_file_falls_back_with_a_warning(app, issued, monkeypatch, caplog):
    monkeypatch.setitem(app.config, "CERTIFICATE_FONT", "/nonexistent/font.ttc")
    pdf = certificate_pdf(issued, "https://example.com/verify/x")
    assert b"STSong-Light" in pdf and b"/FontFile2" not in pdf
    assert any("falling back" in r.getMessage() for r in caplog.records)


def test_study_hours_are_45_minute_class_hours_to_the_half():
    assert [study_hours(m) for m in (0, 10, 45, 60, 90, 100)] == ["0", "0.5", "1", "1.5", "2", "2"]


# The register ----------------------------------------------------------------------------------------


def make_certs(n: int, *, department: str = "客服一部", status: str = "valid") -> list[Certificate]:
    """n people with a certificate of demo-course each (made directly: the register only reads)."""
    course = factories.course()
    out = []
    for _ in range(n):
        i = factories.next_id()
        user = factories.make_user(
            f"p{i}", roles=["trainee"], department=department, name=f"学员{i}", employee_no=f"N{i}"
        )
        cert = Certificate(
            code=f"TEST-{i:04d}-AAAA-BBBB",
            user_id=user.id,
            course_id=course.id,
            recipient_name=user.name,
            course_title=course.title,
            employee_no=user.employee_no,
            minutes=13,
            status=status,
        )
        db.session.add(cert)
        out.append(cert)
    db.session.commit()
    return out


def test_register_is_for_hr_and_admin_only(client, login_as):
    for role, code in (("hr", 200), ("admin", 200), ("trainee", 403), ("instructor", 403), ("manager", 403)):
        login_as(role)
        assert client.get("/hr/certificates").status_code == code
        assert client.get("/hr/certificates.csv").status_code == code
        assert client.get("/hr/certificates.zip").status_code == code


def test_register_filters_by_status_department_search_and_date(client, login_as, hr):
    make_certs(2, department="客服一部")
    revoked = make_certs(1, department="客服二部", status="revoked")[0]
    lapsed = make_certs(1, department="客服二部")[0]
    lapsed.expires_at = date.today()  # past its day: expired even before the daily job ran
    db.session.commit()
    login_as(hr)

    def codes(**args) -> set[str]:
        page = client.get("/hr/certificates", query_string=args).get_data(as_text=True)
        return {c for c in (x.code for x in db.session.scalars(select(Certificate))) if c in page}

    assert len(codes()) == 4
    assert codes(status="revoked") == {revoked.code}
    assert codes(status="expired") == {lapsed.code}
    assert len(codes(status="valid")) == 2
    dept = db.session.scalar(select(User.department_id).where(User.id == revoked.user_id))
    assert codes(department=dept) == {revoked.code, lapsed.code}
    assert codes(q=revoked.employee_no) == {revoked.code}
    assert codes(q="学员") and codes(q="%") == set()
    assert len(codes(issued_from=date.today().isoformat(), issued_to=date.today().isoformat())) == 4
    assert codes(issued_to=(date.today() - timedelta(days=1)).isoformat()) == set()
    assert client.get("/hr/certificates", query_string={"status": "bogus", "issued_from": "x"}).status_code == 200


def test_register_runs_a_fixed_number_of_queries(client, login_as, hr, count_queries):
    make_certs(3)
    login_as(hr)
    with count_queries() as few:
        client.get("/hr/certificates")
    make_certs(15)
    with count_queries() as many:
        client.get("/hr/certificates")
    assert few() == many()
    with count_queries() as csv_few:
        client.get("/hr/certificates.csv").get_data()
    make_certs(5)
    with count_queries() as csv_many:
        client.get("/hr/certificates.csv").get_data()
    assert csv_few() == csv_many()


def test_register_paginates(app, client, login_as, hr):
    make_certs(app.config["PER_PAGE"] + 3)
    login_as(hr)
    first = client.get("/hr/certificates").get_data(as_text=True)
    second = client.get("/hr/certificates?page=2").get_data(as_text=True)
    assert first.count("data-code=") == app.config["PER_PAGE"] and second.count("data-code=") == 3


def test_register_csv_and_xlsx(client, login_as, hr):
    (cert,) = make_certs(1)
    cert.recipient_name = "=HYPERLINK(1)"
    db.session.commit()
    login_as(hr)
    raw = client.get("/hr/certificates.csv").data
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:3] == ["证书编号", "姓名", "工号"]
    assert rows[1][0] == cert.code and rows[1][1] == "'=HYPERLINK(1)" and rows[1][8] == "有效"
    book = load_workbook(io.BytesIO(client.get("/hr/certificates.xlsx").data))
    sheet = book.active
    values = [c.value for c in sheet[2]]
    assert values[0] == cert.code and values[2] == cert.employee_no
    assert values[5] == float(study_hours(13)) and values[6].date() == cert.issued_at.date()


def test_register_zip_holds_the_filtered_pdfs_and_refuses_above_the_cap(app, client, login_as, hr, monkeypatch):
    made = make_certs(3)
    login_as(hr)
    response = client.get("/hr/certificates.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = archive.namelist()
    assert len(names) == 3 and all(n.endswith(".pdf") for n in names)
    assert any(made[0].code in n and made[0].employee_no in n for n in names)
    assert archive.read(names[0]).startswith(b"%PDF-")
    one = client.get("/hr/certificates.zip", query_string={"q": made[1].employee_no})
    assert len(zipfile.ZipFile(io.BytesIO(one.data)).namelist()) == 1
    monkeypatch.setitem(app.config, "CERTIFICATE_ARCHIVE_MAX", 2)
    refused = client.get("/hr/certificates.zip")
    assert refused.status_code == 422 and "超过 2 张证书" in refused.get_data(as_text=True)
    assert 'id="archive-job"' in refused.get_data(as_text=True)  # the way on: pack them in the background
    job_page = client.post("/jobs/certificates", follow_redirects=True)  # jobs run inline in tests
    assert job_page.status_code == 200
    download = re.search(r'href="(/jobs/\d+/download)"', job_page.get_data(as_text=True))
    assert download, "the finished job offers its archive"
    packed = zipfile.ZipFile(io.BytesIO(client.get(download.group(1)).data))
    assert len(packed.namelist()) == 3


def test_archive_builder_is_a_plain_function(app, hr):
    made = make_certs(2)
    data = certificates_archive(made, lambda code: f"https://example.com/verify/{code}")
    assert len(zipfile.ZipFile(io.BytesIO(data)).namelist()) == 2


# Trainee's view ------------------------------------------------------------------------------------


def test_trainee_sees_the_state_of_their_certificates(client, login_as, learner, hr, issued):
    login_as(learner)
    home = client.get("/dashboard").get_data(as_text=True)
    assert "证书有效" in home
    services.revoke_certificate(issued, hr, "核查")
    mine = client.get("/certificates").get_data(as_text=True)
    assert "已撤销" in mine and issued.code in mine and "核查" not in mine
    assert "证书已撤销" in client.get("/dashboard").get_data(as_text=True)
    login_as(hr)
    transcript = client.get(f"/reports/trainees/{learner.id}").get_data(as_text=True)
    assert "证书已撤销" in transcript and "核查" in transcript


# Recertification ------------------------------------------------------------------------------------


def test_renew_every_is_validated_by_the_loader(tmp_path):
    course = tmp_path / "courses" / "renew-course"
    course.mkdir(parents=True)
    for n in (1, 2, 3, 4):
        (course / f"0{n}-m{n}.md").write_text(f"---\ntitle: 模块{n}\nminutes: 5\nobjectives: [目标]\n---\n正文\n")
    for value, ok in (("12", True), ("0", False), ("121", False), ("'12'", False), ("true", False), ("1.5", False)):
        (course / "course.md").write_text(
            f"---\ntitle: 续证课程\nsummary: 一句话。\norder: 1\nrenew_every: {value}\n"
            "completion:\n  modules: all\n---\n介绍\n"
        )
        problems: list[Problem] = []
        data = load_course(course, tmp_path, problems)
        errors = [p for p in problems if not p.warning]
        if ok:
            assert not errors and data.renew_every == 12
        else:
            assert any("renew_every" in str(p) and "between 1 and 120" in str(p) for p in errors), value


@pytest.fixture
def renewable(app, learner, grader) -> Certificate:
    """demo-course renews every 12 months; the learner finished it."""
    course = factories.course()
    course.renew_every_months = 12
    db.session.commit()
    finish_course(app, learner, grader)
    (cert,) = certs(learner)
    return cert


def test_a_renewable_certificate_expires_on_its_day_and_the_person_is_reassigned(
    app, client, learner, grader, renewable
):
    issued_on = renewable.issued_at.date()
    assert renewable.expires_at == services.add_months(issued_on, 12)
    assert "有效期至" in pdf_text(certificate_pdf(renewable, "https://example.com/v"))

    assert services.expire_certificates(renewable.expires_at - timedelta(days=1)) == 0
    assert services.expire_certificates(renewable.expires_at) == 1
    assert services.expire_certificates(renewable.expires_at) == 0  # idempotent
    (cert,) = certs(learner)
    assert cert.status == "expired"
    page = client.get(f"/verify/{cert.code}").get_data(as_text=True)
    assert "过期" in page and "这是一张有效的结业证书" not in page

    row = record(learner)
    assert row.status != "complete" and row.cycle_started_at is not None
    assignment = db.session.scalar(select(Assignment).where(Assignment.user_id == learner.id))
    assert assignment.due_date == date.today() + timedelta(days=app.config["RENEWAL_DUE_DAYS"])
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == learner.id, Notification.kind == "learning.renewal")
        )
        == 1
    )

    # old evidence does not count: a recompute leaves the course incomplete
    services.recompute_all()
    assert record(learner).status != "complete" and len(certs(learner)) == 1

    # new evidence completes the new cycle with a new certificate
    finish_course(app, learner, grader)
    assert record(learner).status == "complete"
    old, new = certs(learner)
    assert old.status == "expired" and new.status == "valid" and new.code != old.code
    assert new.expires_at == services.add_months(new.issued_at.date(), 12)


def test_old_waivers_do_not_count_in_a_new_cycle(app, learner, hr, renewable):
    services.expire_certificates(renewable.expires_at)
    read_all(learner)
    take_quiz(learner)
    services.waive(learner, factories.course(), "roleplay", "demo-card", "新周期线下演练", hr)
    assert record(learner).status == "complete"
    assert certs(learner)[-1].status == "valid"


def test_the_expire_command(runner, renewable):
    result = runner.invoke(args=["certificates", "expire", "--today", renewable.expires_at.isoformat()])
    assert result.exit_code == 0 and "Certificates expired: 1" in result.output
    result = runner.invoke(args=["certificates", "expire", "--today", renewable.expires_at.isoformat()])
    assert "Certificates expired: 0" in result.output


def test_expiry_reminders_go_out_once_per_window(app, learner, renewable):
    expires = renewable.expires_at
    assert expiry_reminders(expires - timedelta(days=31)).notifications == 0
    assert expiry_reminders(expires - timedelta(days=30)).notifications == 1
    assert expiry_reminders(expires - timedelta(days=29)).notifications == 0
    assert expiry_reminders(expires - timedelta(days=7)).notifications == 1
    assert expiry_reminders(expires - timedelta(days=3)).notifications == 0
    notes = list(db.session.scalars(select(Notification).where(Notification.kind == "completion.certificate_expiring")))
    assert len(notes) == 2 and all("测试课程" in n.message and expires.isoformat() in n.message for n in notes)
    assert db.session.scalar(select(func.count()).select_from(CertificateReminderLog)) == 2


def test_a_late_first_run_sends_one_reminder_and_logs_every_window(renewable):
    expires = renewable.expires_at
    assert expiry_reminders(expires - timedelta(days=5)).notifications == 1
    assert db.session.scalar(select(func.count()).select_from(CertificateReminderLog)) == 2
    assert expiry_reminders(expires - timedelta(days=5)).notifications == 0


def test_expiry_reminders_email_when_smtp_is_configured(app, renewable, monkeypatch):
    sent: list = []
    monkeypatch.setitem(app.config, "SMTP_HOST", "smtp.example.com")
    monkeypatch.setattr(
        "app.completion.expiry.send_email", lambda settings, messages: sent.extend(messages) or len(messages)
    )
    result = expiry_reminders(renewable.expires_at - timedelta(days=30))
    assert result.emails == 1 and sent[0][0] == "t1@example.com" and "到期" in sent[0][2]
