"""The agreement report: Krippendorff's alpha against a hand computation and the library, groups, CSV, access."""

from __future__ import annotations

import csv
import io

import krippendorff
import pytest
from flask import current_app
from sqlalchemy import select

from app.core.time import utcnow
from app.extensions import db
from app.roleplay import agreement, services
from app.roleplay.models import Mark, Submission
from tests import factories
from tests.test_grading_double import ask_double_marking
from tests.test_roleplay import card, login, people

# Two coders, five units, levels 0–2 (one criterion):
CODER_A = [0, 1, 2, 2, 1]
CODER_B = [0, 1, 1, 2, 2]
# Hand computation of ordinal alpha (Krippendorff 2011, "Computing Krippendorff's Alpha-Reliability"):
# Each unit has 2 values, so each ordered pair of values in a unit adds 1/(m−1) = 1 to the coincidence matrix:
#   unit (0,0) → o00 += 2; (1,1) → o11 += 2; (2,1) → o21 += 1, o12 += 1; (2,2) → o22 += 2; (1,2) → o12 += 1, o21 += 1
#   o00 = 2, o11 = 2, o22 = 2, o12 = o21 = 2;  n0 = 2, n1 = 4, n2 = 4, n = 10
# Ordinal metric δ²(c,k) = (Σ_{g=c..k} n_g − (n_c + n_k)/2)²:
#   δ²(0,1) = (2 + 4 − 3)² = 9;  δ²(1,2) = (4 + 4 − 4)² = 16;  δ²(0,2) = (2 + 4 + 4 − 3)² = 49
# Observed disagreement D_o = Σ o_ck δ²(c,k) / n = (o12 + o21) · 16 / 10 = 64 / 10 = 6.4
# Expected disagreement D_e = Σ n_c n_k δ²(c,k) / (n (n − 1)), over ordered pairs c ≠ k:
#   = 2 · (n0 n1 · 9 + n0 n2 · 49 + n1 n2 · 16) / 90 = 2 · (72 + 392 + 256) / 90 = 1440 / 90 = 16
# α = 1 − D_o / D_e = 1 − 6.4 / 16 = 0.6
HAND_ALPHA = 0.6


def test_alpha_matches_the_hand_computation_and_the_library():
    assert agreement.alpha(CODER_A, CODER_B, range(3)) == pytest.approx(HAND_ALPHA)
    library = krippendorff.alpha(reliability_data=[CODER_A, CODER_B], level_of_measurement="ordinal")
    assert agreement.alpha(CODER_A, CODER_B) == pytest.approx(library)
    assert agreement.alpha([0, 1], [0, 1]) == pytest.approx(1.0)
    assert agreement.alpha([1], [1]) is None  # one item: nothing to judge
    assert agreement.alpha([1, 1], [1, 1]) is None  # no variation: alpha is undefined


# The second criterion: B is harsher on two items.
SOLUTION_A = [1, 1, 2, 2, 0]
SOLUTION_B = [0, 1, 1, 2, 0]


def mark_pairs(a, b, calm_a, calm_b, solution_a, solution_b) -> None:
    """One submission per position, each blind-marked by A then B through the service."""
    version_id = card().rubric.current_version_id
    for i in range(len(calm_a)):
        n = factories.next_id()
        trainee = factories.make_user(f"learner{n}", roles=["trainee"], cohort="c1", name=f"学员{n}")
        item = Submission(
            trainee_id=trainee.id,
            card_id=card().id,
            status="submitted",
            response_text="我：抱歉。",
            rubric_version_id=version_id,
            double_mark=True,
            submitted_at=utcnow(),
        )
        db.session.add(item)
        db.session.commit()
        for grader, calm, solution in ((a, calm_a[i], solution_a[i]), (b, calm_b[i], solution_b[i])):
            with current_app.test_request_context():
                services.save_grading(
                    grader,
                    db.session.get(Submission, item.id),
                    action="grade",
                    expected_version=None,
                    levels={"calm-first": calm, "solution": solution},
                    comments={},
                    overall="",
                )


@pytest.fixture
def double_marked(app):
    """Five submissions of one rubric, each blind-marked by A then B (wide gaps: no moderation)."""
    ask_double_marking(100, total_gap=100, level_gap=100)
    _, a = people()
    b = factories.make_user("teacher-b", roles=["instructor"], cohort="c1", name="讲师乙")
    mark_pairs(a, b, CODER_A, CODER_B, SOLUTION_A, SOLUTION_B)
    return a, b


def test_report_per_criterion_pair_month_and_severity(client, double_marked, count_queries):
    a, b = double_marked
    assert len(db.session.scalars(select(Mark)).all()) == 10
    login(client, a)
    with count_queries() as queries:
        response = client.get("/grading/agreement")
    assert response.status_code == 200 and queries() <= 14
    rubric = card().rubric
    result = agreement.report(rubric, agreement.pairs(rubric.id), agreement.grader_names(agreement.pairs()), 0.67)
    calm, solution = result.criteria
    assert result.items == 5 and calm.items == 5
    assert calm.alpha == pytest.approx(HAND_ALPHA) and calm.warn  # below 0.67
    assert (calm.exact, calm.adjacent) == (pytest.approx(0.6), pytest.approx(1.0))
    expected = krippendorff.alpha(reliability_data=[SOLUTION_A, SOLUTION_B], level_of_measurement="ordinal")
    assert solution.alpha == pytest.approx(expected)
    assert [p.label for p in result.pairs] == [f"{a.name} × 讲师乙"] and result.pairs[0].items == 5
    assert [m.label for m in result.months] == [utcnow().strftime("%Y-%m")]
    severity = {s.grader_id: s for s in result.graders}
    # B − A over the 10 ratings: calm 0,0,−1,0,+1; solution −1,0,−1,0,0 → −2; each grader's share is half: ∓0.1
    assert severity[b.id].levels == pytest.approx(-0.1) and severity[a.id].levels == pytest.approx(0.1)
    page = response.get_data(as_text=True)
    assert "0.60" in page and "rpl-alpha-warn" in page and "讲师乙" in page


def test_csv_export_has_bom_and_rows(client, double_marked):
    a, _b = double_marked
    login(client, a)
    response = client.get(f"/grading/agreement.csv?rubric={card().rubric_id}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    body = response.data
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:2] == ["部分", "分组"]
    criterion_rows = [r for r in rows if r and r[0] == "评分标准"]
    assert criterion_rows[0][4] == "0.6" and criterion_rows[0][7] == "是"


def test_report_query_count_does_not_grow_with_items(client, double_marked, count_queries):
    a, b = double_marked
    login(client, a)
    client.get("/grading/agreement")
    with count_queries() as small:
        client.get("/grading/agreement")
    mark_pairs(a, b, [0, 2, 1, 0, 2], [1, 2, 0, 0, 2], [2, 2, 1, 1, 0], [2, 1, 1, 0, 0])
    client.get("/grading/agreement")
    with count_queries() as more:
        assert "10" in client.get("/grading/agreement").get_data(as_text=True)
    assert more() == small()


def test_access_and_bad_ids(client, double_marked, make_user):
    login(client, make_user("hr-x", roles=["hr"]))
    assert client.get("/grading/agreement").status_code == 200
    assert client.get("/grading/agreement?rubric=999999").status_code == 404
    assert client.get("/grading/agreement?rubric=abc").status_code in (200, 400)
    trainee = factories.make_user("someone", roles=["trainee"], cohort="c1")
    login(client, trainee)
    assert client.get("/grading/agreement").status_code == 403
    assert client.get("/grading/agreement.csv").status_code == 403
