"""Reports: the dashboard, filters and search, fixed query counts, exports (layout, BOM, formula guard,
streaming), transcripts, and HR's assignment pages."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, insert, select

from app.accounts import services as accounts
from app.accounts.models import CohortMember, Department, User, UserRole
from app.completion.models import CourseCompletion
from app.extensions import db
from app.learning.models import Assignment
from app.reports import exports
from app.reports.exports import HEADER, guard
from tests import factories
from tests.test_completion import finish_course, read_all, take_quiz

YESTERDAY = date.today() - timedelta(days=1)


def populate(count: int, cohort: str = "big") -> list[int]:
    """Insert ``count`` trainees in two departments and one cohort assigned demo-course (bulk, fast)."""
    group = accounts.get_or_create_cohort(cohort)
    depts = [accounts.get_or_create_department(name) for name in ("呼叫中心", "门店销售部")]
    first = db.session.scalar(select(func.count()).select_from(User))
    rows = [
        {
            "username": f"bulk{n}",
            "name": f"学员{n:05d}",
            "employee_no": f"E{n:05d}",
            "department_id": depts[n % 2].id,
            "password_hash": "x",
        }
        for n in range(first, first + count)
    ]
    ids = list(db.session.scalars(insert(User).returning(User.id, sort_by_parameter_order=True), rows))
    db.session.execute(insert(UserRole), [{"user_id": i, "role": "trainee"} for i in ids])
    db.session.execute(insert(CohortMember), [{"cohort_id": group.id, "user_id": i, "role": "trainee"} for i in ids])
    course = factories.course()
    db.session.execute(
        insert(CourseCompletion),
        [
            {
                "user_id": i,
                "course_id": course.id,
                "status": "complete" if i % 3 == 0 else "in_progress",
                "done": 4 if i % 3 == 0 else 1,
                "total": 4,
                "items": [{"kind": "module", "slug": "first-steps", "state": "done", "score": None, "max": None}],
            }
            for i in ids
            if i % 3 != 1
        ],
    )
    db.session.commit()
    factories.assign(cohort=cohort, due_date=YESTERDAY)
    return ids


@pytest.fixture
def people(app, make_user):
    """Three trainees: one complete, one in progress, one not started; c1 has demo-course due yesterday."""
    grader = make_user("teacher", roles=["instructor"], cohort="c1")
    done = make_user(
        "t-done", roles=["trainee"], cohort="c1", department="门店销售部", name="张小红", employee_no="A001"
    )
    busy = make_user("t-busy", roles=["trainee"], cohort="c1", department="呼叫中心", name="刘明", employee_no="A002")
    idle = make_user("t-idle", roles=["trainee"], cohort="c1", department="呼叫中心", name="陈静", employee_no="A003")
    factories.assign(cohort="c1", due_date=YESTERDAY)
    return {"grader": grader, "done": done, "busy": busy, "idle": idle}


@pytest.fixture
def progressed(app, people):
    """people, with the first finished and the second part-way."""
    finish_course(app, people["done"], people["grader"])
    read_all(people["busy"])
    take_quiz(people["busy"], {"k1": "A", "k2": ["A"], "k3": "F"})
    return people


# Dashboard -----------------------------------------------------------------------------------------


def test_dashboard_shows_rates_overdue_and_rows(client, login_as, progressed):
    login_as("hr")
    page = client.get("/reports").get_data(as_text=True)
    assert "学员课程明细（共 3 条）" in page
    assert "张小红" in page and "刘明" in page and "陈静" in page
    assert "逾期未完成（2）" in page
    # department rates: 呼叫中心 0 of 2, 门店销售部 1 of 1
    assert "<td>呼叫中心</td><td>0</td><td>2</td><td>0%</td>" in page
    assert "<td>门店销售部</td><td>1</td><td>1</td><td>100%</td>" in page
    assert "<td>测试课程</td><td>1</td><td>3</td><td>33%</td>" in page
    assert '<script type="application/json" id="report-data">' in page
    assert "vendor/chartjs/chart.umd.min.js" in page


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("status=complete", {"张小红"}),
        ("status=in_progress", {"刘明"}),
        ("status=not_started", {"陈静"}),
        ("status=overdue", {"刘明", "陈静"}),
        ("q=A002", {"刘明"}),
        ("q=陈", {"陈静"}),
        ("q=%25", set()),  # a literal %, not a wildcard
        ("due_before=2000-01-01", set()),
        ("status=bogus&q=", {"张小红", "刘明", "陈静"}),
    ],
)
def test_filters_and_search(client, login_as, progressed, query, names):
    login_as("hr")
    page = client.get(f"/reports?{query}").get_data(as_text=True)
    table = page.split('id="report-table"')[1]
    assert {n for n in ("张小红", "刘明", "陈静") if n in table} == names


def test_filter_by_department_cohort_and_course(client, login_as, progressed, make_user):
    make_user("t-other", roles=["trainee"], cohort="c2", department="门店销售部", name="孙悦")
    factories.assign(cohort="c2")
    login_as("hr")
    dept = db.session.scalar(select(Department).where(Department.name == "呼叫中心"))
    table = client.get(f"/reports?department={dept.id}").get_data(as_text=True).split('id="report-table"')[1]
    assert "刘明" in table and "陈静" in table and "张小红" not in table and "孙悦" not in table
    cohort = accounts.get_or_create_cohort("c2")
    table = client.get(f"/reports?cohort={cohort.id}").get_data(as_text=True).split('id="report-table"')[1]
    assert "孙悦" in table and "刘明" not in table
    course = factories.course()
    assert "共 4 条" in client.get(f"/reports?course={course.id}").get_data(as_text=True)


def test_department_assignment_reaches_people_who_join_later(client, login_as, make_user):
    login_as("hr")
    dept = accounts.get_or_create_department("售后服务部")
    db.session.commit()
    client.post("/hr/assignments", data={"course_id": factories.course().id, "departments": [dept.id]})
    assert "共 0 条" in client.get(f"/reports?department={dept.id}").get_data(as_text=True)
    make_user("late", roles=["trainee"], department="售后服务部", name="后来者")
    page = client.get(f"/reports?department={dept.id}").get_data(as_text=True)
    assert "后来者" in page and "共 1 条" in page


def test_pagination(client, login_as, app):
    populate(45)
    login_as("hr")
    first = client.get("/reports").get_data(as_text=True)
    third = client.get("/reports?page=3").get_data(as_text=True)
    assert "共 45 条" in first
    assert first.count("/reports/trainees/") > 20 and "page=2" in first
    assert third.split('id="report-table"')[1].count("<tr>") == 1 + 5  # header + 5 rows


@pytest.mark.parametrize("url", ["/reports", "/reports/export.csv", "/reports/export.xlsx"])
def test_query_count_is_fixed_at_10_and_1000_trainees(client, login_as, count_queries, url):
    populate(10)
    login_as("hr")
    client.get(url)  # warm up: same session state before each measured call
    with count_queries() as small:
        response = client.get(url)
        response.get_data()
    populate(990, cohort="bigger")
    client.get(url)
    with count_queries() as large:
        response = client.get(url)
        body = response.get_data()
    assert 0 < small() == large()
    if url.endswith(".csv"):
        assert body.decode("utf-8-sig").count("\r\n") == 1 + 1000


def test_a_page_past_the_end_shows_the_last_page_not_an_error(client, login_as):
    populate(5)
    login_as("hr")
    response = client.get("/reports?page=999")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "没有符合条件的记录" not in page and "学员00004" in page


# Exports -------------------------------------------------------------------------------------------


def test_csv_export_layout(client, login_as, progressed):
    login_as("hr")
    response = client.get("/reports/export.csv")
    assert response.is_streamed
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == [
        "工号",
        "姓名",
        "部门",
        "课程",
        "状态",
        "截止日期",
        "完成日期",
        "测验成绩",
        "角色扮演成绩",
        "缺少项",
    ]
    by_no = {row[0]: row for row in rows[1:]}
    assert by_no["A001"][1:5] == ["张小红", "门店销售部", "测试课程", "已完成"]
    assert by_no["A001"][5] == YESTERDAY.isoformat()
    assert by_no["A001"][6] == date.today().isoformat()
    assert by_no["A001"][7] == "测试知识检测 100%"
    assert by_no["A001"][8] == "测试角色扮演 7/10"
    assert by_no["A001"][9] == ""
    assert by_no["A002"][4] == "已逾期"
    assert by_no["A002"][7] == "测试知识检测 33%"
    assert by_no["A002"][9] == "测试知识检测；测试角色扮演"
    assert by_no["A003"][4] == "已逾期" and by_no["A003"][6:9] == ["", "", ""]
    assert by_no["A003"][9] == "第一步；第二步；测试知识检测；测试角色扮演"


def test_csv_export_respects_filters(client, login_as, progressed):
    login_as("hr")
    rows = list(
        csv.reader(io.StringIO(client.get("/reports/export.csv?status=complete").get_data().decode("utf-8-sig")))
    )
    assert [r[0] for r in rows[1:]] == ["A001"]


def test_xlsx_export_has_the_same_rows_in_its_typed_layout(client, login_as, progressed):
    """The XLSX holds the CSV's rows; its typed layout is checked cell by cell in test_xlsx_typed.py."""
    login_as("hr")
    response = client.get("/reports/export.xlsx")
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = load_workbook(io.BytesIO(response.get_data()), read_only=True)
    rows = [[c or "" for c in row] for row in book.worksheets[0].iter_rows(values_only=True)]
    assert list(rows[0][: len(exports.XLSX_HEADER)]) == exports.XLSX_HEADER
    assert rows[0][:5] == HEADER[:5]  # the same first five columns as the CSV
    csv_rows = list(csv.reader(io.StringIO(client.get("/reports/export.csv").get_data().decode("utf-8-sig"))))
    assert [r[:5] for r in rows[1:]] == [r[:5] for r in csv_rows[1:]]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("张三", "张三"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_formula_guard(value, expected):
    assert guard(value) == expected


def test_exports_neutralise_formulas_from_imported_names(client, login_as, make_user):
    make_user("evil", roles=["trainee"], cohort="c1", name="=cmd|'/c calc'!A0", department="@部门", employee_no="E1")
    factories.assign(cohort="c1")
    login_as("hr")
    rows = list(csv.reader(io.StringIO(client.get("/reports/export.csv").get_data().decode("utf-8-sig"))))
    assert rows[1][1] == "'=cmd|'/c calc'!A0" and rows[1][2] == "'@部门"
    book = load_workbook(io.BytesIO(client.get("/reports/export.xlsx").get_data()))
    sheet = book.worksheets[0]
    assert sheet["B2"].value == "'=cmd|'/c calc'!A0" and sheet["B2"].data_type == "s"


def test_csv_is_produced_in_chunks(app, progressed):
    from app.reports import queries

    populate(1200)
    chunks = list(exports.csv_chunks(queries.iter_rows(queries.Filters()), queries.catalogue()))
    assert len(chunks) >= 4  # header + a chunk per 500 rows: never the whole file at once
    assert max(len(c) for c in chunks) < 200_000


# Transcript ----------------------------------------------------------------------------------------


def test_transcript_lists_courses_attempts_grades_and_waivers(client, login_as, progressed):
    login_as("hr")
    from app.completion import services

    hr = db.session.scalar(select(User).join(UserRole).where(UserRole.role == "hr"))
    services.waive(progressed["busy"], factories.course(), "roleplay", "demo-card", "线下已考核", hr)
    page = client.get(f"/reports/trainees/{progressed['done'].id}").get_data(as_text=True)
    assert "张小红 的成绩单" in page
    assert "已完成 4 / 4 项" in page and "结业证书" in page
    assert "测试知识检测" in page and "3 / 3" in page and "（100%）" in page
    assert "测试角色扮演" in page and "7 / 10 分" in page
    assert "先处理心情" in page and "做到" in page and "语气平和" in page
    busy = client.get(f"/reports/trainees/{progressed['busy'].id}").get_data(as_text=True)
    assert "线下已考核" in busy and "未通过" in busy and "豁免此项" in busy


def test_trainee_sees_own_transcript_without_waive_forms(client, login_as, progressed):
    login_as(progressed["busy"])
    page = client.get(f"/reports/trainees/{progressed['busy'].id}").get_data(as_text=True)
    assert "刘明 的成绩单" in page and "豁免此项" not in page


def test_self_assessment_band_is_shown(client, login_as, people):
    from app.assessments import services as assessments
    from app.assessments.models import Quiz

    quiz = db.session.scalar(select(Quiz).where(Quiz.slug == "demo-self"))
    questions = quiz.current_version.definition["questions"]
    answers = {q["id"]: q["options"][0]["key"] for q in questions}
    attempt = assessments.submit_answers(people["idle"], quiz, answers)
    band = next(b for b in quiz.current_version.definition["bands"] if b["key"] == attempt.band_key)
    login_as("hr")
    page = client.get(f"/reports/trainees/{people['idle'].id}").get_data(as_text=True)
    assert band["title"] in page


# Assignments ---------------------------------------------------------------------------------------


def test_bulk_assign_to_departments_cohorts_and_people(client, login_as, make_user):
    login_as("hr")
    a = make_user("a", roles=["trainee"], employee_no="P1")
    b = make_user("bee", roles=["trainee"])
    dept = accounts.get_or_create_department("呼叫中心")
    cohort = accounts.get_or_create_cohort("c9")
    db.session.commit()
    due = date.today() + timedelta(days=30)
    response = client.post(
        "/hr/assignments",
        data={
            "course_id": factories.course().id,
            "due_date": due.isoformat(),
            "departments": [dept.id],
            "cohorts": [cohort.id],
            "people": "p1、BEE",
        },
        follow_redirects=True,
    )
    assert "分配给 4 个对象" in response.get_data(as_text=True)
    rows = db.session.scalars(select(Assignment)).all()
    assert {(r.department_id, r.cohort_id, r.user_id) for r in rows} == {
        (dept.id, None, None),
        (None, cohort.id, None),
        (None, None, a.id),
        (None, None, b.id),
    }
    assert all(r.due_date == due for r in rows)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"people": "nobody, P1"}, "找不到这些人员：nobody"),
        ({}, "请至少选择一个部门、班组或人员"),
        ({"people": "P1", "due_date": "2000-01-01"}, "截止日期不能早于今天"),
    ],
)
def test_bad_assignments_store_nothing(client, login_as, make_user, data, message):
    login_as("hr")
    make_user("a", roles=["trainee"], employee_no="P1")
    page = client.post("/hr/assignments", data={"course_id": factories.course().id, **data}).get_data(as_text=True)
    assert message in page
    assert db.session.scalar(select(func.count()).select_from(Assignment)) == 0


def test_bulk_change_due_date_and_remove(client, login_as, make_user):
    login_as("hr")
    first = factories.assign(cohort="c1")
    second = factories.assign(cohort="c2")
    due = date.today() + timedelta(days=7)
    client.post(
        "/hr/assignments/bulk",
        data={"bulk-action": "due", "bulk-due_date": due.isoformat(), "ids": [first.id, second.id]},
    )
    db.session.expire_all()
    assert first.due_date == due and second.due_date == due
    page = client.post(
        "/hr/assignments/bulk", data={"bulk-action": "due", "ids": [first.id]}, follow_redirects=True
    ).get_data(as_text=True)
    assert "请填写新的截止日期" in page
    client.post("/hr/assignments/bulk", data={"bulk-action": "remove", "ids": [second.id]})
    assert db.session.scalar(select(func.count()).select_from(Assignment)) == 1
    listing = client.get("/hr/assignments").get_data(as_text=True)
    assert "班组：c1" in listing and "班组：c2" not in listing


def test_assignment_post_without_csrf_token_fails(app, client, login_as):
    login_as("hr")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post("/hr/assignments/bulk", data={"bulk-action": "remove", "ids": ["1"]})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400


def _synthetic_rows(count: int):
    from app.reports.queries import ReportRow

    items = [{"kind": "module", "slug": f"m{j}", "state": "todo", "score": None, "max": None} for j in range(8)]
    for n in range(count):
        yield ReportRow(
            n,
            f"E{n:05d}",
            f"学员{n}",
            f"u{n}",
            "呼叫中心",
            1,
            "客户服务基础",
            YESTERDAY,
            "in_progress",
            None,
            0,
            8,
            items,
        )


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_export_memory_does_not_grow_with_the_number_of_rows(app, kind):
    import tracemalloc

    from app.reports.queries import Catalogue

    catalogue = Catalogue([], {})

    def peak(count: int) -> int:
        tracemalloc.start()
        try:
            if kind == "csv":
                for _chunk in exports.csv_chunks(_synthetic_rows(count), catalogue):
                    pass
            else:
                exports.xlsx_file(_synthetic_rows(count), catalogue).close()
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = peak(1_000), peak(5_000)
    assert large < small * 1.5
