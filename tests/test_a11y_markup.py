"""Accessibility semantics in the rendered HTML, checked without a browser (tests/e2e/test_a11y_semantics.py
checks them in Chromium): the page language, invalid fields tied to their messages, the error summary,
titles that name the view and its state, and announced status messages."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from app.accounts.models import Cohort
from app.extensions import db
from app.roleplay.models import Submission
from tests import factories
from tests.conftest import PASSWORD

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
ERROR = "错误："


class Element:
    """One parsed element: tag, attributes and its text content (descendants included)."""

    def __init__(self, tag: str, attrs: dict[str, str]) -> None:
        self.tag, self.attrs, self.parts = tag, attrs, []

    @property
    def text(self) -> str:
        return re.sub(r"\s+", " ", "".join(self.parts)).strip()


class Page(HTMLParser):
    """A rendered page as a flat list of elements, with lookups by id and attribute."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self._open: list[Element] = []
        self.title = ""
        self.feed(html)
        title = self.first("title")
        self.title = title.text if title else ""

    def handle_starttag(self, tag, attrs):
        element = Element(tag, {k: v if v is not None else "" for k, v in attrs})
        self.elements.append(element)
        if tag not in VOID:
            self._open.append(element)

    def handle_endtag(self, tag):
        for i in range(len(self._open) - 1, -1, -1):
            if self._open[i].tag == tag:
                del self._open[i:]
                break

    def handle_data(self, data):
        for element in self._open:
            element.parts.append(data)

    def first(self, tag: str) -> Element | None:
        return next((e for e in self.elements if e.tag == tag), None)

    def by_id(self, ident: str) -> Element | None:
        return next((e for e in self.elements if e.attrs.get("id") == ident), None)

    def having(self, attr: str, value: str | None = None) -> list[Element]:
        return [e for e in self.elements if attr in e.attrs and (value is None or e.attrs[attr] == value)]

    def described_by(self, element: Element) -> str:
        """The text of the elements an element's aria-describedby names (each must exist)."""
        texts = []
        for ident in element.attrs.get("aria-describedby", "").split():
            target = self.by_id(ident)
            assert target is not None, f"aria-describedby names a missing id {ident!r}"
            texts.append(target.text)
        return " ".join(texts)

    def summary(self) -> Element:
        """The single focus target of a refused page: role=alert, tabindex=-1, data-error-summary."""
        found = self.having("data-error-summary")
        assert found, "no error summary"
        assert found[0].attrs.get("role") == "alert" and found[0].attrs.get("tabindex") == "-1"
        return found[0]


def page_of(response) -> Page:
    return Page(response.get_data(as_text=True))


def assert_invalid(page: Page, ident: str, message: str) -> None:
    """The control is marked invalid, described by the visible message, and linked from the summary."""
    control = page.by_id(ident)
    assert control is not None, ident
    assert control.attrs.get("aria-invalid") == "true", (ident, control.attrs)
    assert message in page.described_by(control)
    summary = page.summary()
    assert message in summary.text
    links = [e.attrs["href"] for e in page.having("href") if e.attrs["href"].startswith("#")]
    assert any(page.by_id(href[1:]) is not None for href in links)


def english(client) -> None:
    client.post("/locale", data={"locale": "en", "next": "/"})


# --- the language of the page and of its content ------------------------------------------------


def test_html_lang_follows_the_interface_language(client, login_as):
    page = page_of(client.get("/login"))
    assert page.first("html").attrs["lang"] == "zh-CN"
    switcher = [e.attrs["value"] for e in page.having("name", "locale")]
    assert switcher == ["en"]  # only the other language is offered
    english(client)
    page = page_of(client.get("/login"))
    assert page.first("html").attrs["lang"] == "en"
    assert [e.attrs["value"] for e in page.having("name", "locale")] == ["zh_CN"]


def test_chinese_content_is_marked_in_the_english_interface_only(client, trainee):
    url = "/courses/demo-course/first-steps"
    chinese = page_of(client.get(url))
    assert not chinese.having("lang", "zh-CN")[1:]  # only <html lang="zh-CN">
    english(client)
    page = page_of(client.get(url))
    assert page.first("html").attrs["lang"] == "en"
    body = [e for e in page.having("lang", "zh-CN") if "content" in e.attrs.get("class", "")]
    assert body and body[0].text  # the module body
    heading = page.first("h1")
    assert any(e.attrs.get("lang") == "zh-CN" for e in page.elements if e.text and e.text in heading.text)


def test_quiz_questions_and_options_are_marked_in_english(client, trainee):
    english(client)
    attempt = start(client, "demo-self")
    page = page_of(client.get(f"/quizzes/demo-self/attempts/{attempt}"))
    marked = " ".join(e.text for e in page.having("lang", "zh-CN"))
    legend = next(e for e in page.elements if e.tag == "legend")
    option = next(e for e in page.elements if e.tag == "label" and e.attrs.get("for", "").startswith("answer-"))
    assert legend.text.split(" ", 1)[1].split(" ")[0] in marked
    assert option.text.split(" ", 1)[-1] in marked


# --- refused forms ---------------------------------------------------------------------------------


@pytest.fixture
def trainee(login_as):
    """A signed-in trainee whose cohort is assigned the demo course."""
    user = login_as("trainee", cohort="c1")
    factories.assign(cohort="c1")
    return user


def start(client, slug: str) -> int:
    response = client.post(f"/quizzes/{slug}/start")
    assert response.status_code == 302
    return int(response.headers["Location"].rsplit("/", 1)[1])


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_refused_password_change(client, login_as, language):
    login_as("trainee")
    if language == "en":
        english(client)
    page = page_of(client.post("/account/password", data={"current": "", "new": "x", "confirm": "y"}))
    marker = ERROR if language == "zh_CN" else "Error: "
    assert page.title.startswith(marker), page.title
    assert_invalid(page, "current", "请输入当前密码" if language == "zh_CN" else "current password")
    assert page.summary().attrs.get("id") == "error-summary"
    assert page.by_id("confirm").attrs.get("aria-invalid") == "true"
    # a field without an error is not marked
    for element in page.having("aria-invalid"):
        assert element.attrs["aria-invalid"] == "true"


def test_wrong_password_is_an_alert_and_titled_as_an_error(client, login_as):
    user = factories.make_user("someone")
    page = page_of(client.post("/login", data={"username": user.username, "password": "wrong-" + PASSWORD}))
    assert page.title.startswith(ERROR)
    alert = page.summary()
    assert alert.text and "alert-danger" in alert.attrs["class"]


def test_admin_user_form_marks_each_invalid_field(client, login_as):
    login_as("admin")
    page = page_of(client.post("/admin/users/new", data={"username": "", "name": "", "password": "start-pass-11"}))
    assert page.title.startswith(ERROR) and "新建用户" in page.title
    assert_invalid(page, "username", "请输入用户名")
    assert_invalid(page, "name", "请输入姓名")
    assert_invalid(page, "roles-0", "至少选择一个角色")
    summary = page.summary()
    hrefs = [e.attrs["href"] for e in page.having("href") if e.attrs["href"] in ("#username", "#name", "#roles-0")]
    assert sorted(hrefs) == ["#name", "#roles-0", "#username"], summary.text
    assert page.by_id("email").attrs.get("aria-invalid") is None


def test_a_taken_username_is_tied_to_its_field(client, login_as):
    factories.make_user("taken-name")
    login_as("admin")
    response = client.post(
        "/admin/users/new",
        data={"username": "taken-name", "name": "新人", "password": "start-pass-11", "roles": ["trainee"]},
    )
    assert response.status_code == 422
    page = page_of(response)
    assert page.title.startswith(ERROR)
    assert_invalid(page, "username", "已存在")


def test_unanswered_questions_are_invalid_and_summarised(client, trainee):
    attempt = start(client, "demo-self")
    response = client.post(f"/quizzes/demo-self/attempts/{attempt}", data={"action": "submit", "answer-q1": "A"})
    page = page_of(response)
    assert page.title.startswith(ERROR) and "作答" in page.title
    summary = page.summary()
    assert summary.attrs["id"] == "unanswered" and "第 2 题" in summary.text
    radios = [e for e in page.elements if e.tag == "input" and e.attrs.get("name") == "answer-q2"]
    assert radios and all(r.attrs.get("aria-invalid") == "true" for r in radios)
    assert "没有作答" in page.described_by(radios[0])
    answered = [e for e in page.elements if e.tag == "input" and e.attrs.get("name") == "answer-q1"]
    assert all("aria-invalid" not in r.attrs for r in answered)


def test_empty_role_play_response_is_tied_to_the_textarea(client, trainee):
    response = client.post(
        "/roleplays/demo-card/submission", data={"response": "", "submit": "1"}, content_type="multipart/form-data"
    )
    page = page_of(response)
    assert page.title.startswith(ERROR)
    assert_invalid(page, "response", "请先写下你的书面回应")
    assert "写下你会说的话" in page.described_by(page.by_id("response"))  # the help text stays


def test_incomplete_grading_marks_the_missing_criterion(client, app):
    trainee = factories.make_user("g-trainee", roles=["trainee"], cohort="g1", name="学员乙")
    teacher = factories.make_user("g-teacher", roles=["instructor"], cohort="g1", name="讲师乙")
    factories.assign(cohort="g1")
    sign_in(client, trainee)
    client.post(
        "/roleplays/demo-card/submission",
        data={"response": "客户：坏了！\n我：非常抱歉，今天下午3点前给您送备用机。", "submit": "1"},
        content_type="multipart/form-data",
    )
    item = db.session.scalar(select(Submission).where(Submission.trainee_id == trainee.id))
    sign_in(client, teacher)
    response = client.post(
        f"/grading/{item.id}",
        data={"version": str(item.version_id), "action": "grade", "overall": "", "level-calm-first": "1"},
    )
    page = page_of(response)
    assert page.title.startswith(ERROR) and "学员乙" in page.title
    summary = page.summary()
    assert summary.attrs["id"] == "grade-error" and "先处理心情" not in summary.text
    assert_invalid(page, "lv-solution-0", "请为这一项选择一个等级")
    assert page.by_id("lv-calm-first-0").attrs.get("aria-invalid") is None


def test_hr_import_of_a_bad_file_marks_the_file_field(client, login_as):
    login_as("hr")
    response = client.post(
        "/hr/import", data={"file": (io.BytesIO(b"hello"), "staff.txt")}, content_type="multipart/form-data"
    )
    page = page_of(response)
    assert page.title.startswith(ERROR)
    assert_invalid(page, "file", "只支持 .csv 和 .xlsx 文件")


# --- titles and status messages ----------------------------------------------------------------------


def sign_in(client, user) -> None:
    client.post("/logout")
    assert client.post("/login", data={"username": user.username, "password": PASSWORD}).status_code == 302


def test_titles_name_the_view_and_its_state(client, trainee, login_as):
    titles = {}
    titles["quiz intro"] = page_of(client.get("/quizzes/demo-self")).title
    attempt = start(client, "demo-self")
    titles["quiz taking"] = page_of(client.get(f"/quizzes/demo-self/attempts/{attempt}")).title
    refused = client.post(f"/quizzes/demo-self/attempts/{attempt}", data={"action": "submit", "answer-q1": "A"})
    titles["quiz refused"] = page_of(refused).title
    done = client.post(
        f"/quizzes/demo-self/attempts/{attempt}", data={"action": "submit", "answer-q1": "A", "answer-q2": "Y"}
    )
    titles["quiz result"] = page_of(client.get(done.headers["Location"])).title
    titles["card"] = page_of(client.get("/roleplays/demo-card")).title
    data = {"response": "客户：坏了！\n我：非常抱歉，今天下午3点前给您送备用机。"}
    client.post("/roleplays/demo-card/submission", data={**data, "save": "1"}, content_type="multipart/form-data")
    titles["card with a draft"] = page_of(client.get("/roleplays/demo-card")).title
    client.post("/roleplays/demo-card/submission", data={**data, "submit": "1"}, content_type="multipart/form-data")
    titles["card submitted"] = page_of(client.get("/roleplays/demo-card")).title
    item = db.session.scalar(select(Submission).where(Submission.trainee_id == trainee.id))
    titles["submission"] = page_of(client.get(f"/submissions/{item.id}")).title
    titles["module 1"] = page_of(client.get("/courses/demo-course/first-steps")).title
    titles["course"] = page_of(client.get("/courses/demo-course")).title
    login_as("admin")
    cohort = db.session.scalar(select(Cohort).where(Cohort.name == "c1"))
    titles["cohort members"] = page_of(client.get(f"/admin/cohorts/{cohort.id}")).title
    titles["cohort progress"] = page_of(client.get(f"/teaching/{cohort.id}")).title
    assert len(set(titles.values())) == len(titles), titles
    assert not any(t.startswith(ERROR) for k, t in titles.items() if k != "quiz refused")
    assert titles["quiz refused"] == ERROR + titles["quiz taking"]
    assert "c1" in titles["cohort members"] and "c1" in titles["cohort progress"]


def test_mark_complete_lands_on_the_next_module_with_a_status_message(client, trainee):
    response = client.post("/courses/demo-course/first-steps/complete", follow_redirects=True)
    page = page_of(response)
    status = page.having("role", "status")
    assert any("已完成" in e.text for e in status)
    assert any(e.attrs.get("aria-live") == "polite" for e in status)
    heading = page.first("h1")
    assert heading.attrs.get("tabindex") == "-1"
    assert not page.having("role", "alert") and not page.title.startswith(ERROR)
    skip = [e for e in page.having("class") if "skip-link" in e.attrs["class"]]
    assert [e.attrs["href"] for e in skip][:2] == ["#main", "#mark-complete"]


def test_error_pages_name_the_error_in_their_title(client, trainee):
    page = page_of(client.get("/courses/no-such-course"))
    assert page.title.startswith("找不到页面（404）")
    assert page.first("h1").text == "找不到页面"


# --- forms that redirect after a refusal: the next page marks the field ---------------------------


def test_a_refused_department_rename_marks_its_row_on_the_next_page(client, login_as):
    from app.accounts import services as accounts

    login_as("admin")
    first = accounts.create_department("门店一部")
    accounts.create_department("门店二部")
    response = client.post(f"/admin/departments/{first.id}/rename", data={"name": "门店二部"}, follow_redirects=True)
    page = page_of(response)
    assert page.title.startswith(ERROR)
    control = page.by_id(f"dept-{first.id}")
    assert control.attrs.get("value") == "门店二部"  # what was typed is kept
    assert_invalid(page, f"dept-{first.id}", "门店二部")
    assert len(page.having("aria-invalid", "true")) == 1  # only that row
    again = page_of(client.get("/admin/departments"))  # one request only, like a flashed message
    assert not again.having("aria-invalid") and not again.title.startswith(ERROR)


def test_an_unknown_cohort_member_marks_the_username_and_keeps_it(client, login_as):
    login_as("admin")
    cohort = db.session.get(Cohort, factories.assign(cohort="c9").cohort_id)
    response = client.post(
        f"/admin/cohorts/{cohort.id}/members", data={"username": "nobody", "role": "trainee"}, follow_redirects=True
    )
    page = page_of(response)
    assert page.title.startswith(ERROR)
    assert_invalid(page, "username", "找不到用户 nobody")
    assert page.by_id("username").attrs.get("value") == "nobody"
    empty = page_of(client.post(f"/admin/cohorts/{cohort.id}/members", data={"role": "trainee"}, follow_redirects=True))
    assert_invalid(empty, "username", "请输入用户名")


def test_a_cohort_assignment_without_a_course_marks_the_course_field(client, login_as):
    login_as("admin")
    cohort = db.session.get(Cohort, factories.assign(cohort="c8").cohort_id)
    response = client.post(f"/admin/cohorts/{cohort.id}/assign", data={"due_date": "2099-01-01"}, follow_redirects=True)
    page = page_of(response)
    assert page.title.startswith(ERROR)
    control = page.by_id("course_id")
    assert control.attrs.get("aria-invalid") == "true" and page.described_by(control)
    assert page.by_id("due_date").attrs.get("value") is None or page.by_id("due_date").attrs.get("aria-invalid") is None


def test_an_empty_waiver_reason_opens_and_marks_the_item(client, login_as, make_user):
    person = make_user("w-trainee", roles=["trainee"], cohort="w1")
    factories.assign(cohort="w1")
    login_as("hr")
    course = factories.course()
    url = f"/reports/trainees/{person.id}/courses/{course.id}/waive"
    response = client.post(url, data={"kind": "roleplay", "slug": "demo-card", "reason": ""}, follow_redirects=True)
    page = page_of(response)
    target = f"reason-{course.id}-roleplay-demo-card"
    assert page.title.startswith(ERROR)
    assert_invalid(page, target, "请填写豁免原因")
    details = [e for e in page.having("open") if e.tag == "details"]
    assert len(details) == 1  # the refused item is opened, the others stay closed
    long = page_of(
        client.post(url, data={"kind": "roleplay", "slug": "demo-card", "reason": "长" * 501}, follow_redirects=True)
    )
    assert_invalid(long, target, "不能超过 500 个字")
    assert page_of(client.get(f"/reports/trainees/{person.id}")).having("aria-invalid") == []


def test_an_incomplete_self_score_marks_the_criterion_left_out_and_keeps_the_other(client, trainee):
    response = client.post("/roleplays/demo-card/self-score", data={"level-calm-first": "2"}, follow_redirects=True)
    page = page_of(response)
    assert page.title.startswith(ERROR)
    assert_invalid(page, "self-solution-0", "请为每一项评分标准选择一个等级")
    assert page.by_id("self-solution-1").attrs.get("aria-invalid") == "true"
    assert page.by_id("self-calm-first-0").attrs.get("aria-invalid") is None
    assert "checked" in page.by_id("self-calm-first-2").attrs  # the level already chosen is kept


def test_a_bulk_due_date_change_without_a_date_marks_the_date(client, login_as):
    login_as("hr")
    row = factories.assign(cohort="b1")
    response = client.post("/hr/assignments/bulk", data={"bulk-action": "due", "ids": [row.id]}, follow_redirects=True)
    page = page_of(response)
    assert page.title.startswith(ERROR)
    assert_invalid(page, "bulk-due_date", "请填写新的截止日期")
    assert page.by_id("due_date").attrs.get("aria-invalid") is None  # the assign form's own date is untouched
    nothing = page_of(client.post("/hr/assignments/bulk", data={"bulk-action": "remove"}, follow_redirects=True))
    assert "请先勾选要处理的分配" in nothing.summary().text
