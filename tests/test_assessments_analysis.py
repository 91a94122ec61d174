"""Item statistics: a hand-computed fixture, the page, CSV and XLSX, access, and a fixed number of queries.

The fixture: four questions (x1 A, x2 B, x3 T, x4 C), pass mark 75 %, ten attempts by eight trainees
(u1 and u2 try twice). Totals: a1 75, a2 50, a3 50, a4 50, a5 25, a6 50, a7 25, a8 25, a9 25, a10 75.
Upper 27 % = round(2.7) = 3 attempts: a1, a10, a2 (ties by id); lower: a5, a7, a8.

| item | right in            | facility | upper | lower | D     |
|------|---------------------|----------|-------|-------|-------|
| x1   | a1 a2 a3 a5 a10     | 0.5      | 3/3   | 1/3   | 2/3   |
| x2   | a1 a2 a4 a6 a10     | 0.5      | 3/3   | 0/3   | 1     |
| x3   | a1 a3 a4 a7 a9 a10  | 0.6      | 2/3   | 1/3   | 1/3   |
| x4   | a6 a8               | 0.2      | 0/3   | 1/3   | −1/3  |  → flagged hard and reversed

Point-biserial of x1: right totals mean 55, wrong 35, population sd of all totals √350, p = q = 0.5:
r = 20 / √350 × 0.5 = 0.5345. Of x4: (37.5 − 46.875) / √350 × √(0.2 × 0.8) = −0.2004.
Average 45 %; pass rate 2/8 (u1, u2); first-try pass rate 1/8 (u1); distribution: 20–29: 4, 50–59: 4, 70–79: 2.
Cohort X (u1–u3): 5 attempts, average 55, pass 2/3, first try 1/3; cohort Y (u4–u8): 5, 35, 0, 0.
"""

from __future__ import annotations

import io
import math
from datetime import datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.accounts.models import Cohort
from app.assessments import analysis, services
from app.assessments.analysis import AttemptRow
from app.extensions import db
from tests import factories
from tests.quizkit import load_with, quiz

ITEMS = "demo-items"
ITEMS_QUIZ = """\
title: 题目分析测试
kind: knowledge
course: demo-course
instructions: 四道题。
pass_percent: 75
review: immediate
questions:
  - {id: x1, type: single, module: first-steps, text: 第一问, answer: [A], explanation: 见模块「第一步」。,
     options: [{key: A, text: 一甲}, {key: B, text: 一乙}, {key: C, text: 一丙}]}
  - {id: x2, type: single, module: first-steps, text: 第二问, answer: [B], explanation: 见模块「第一步」。,
     options: [{key: A, text: 二甲}, {key: B, text: 二乙}, {key: C, text: 二丙}]}
  - {id: x3, type: true-false, module: second-steps, text: 第三问, answer: [T], explanation: 见模块「第二步」。}
  - {id: x4, type: single, module: second-steps, text: 第四问, answer: [C], explanation: 见模块「第二步」。,
     options: [{key: A, text: 四甲}, {key: B, text: 四乙}, {key: C, text: 四丙}]}
"""
# (attempt, user, answers x1..x4)
FIXTURE = [
    ("a1", "u1", "A", "B", "T", "A"),
    ("a2", "u2", "A", "B", "F", "A"),
    ("a3", "u3", "A", "C", "T", "B"),
    ("a4", "u4", "B", "B", "T", "A"),
    ("a5", "u5", "A", "C", "F", "B"),
    ("a6", "u6", "C", "B", "F", "C"),
    ("a7", "u7", "B", "A", "T", "A"),
    ("a8", "u8", "B", "C", "F", "C"),
    ("a9", "u1", "C", "A", "T", "A"),
    ("a10", "u2", "A", "B", "T", "B"),
]
KEY = {"x1": "A", "x2": "B", "x3": "T", "x4": "C"}
COHORTS = {"X": ["u1", "u2", "u3"], "Y": ["u4", "u5", "u6", "u7", "u8"]}
SD = math.sqrt(350)


def rows() -> list[AttemptRow]:
    out = []
    start = datetime(2026, 3, 1, 9, 0)
    for index, (name, user, *answers) in enumerate(FIXTURE):
        given = dict(zip(KEY, answers, strict=True))
        right = sum(given[q] == KEY[q] for q in KEY)
        percent = right * 100 // 4
        out.append(
            AttemptRow(
                int(name[1:]),
                int(user[1:]),
                1,
                percent,
                percent >= 75,
                start + timedelta(hours=index),
                tuple(KEY),
                given,
            )
        )
    return out


def definition() -> dict:
    import yaml

    data = yaml.safe_load(ITEMS_QUIZ)
    for q in data["questions"]:
        q.setdefault("options", [{"key": "T", "text": "正确"}, {"key": "F", "text": "错误"}])
    return {"kind": "knowledge", "questions": data["questions"], "pass_percent": 75}


def memberships() -> list[tuple[int, str, int]]:
    return [(ord(c), c, int(u[1:])) for c, users in COHORTS.items() for u in users]


# --- pure statistics against the hand-computed fixture ---------------------------------------------


def test_the_quiz_summary_matches_the_hand_computed_figures():
    stats = analysis.statistics(rows(), {1: definition()}, definition(), memberships())
    s = stats.summary
    assert (s.attempts, s.trainees, s.average, s.pass_rate, s.first_try_pass_rate) == (10, 8, 45.0, 0.25, 0.125)
    assert dict(s.distribution) == {
        "0–9": 0,
        "10–19": 0,
        "20–29": 4,
        "30–39": 0,
        "40–49": 0,
        "50–59": 4,
        "60–69": 0,
        "70–79": 2,
        "80–89": 0,
        "90–100": 0,
    }
    assert [r.percent for r in rows()] == [75, 50, 50, 50, 25, 50, 25, 25, 25, 75]


def test_the_groups_are_the_top_and_bottom_27_percent():
    upper, lower = analysis.groups(rows())
    assert (upper, lower) == ({1, 10, 2}, {5, 7, 8})
    many = [AttemptRow(i, i, 1, i * 5, False, datetime(2026, 3, 1), (), {}) for i in range(1, 21)]
    upper, lower = analysis.groups(many)  # round(0.27 × 20) = 5 each
    assert (upper, lower) == ({16, 17, 18, 19, 20}, {1, 2, 3, 4, 5})
    assert analysis.groups(many[:1]) == (set(), set())


@pytest.mark.parametrize(
    ("qid", "facility", "upper", "lower", "d", "r", "flags"),
    [
        ("x1", 0.5, 1.0, 1 / 3, 2 / 3, 20 / SD * 0.5, []),
        ("x2", 0.5, 1.0, 0.0, 1.0, None, []),
        ("x3", 0.6, 2 / 3, 1 / 3, 1 / 3, None, []),
        ("x4", 0.2, 0.0, 1 / 3, -1 / 3, (37.5 - 46.875) / SD * 0.4, ["hard", "reversed"]),
    ],
)
def test_each_item_matches_the_hand_computed_figures(qid, facility, upper, lower, d, r, flags):
    item = next(i for i in analysis.statistics(rows(), {1: definition()}, definition()).items if i.id == qid)
    assert item.responses == 10
    assert item.facility == pytest.approx(facility)
    assert (item.upper_facility, item.lower_facility) == (pytest.approx(upper), pytest.approx(lower))
    assert item.discrimination == pytest.approx(d)
    if r is not None:
        assert item.point_biserial == pytest.approx(r, abs=1e-9)
    assert item.flags == flags


def test_x2_point_biserial_and_the_choice_distribution():
    items = {i.id: i for i in analysis.statistics(rows(), {1: definition()}, definition()).items}
    # x2 right: a1 75, a2 50, a4 50, a6 50, a10 75 → 60; wrong: a3 50, a5 25, a7 25, a8 25, a9 25 → 30.
    assert items["x2"].point_biserial == pytest.approx(30 / SD * 0.5)
    assert [(o.key, o.count, o.right) for o in items["x4"].options] == [
        ("A", 5, False),
        ("B", 3, False),
        ("C", 2, True),
    ]
    assert items["x4"].options[2].share == pytest.approx(0.2)


def test_the_cohort_comparison_matches_the_hand_computed_figures():
    stats = analysis.statistics(rows(), {1: definition()}, definition(), memberships())
    by_name = {c.name: c.summary for c in stats.cohorts}
    assert (by_name["X"].attempts, by_name["X"].trainees, by_name["X"].average) == (5, 3, 55.0)
    assert by_name["X"].pass_rate == pytest.approx(2 / 3) and by_name["X"].first_try_pass_rate == pytest.approx(1 / 3)
    assert (by_name["Y"].attempts, by_name["Y"].average, by_name["Y"].pass_rate) == (5, 35.0, 0.0)


def test_a_pooled_question_counts_only_the_papers_that_held_it():
    some = [
        AttemptRow(
            r.attempt_id,
            r.user_id,
            1,
            r.percent,
            r.passed,
            r.submitted_at,
            ("x1", "x2") if r.attempt_id % 2 else tuple(KEY),
            r.answers,
        )
        for r in rows()
    ]
    items = {i.id: i for i in analysis.statistics(some, {1: definition()}, definition()).items}
    assert (items["x1"].responses, items["x3"].responses) == (10, 5)  # a2, a4, a6, a8, a10 held x3
    assert items["x3"].correct == 2  # a2 F, a4 T, a6 F, a8 F, a10 T


def test_too_few_responses_raise_no_flags():
    few = rows()[:4]
    items = analysis.statistics(few, {1: definition()}, definition()).items
    assert all(item.flags == [] for item in items)


# --- through the database: page, exports, access, query count ---------------------------------------


@pytest.fixture
def loaded(tmp_path):
    load_with(tmp_path, **{ITEMS: ITEMS_QUIZ})
    for cohort in COHORTS:
        factories.assign(cohort=cohort)
    return quiz(ITEMS)


def seed(loaded, prefix: str = "") -> dict[str, object]:
    """Take the fixture's ten attempts as eight trainees of cohorts X and Y (in the fixture's order)."""
    users = {}
    for cohort, names in COHORTS.items():
        for name in names:
            users[name] = factories.make_user(f"{prefix}{name}", cohort=f"{prefix}{cohort}" if prefix else cohort)
    for _name, user, *answers in FIXTURE:
        services.submit_answers(users[user], loaded, dict(zip(KEY, answers, strict=True)))
    return users


def test_the_page_shows_the_fixture(client, loaded, login_as):
    seed(loaded)
    login_as("hr")
    page = client.get(f"/results/quizzes/{ITEMS}").get_data(as_text=True)
    summary = page[page.index('id="quiz-summary"') :]
    assert "<td>10</td><td>8</td>" in summary and "45.0%" in summary and "25%" in summary and "12%" in summary
    x4 = page[page.index('id="item-x4"') :]
    x4 = x4[: x4.index("</tr>")]
    assert 'data-facility="0.2"' in x4 and "20%" in x4 and "-0.33" in x4
    assert "几乎都答错" in x4 and "高分者反而答错更多" in x4
    x2 = page[page.index('id="item-x2"') :]
    assert "1.00" in x2[: x2.index("</tr>")]
    cohorts = page[page.index('id="cohorts"') :]
    assert "X" in cohorts and "55.0%" in cohorts and "35.0%" in cohorts


def test_csv_is_utf8_with_a_bom_and_one_row_per_question(client, loaded, login_as):
    seed(loaded)
    login_as("hr")
    response = client.get(f"/results/quizzes/{ITEMS}/statistics.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("题号,题目,题型") and len(lines) == 5
    x4 = next(line for line in lines if line.startswith("x4,"))
    assert ",10,2,0,0.2,0.0,0.3333,-0.333," in x4 and "C* 2" in x4 and "几乎都答错" in x4


def test_xlsx_has_typed_cells(client, loaded, login_as):
    seed(loaded)
    login_as("hr")
    response = client.get(f"/results/quizzes/{ITEMS}/statistics.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.get_data()))
    assert book.sheetnames == ["概况", "逐题分析", "班组对比"]
    overview = book["概况"]
    assert [c.value for c in overview[3]] == [10, 8, 0.45, 0.25, 0.125]
    assert overview["C3"].data_type == "n" and overview["C3"].number_format == "0.0%"
    items = book["逐题分析"]
    x4 = next(row for row in items.iter_rows(min_row=2) if row[0].value == "x4")
    assert (x4[5].value, x4[6].value, x4[8].value, x4[11].value) == (10, 2, 0.2, -0.333)
    assert all(x4[i].data_type == "n" for i in (5, 6, 8, 11))
    cohorts = {row[0].value: [c.value for c in row[1:]] for row in book["班组对比"].iter_rows(min_row=2)}
    assert cohorts["Y"][:3] == [5, 5, 0.35]


def test_instructors_see_only_their_cohorts(client, loaded, login_as):
    seed(loaded)
    login_as("instructor", cohort="X")
    page = client.get(f"/results/quizzes/{ITEMS}").get_data(as_text=True)
    summary = page[page.index('id="quiz-summary"') :]
    assert "<td>5</td><td>3</td>" in summary  # cohort X: five attempts by three trainees
    cohorts = page[page.index('id="cohorts"') :]
    assert ">X<" in cohorts and ">Y<" not in cohorts
    y = db.session.scalar(select(Cohort.id).where(Cohort.name == "Y"))
    assert client.get(f"/results/quizzes/{ITEMS}?cohort={y}").status_code == 404


def test_the_statistics_use_a_fixed_number_of_queries(client, loaded, login_as, count_queries):
    counts = []
    for prefix in ("one-", "two-", "three-"):
        seed(loaded, prefix)
        login_as("hr")
        with count_queries() as n:
            assert client.get(f"/results/quizzes/{ITEMS}").status_code == 200
        with count_queries() as csv_n:
            assert client.get(f"/results/quizzes/{ITEMS}/statistics.csv").status_code == 200
        counts.append((n(), csv_n()))
    assert counts[0] == counts[1] == counts[2], counts


def test_self_assessments_have_no_item_statistics(client, loaded, login_as):
    login_as("hr")
    assert client.get("/results/quizzes/demo-self").status_code == 404
