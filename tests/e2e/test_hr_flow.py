"""HR imports a small staff file (GBK CSV), assigns a course to the new department, watches completion
rise after one of the new trainees finishes it, and downloads the export."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import yaml
from openpyxl import load_workbook
from playwright.sync_api import expect

ROOT = Path(__file__).resolve().parents[2]
STAFF = ROOT / "tests" / "data" / "staff_e2e_gbk.csv"
COURSE = "service-basics"


def quiz_answers(slug: str) -> dict[str, list[str]]:
    """The right option keys of each question of a knowledge check, from its YAML file."""
    data = yaml.safe_load((ROOT / "quizzes" / f"{slug}.yaml").read_text(encoding="utf-8"))
    return {q["id"]: q["answer"] for q in data["questions"]}


def log_out(page) -> None:
    page.locator("nav .dropdown-toggle").last.click()
    page.get_by_role("button", name="退出登录").click()
    expect(page.locator("#username")).to_be_visible()


def rate(page, department: str) -> str:
    """The completion rate shown for a department on the dashboard."""
    page.goto("/reports")
    row = page.locator("#rates-department tr", has_text=department)
    return row.locator("td").nth(3).text_content()


def test_hr_imports_assigns_sees_completion_rise_and_exports(browser_page, demo_login):
    page = browser_page
    demo_login(page, "hr")
    page.get_by_role("link", name="人事").click()
    expect(page.locator("h1")).to_contain_text("培训完成情况")

    # Import: preview first, then confirm; the one-time passwords are one XLSX download, never on the page.
    page.get_by_role("link", name="导入人员").click()
    page.set_input_files("#file", str(STAFF))
    page.get_by_role("button", name="上传并预览").click()
    expect(page.locator("#import-summary")).to_contain_text("新建 2")
    expect(page.locator("#import-changes")).to_contain_text("测试员甲")
    page.get_by_role("button", name="确认导入").click()
    expect(page.locator("#import-result")).to_contain_text("新建 2 人")
    expect(page.locator("#new-accounts")).to_contain_text("E2E01")
    with page.expect_download() as info:
        page.click("#download-passwords")
    sheet = load_workbook(io.BytesIO(Path(info.value.path()).read_bytes())).active
    rows = {row[2]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert [cell.value for cell in sheet[1]] == ["姓名", "用户名", "工号", "初始密码"]
    name, username, _number, password = rows["E2E01"]
    assert (name, username) == ("测试员甲", "e2e01") and re.fullmatch(r"\w{4}-\w{4}-\w{4}", password)
    assert password not in page.content()

    # Assign the course to the new department with a due date.
    page.goto("/hr/assignments")  # the import's job page (its own layout) is not under HR's tabs
    page.select_option("#course_id", label="客户服务基础")
    page.fill("#due_date", "2099-12-31")
    page.get_by_label("质检部").check()
    page.get_by_role("button", name="分配", exact=True).click()
    expect(page.locator(".alert-success")).to_contain_text("已将「客户服务基础」分配给 1 个对象")
    assert rate(page, "质检部") == "0%"
    log_out(page)

    # The new trainee signs in with the one-time password, must choose their own, and finishes the course.
    page.fill("#username", "e2e01")
    page.fill("#password", password)
    page.click("#submit")
    expect(page).to_have_url(re.compile(r"/account/password$"))
    page.goto(f"/courses/{COURSE}")
    expect(page).to_have_url(re.compile(r"/account/password$"))
    page.fill("#current", password)
    page.fill("#new", "e2e-own-choice-42")
    page.fill("#confirm", "e2e-own-choice-42")
    page.click("#submit")
    page.goto(f"/courses/{COURSE}")
    expect(page.locator("#checklist-title")).to_have_text("完成要求")
    modules = page.locator(".module-list li").count()
    page.locator(".module-list a").first.click()
    for _ in range(modules):
        page.click("#mark-complete")
    page.goto(f"/quizzes/{COURSE}-check")
    page.click("#start-quiz")
    expect(page).to_have_url(re.compile(r"/attempts/\d+$"))
    for question, keys in quiz_answers(f"{COURSE}-check").items():
        if not page.locator(f"#answer-{question}-{keys[0]}").count():
            continue  # the check draws its paper from a pool: this question is not on it
        for key in keys:
            with page.expect_response(lambda r: r.url.endswith("/answer") and r.request.method == "POST"):
                page.check(f"#answer-{question}-{key}")
    page.click("#submit-quiz")
    page.goto(f"/courses/{COURSE}")
    expect(page.locator(".cl-panel")).to_contain_text("你已完成本课程")
    expect(page.locator(".cl-panel")).to_contain_text("下载结业证书")
    log_out(page)

    # HR sees the department's rate rise at once, and the trainee complete.
    demo_login(page, "hr")
    assert rate(page, "质检部") == "50%"
    page.fill("#q", "E2E01")
    page.get_by_role("button", name="筛选").click()
    expect(page.locator("#report-table")).to_contain_text("已完成")

    # Export (with the current filter) as CSV: UTF-8 with BOM, the fixed layout.
    with page.expect_download() as info:
        page.click("#export-csv")
    raw = Path(info.value.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:5] == ["工号", "姓名", "部门", "课程", "状态"]
    assert rows[1][:5] == ["E2E01", "测试员甲", "质检部", "客户服务基础", "已完成"]
    assert rows[1][9] == ""
